"""What every service of both apps takes (store, mailer, clock, settings) and the small rules they
share: timestamps, signed links, mails; the per-setting reads come from the typed `Settings`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Required, TypedDict, Unpack
from urllib.parse import urlencode

from campaign_core.clock import Clock
from campaign_core.content import Organisation, organisation
from campaign_core.mail import Mailer, MailError, compose, parse_address
from campaign_core.mail.log import log_send_failed
from campaign_core.membership import membership
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.tokens import Signer

MAX_BACKOFF = timedelta(hours=2)  # the longest wait between two attempts at one drill mail
# The allow-listing guide for the officer's mail administrator, served by the tracking app from
# this deployment's settings (drill_sender/allowlist.py); every service mail may link it.
ALLOWLIST_PATH = "/t/allowlist/"


class MailParts(TypedDict, total=False):
    """What a service mail is made of besides its template (`Deps.service_mail`)."""

    to: Required[str]
    values: Required[Mapping[str, Any]]
    attachments: Sequence[tuple[str, bytes, str]]
    headers: Mapping[str, str] | None


@dataclass(frozen=True)
class Deps:
    store: Store
    mailer: Mailer
    clock: Clock
    settings: Settings
    # Pacing uses its own monotonic time and sleep, so tests can pace without waiting.
    monotonic: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)

    @property
    def signer(self) -> Signer:
        return Signer(self.settings.secret_key, self.clock)

    def now(self) -> datetime:
        return self.clock.now().astimezone(UTC)

    # -- links ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The site's address without a trailing slash."""
        return self.settings.base_url.rstrip("/")

    def link(self, path: str, **query: str) -> str:
        return f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")

    def signed_link(self, path: str, purpose: str, payload: Any) -> str:
        """`<base_url><path>/<token>`: a link carrying `payload` signed for `purpose`."""
        return f"{self.base_url}{path.rstrip('/')}/{self.signer.sign(purpose, payload)}"

    # -- mail -------------------------------------------------------------------------------------

    def organisation(self) -> Organisation:
        return organisation(self.settings.content_dir)

    def membership_values(self) -> dict[str, Any]:
        """`membership` (content/membership.yml) and `membership_url`, for every mail and page that
        offers membership (the partials `_membership.*` of both apps)."""
        offer = membership(self.settings.content_dir)
        return {"membership": offer, "membership_url": self.link("/" + offer.path)}

    def mail_values(self) -> dict[str, Any]:
        """What every service mail's template may show: the organisation, the site, the guide for
        letting the drill's mail through."""
        return {
            "organisation": self.organisation(),
            "site_url": self.link("/"),
            "allowlist_url": self.link(ALLOWLIST_PATH),
            **self.membership_values(),
        }

    def service_headers(self) -> dict[str, str]:
        """The headers of every mail that is not a drill mail: `Auto-Submitted` (RFC 3834: sent by a
        program, so no out-of-office reply comes back) and replies going to the secretariat's
        address (content/organisation.yml) rather than the sending one."""
        headers = {"Auto-Submitted": "auto-generated"}
        secretariat = self.organisation()
        if secretariat.email:
            headers["Reply-To"] = str(
                Address(display_name=secretariat.secretariat, addr_spec=secretariat.email)
            )
        return headers

    def service_mail(self, templates: Path, name: str, **parts: Unpack[MailParts]) -> EmailMessage:
        """Mail template `name` from `templates` to `parts["to"]`, from the campaign's address,
        rendered with its `values` and what every service mail has (`mail_values()`,
        `service_headers()`)."""
        return compose(
            templates,
            name,
            to=parts["to"],
            sender=self.settings.mail_from,
            values={**parts["values"], **self.mail_values()},
            attachments=parts.get("attachments", ()),
            now=self.clock.now(),
            headers={**self.service_headers(), **(parts.get("headers") or {})},
        )

    def send_mail(
        self,
        templates: Path,
        name: str,
        *,
        to: str,
        values: Mapping[str, Any],
        attachments: Sequence[tuple[str, bytes, str]] = (),
    ) -> str:
        """Compose mail template `name` from `templates` (`service_mail`) and send it; the
        mailer's message id. A failure is logged (`send_failed`) and raised."""
        message = self.service_mail(templates, name, to=to, values=values, attachments=attachments)
        try:
            return self.mailer.send(message)
        except MailError as exc:
            log_send_failed(str(message["Message-ID"]), str(exc), template=name)
            raise

    # -- the forms' settings ----------------------------------------------------------------------

    @property
    def confirm_window(self) -> timedelta:
        """`CAMPAIGN_CLAIM_HOURS`: how long an unconfirmed application holds its office and its link
        stays valid."""
        return self.settings.forms.confirm_window

    # -- the drill sender's settings --------------------------------------------------------------

    @property
    def rate(self) -> float:
        """`CAMPAIGN_SEND_RATE`: messages per second (0 or less: no pacing)."""
        return self.settings.send.rate

    @property
    def lease(self) -> timedelta:
        """`CAMPAIGN_SEND_LEASE_SECONDS`: how long a claim holds before another run may retry it."""
        return self.settings.send.lease

    @property
    def max_attempts(self) -> int:
        return self.settings.send.max_attempts

    @property
    def backoff(self) -> timedelta:
        """`CAMPAIGN_SEND_BACKOFF_SECONDS`: the first retry's wait; doubled after each failure."""
        return self.settings.send.backoff

    @property
    def tracking_max_age(self) -> timedelta:
        """`CAMPAIGN_TRACKING_DAYS`: how long the links of a drill mail are recorded."""
        return self.settings.send.tracking_max_age

    @property
    def drill_domain(self) -> str:
        """`CAMPAIGN_DRILL_DOMAIN`: the drill mails' sending domain (default: that of `mail_from`)."""
        return self.settings.send.drill_domain or parse_address(self.settings.mail_from, header="From").domain

    @property
    def report_address(self) -> str:
        """`CAMPAIGN_REPORT_ADDRESS`: where participants forward drill mails (default: report@ the
        drill domain); the local server's SMTP listener or SES receiving takes them."""
        return self.settings.send.report_address or f"report@{self.drill_domain}"
