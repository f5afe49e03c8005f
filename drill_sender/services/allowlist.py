"""The facts of the allow-listing guide (`GET /t/allowlist/`), from this deployment's settings.

The guide tells an officer's mail administrator exactly what to let through, so it must show what
this deployment sends with (its settings, read when the page is asked for), not what the machine
that built the site had: that is why the tracking app serves it instead of the static site.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from campaign_core.deps import Deps
from campaign_core.mail import parse_address

SES_DEFAULT_MAIL_FROM = "amazonses.com"


@dataclass(frozen=True)
class AllowlistFacts:
    drill_domain: str  # the From domain of drill mails
    service_domain: str  # the From domain of the campaign's own mails (confirmations, reports)
    dkim_domains: tuple[str, ...]
    mail_from_domains: tuple[str, ...]  # the envelope sender (Return-Path)
    mail_from_is_providers: bool  # SES's own domain: no custom MAIL FROM set up
    sending_ips: tuple[str, ...]  # empty: a shared pool that changes
    provider: str  # "ses" | "smtp" | "outbox"
    tracking_host: str
    simulation_urls: tuple[str, ...]
    report_address: str

    @property
    def sender_domains(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.drill_domain, self.service_domain)))


def allowlist_facts(deps: Deps) -> AllowlistFacts:
    settings = deps.settings
    delivery = settings.delivery
    drill_domain = deps.drill_domain.lower()
    service_domain = parse_address(settings.mail_from, header="From").domain.lower()
    senders = tuple(dict.fromkeys((drill_domain, service_domain)))
    dkim = (delivery.dkim_domain,) if delivery.dkim_domain else senders
    if delivery.mail_from_domain:
        mail_from: tuple[str, ...] = (delivery.mail_from_domain,)
    elif settings.mail_backend == "ses":
        mail_from = (SES_DEFAULT_MAIL_FROM,)
    else:
        mail_from = senders
    host = urlsplit(settings.base_url).netloc.lower()
    return AllowlistFacts(
        drill_domain=drill_domain,
        service_domain=service_domain,
        dkim_domains=dkim,
        mail_from_domains=mail_from,
        mail_from_is_providers=mail_from == (SES_DEFAULT_MAIL_FROM,),
        sending_ips=delivery.sending_ips,
        provider=settings.mail_backend,
        tracking_host=host,
        simulation_urls=(f"{host}/t/*",),
        report_address=deps.report_address,
    )
