"""E-mail addresses: syntax check (email-validator, no DNS), address lists, shared mail domains.

The drill must never be a way to mail strangers: an address is trusted for drill mail only when it
is in the officer's own company domain or has confirmed by its own link. Free-mail and consumer ISP
domains are shared by strangers, so being "in the same domain" there proves nothing.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from campaign_core.normalize import nfkc

MAX_EMAIL_LENGTH = 254

# Domains where unrelated people hold addresses (free mail, carriers, consumer ISPs). A subdomain
# counts too (e.g. `xx.ocn.ne.jp`).
SHARED_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.co.jp", "ymail.ne.jp", "yahoo.com", "outlook.jp",
        "outlook.com", "hotmail.com", "hotmail.co.jp", "live.jp", "live.com", "msn.com", "icloud.com",
        "me.com", "mac.com", "aol.com", "aol.jp", "proton.me", "protonmail.com", "zoho.com",
        "gmx.com", "mail.com", "yandex.com", "excite.co.jp", "goo.jp", "mail.goo.ne.jp",
        "docomo.ne.jp", "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp",
        "ymobile.ne.jp", "rakuten.jp", "uqmobile.jp", "ocn.ne.jp", "nifty.com", "biglobe.ne.jp",
        "so-net.ne.jp", "plala.or.jp", "dion.ne.jp", "zaq.ne.jp", "infoweb.ne.jp", "odn.ne.jp",
        "eonet.ne.jp", "commufa.jp", "bb.excite.co.jp", "jcom.home.ne.jp", "hi-ho.ne.jp",
    }
)  # fmt: skip

# One address per line; commas, semicolons, the ideographic comma and spaces of both widths are
# tolerated as separators too (NFKC has already turned full-width ones into ASCII).
_LIST_SEPARATORS_RE = re.compile(r"[\s,;、]+")


class InvalidEmail(ValueError):
    pass


def check_email(text: str) -> str:
    """A normalised address (NFKC, domain lower-cased) or `InvalidEmail`. Syntax only: no DNS."""
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
    domain = domain.lower()
    return any(domain == shared or domain.endswith("." + shared) for shared in SHARED_MAIL_DOMAINS)


def in_domain(address: str, domain: str) -> bool:
    """True if the address is in `domain` or one of its subdomains."""
    own = domain_of(address)
    domain = domain.lower()
    return own == domain or own.endswith("." + domain)


def split_address_list(text: str) -> list[str]:
    """The raw entries of a list field, in order, empty ones dropped."""
    return [part for part in _LIST_SEPARATORS_RE.split(nfkc(text)) if part]


def dedupe_key(address: str) -> str:
    """Addresses that differ only in the case of the domain are the same mailbox."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"
