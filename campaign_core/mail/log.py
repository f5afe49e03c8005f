"""One JSON line per mail event on stderr, for the alarms: CloudWatch metric filters match
`{ $.event = "send_failed" }` and `{ $.event = "send_stopped" }` on the Lambdas' log groups.

Printed, not passed through `logging`: the Lambda runtime's log handler prefixes each record with
its level and request id, and a metric filter on JSON fields matches only a line that is JSON as a
whole. Mail addresses are masked: the logs are kept longer than the people's data may be.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def masked(text: str) -> str:
    """`text` with every mail address replaced by `<address>`."""
    return _ADDRESS.sub("<address>", text)


def log_event(event: str, **fields: Any) -> dict[str, Any]:
    """Write `{"event": event, **fields}` as one line (string values masked); return it."""
    line = {"event": event, **{k: masked(v) if isinstance(v, str) else v for k, v in fields.items()}}
    print(json.dumps(line, ensure_ascii=False, default=str), file=sys.stderr, flush=True)
    return line


def log_send_failed(message: str, reason: str, **fields: Any) -> dict[str, Any]:
    """A message that will not be sent (until staff requeue it): `message` is its record key or
    Message-ID, `reason` why."""
    return log_event("send_failed", message=message, reason=reason, **fields)
