"""Company mail domains staff have checked: the only domains whose addresses need no confirmation.

Being in the officer's domain proves nothing by itself: the officer proved one mailbox, and in a
free-mail or ISP domain (ybb.ne.jp, auone-net.jp, qq.com, ...) the other mailboxes are strangers'.
No list of such domains is complete, so no domain is trusted for being missing from one: a domain
is trusted only after branch staff checked that it is the applying company's own
(`campaign company-domain add`), and never when it is a known free-mail domain. A direct get by
key on each application; nothing is listed on a request path.
"""

from __future__ import annotations

from campaign_core.clock import Clock, iso
from campaign_core.emails import is_shared_domain
from campaign_core.records import CHECKED_DOMAIN
from campaign_core.store import Store


class SharedDomain(ValueError):
    """The domain is a known free-mail domain: its addresses are never trusted."""


def clean_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".").removeprefix("@")


def is_checked(store: Store, domain: str) -> bool:
    """Whether staff checked `domain` and it is no free-mail domain (the list may have grown)."""
    domain = clean_domain(domain)
    return bool(domain) and not is_shared_domain(domain) and store.get(CHECKED_DOMAIN, domain) is not None


def add_checked(store: Store, clock: Clock, domain: str, *, note: str = "") -> bool:
    """Record a checked domain (False when it was already); `SharedDomain` for a free-mail one."""
    domain = clean_domain(domain)
    if not domain or "." not in domain:
        raise ValueError(f"not a domain: {domain!r}")
    if is_shared_domain(domain):
        raise SharedDomain(domain)
    return store.put_new(CHECKED_DOMAIN, domain, {"checked_at": iso(clock.now()), "note": note})


def remove_checked(store: Store, domain: str) -> None:
    store.delete(CHECKED_DOMAIN, clean_domain(domain))
