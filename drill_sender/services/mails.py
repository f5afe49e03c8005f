"""The drill service's own mails (templates in `drill_sender/mail/<name>/`), with what every one of
them shows and carries: the organisation, the site's address, the allow-listing guide's, and the
headers of a mail sent by a program with replies to the secretariat."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Unpack

from campaign_core.deps import Deps, MailParts

MAIL_DIR = Path(__file__).resolve().parent.parent / "mail"


def service_mail(deps: Deps, name: str, **parts: Unpack[MailParts]) -> EmailMessage:
    """The mail `name` (a template of `drill_sender/mail/`) as `Deps.service_mail` composes it."""
    return deps.service_mail(MAIL_DIR, name, **parts)
