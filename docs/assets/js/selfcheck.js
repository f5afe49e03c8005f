// selfcheck: behaviour of this feature (progressive enhancement: the page works without it).
