"""HQ's work on the campaign's data: the dashboard (stats), membership leads, retention and purge,
forgetting a person, and the audit log of staff commands. It may use both apps."""
