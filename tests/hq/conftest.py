"""HQ tests use the drill tests' fixtures (`tests/support/drill.py`): a store on SQLite or on
DynamoDB (the session's moto server), the session's SMTP server, accepted applications made through
the forms services, a sent drill."""

from tests.support.drill import *  # noqa: F403 (its fixtures, listed in its __all__)
