"""The drill service's own mails (templates in `drill_sender/mail/<name>/`), with what every one of
them shows: the organisation and the site's address."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from campaign_core.content import load_yaml
from campaign_core.deps import Deps
from campaign_core.mail import compose

MAIL_DIR = Path(__file__).resolve().parent.parent / "mail"


def service_mail(
    deps: Deps,
    name: str,
    *,
    to: str,
    values: Mapping[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The mail `name` to `to`, from the campaign's address, rendered with `values`."""
    return compose(
        MAIL_DIR,
        name,
        to=to,
        sender=deps.settings.mail_from,
        values={
            **values,
            **deps.membership_values(),
            "organisation": load_yaml(deps.settings.content_dir, "organisation") or {},
            "site_url": f"{deps.settings.base_url.rstrip('/')}/",
        },
        attachments=attachments,
        now=deps.clock.now(),
        headers=headers,
    )
