"""The Lambda entry modules of a test (`Lambdas`, made by the `lambdas` fixture of
`tests/aws/conftest.py`) and the settings they run with."""

from __future__ import annotations

import email
import email.policy
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from types import ModuleType
from typing import Any

from campaign_core import aws
from campaign_core.clock import FixedClock
from scripts.lambda_package import ENTRY_MODULES
from tests.support.aws_events import Context, http_event
from tests.support.servers import MotoServer

DOMAIN = "drill.example.jp"
SITE = f"https://{DOMAIN}"
REPORT_ADDRESS = f"report@{DOMAIN}"
SENDER = f"セキュリティ訓練キャンペーン事務局 <noreply@{DOMAIN}>"
# Monday 30 November 2026, 09:00 JST: a business day, the send window opens.
MONDAY_9_JST = "2026-11-30T09:00:00+09:00"


def forget_entry_modules() -> None:
    for name in ENTRY_MODULES:
        sys.modules.pop(name, None)
    aws.runtime.cache_clear()


@dataclass
class Lambdas:
    moto: MotoServer
    env: dict[str, str]
    secret: str
    forms: ModuleType
    drill: ModuleType
    jobs: ModuleType
    core: ModuleType
    hq: ModuleType
    mail_offset: int

    @property
    def runtime(self) -> aws.Runtime:
        runtime: aws.Runtime = self.forms.RUNTIME
        return runtime

    @property
    def clock(self) -> FixedClock:
        clock = self.runtime.clock
        assert isinstance(clock, FixedClock)
        return clock

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """What SES accepted during this test, oldest first (optionally only to one address)."""
        found = []
        for sent in self.moto.sent_emails()[self.mail_offset :]:
            if to is not None and to not in sent.get("destinations", []):
                continue
            parsed = email.message_from_string(sent["raw_data"], policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
        return found

    def api(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.forms.handler(http_event(method, path, **options), Context())
        return response

    def track(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        response: dict[str, Any] = self.drill.handler(http_event(method, path, **options), Context())
        return response
