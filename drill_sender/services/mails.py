"""The drill service's own mails (templates in `drill_sender/mail/<name>/`), with what every one of
them shows and carries: the organisation, the site's address, the allow-listing guide's, and the
headers of a mail sent by a program with replies to the secretariat."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from campaign_core.deps import Deps

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
    """The mail `name` to `to`, from the campaign's address, rendered with `values` and what every
    service mail has (`Deps.mail_values`, `Deps.service_headers`)."""
    return deps.service_mail(MAIL_DIR, name, to=to, values=values, attachments=attachments, headers=headers)
