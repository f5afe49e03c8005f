"""Lambda entry of the drill's tracking app (`/t/*`: opens, clicks, the check sheet, the report).

A participant waits on its cold start, so it imports only what the tracking app needs; the
scheduled sender and forwarded reports have their own entry (`drill_sender.lambda_jobs`).
"""

from __future__ import annotations

from campaign_core.aws import make_handler, runtime
from drill_sender.app import create_app

RUNTIME = runtime()
handler = make_handler(
    create_app(RUNTIME.settings, store=RUNTIME.store, mailer=RUNTIME.mailer, clock=RUNTIME.clock)
)
