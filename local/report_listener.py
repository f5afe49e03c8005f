"""The local report address: an SMTP listener (aiosmtpd) that the local server starts, taking the
drill mails participants forward and recording them as reports (SES receiving does it on AWS)."""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from campaign_core.deps import Deps
from drill_sender.inbound import MAX_BYTES, record_report

log = logging.getLogger(__name__)


class _Handler:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() != self.deps.report_address.lower():
            return "550 5.1.1 This server only takes drill reports"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            result = record_report(self.deps, bytes(raw))
        except Exception:  # a store hiccup must not make the sender's mail bounce
            log.exception("could not record a forwarded report")
            return "451 4.3.0 Please try again later"
        log.info("forwarded report: %s", result.status)
        # Unmatched mail is accepted and dropped: a bounce would only confuse the person reporting.
        return "250 Thank you for reporting"


class InboundServer:
    """The local report address: an SMTP listener on `host:port` in its own thread."""

    def __init__(self, deps: Deps, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.host, self.port = host, port
        self._controller = Controller(
            _Handler(deps), hostname=host, port=port, data_size_limit=MAX_BYTES, ready_timeout=10
        )

        self.running = False

    def start(self) -> None:
        self._controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self._controller.stop()
            self.running = False
