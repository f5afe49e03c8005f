"""The embedded composition for `make run`: one server with the site, both apps, the periodic jobs
(send-due, the daily purge), the report address's SMTP listener and the outbox viewer."""
