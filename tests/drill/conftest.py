"""The drill-run tests use the fixtures of `tests/support/drill.py` (a store on SQLite or on
DynamoDB, drill services with an injected clock and pacing time, a sent drill, the staff command)
and the session servers of `tests/conftest.py`."""

from tests.support.drill import *  # noqa: F403 (its fixtures, listed in its __all__)
