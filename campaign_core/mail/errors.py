"""How a send failed: worth retrying later, or not."""

from __future__ import annotations


class MailError(Exception):
    """A message could not be handed over."""


class TransientMailError(MailError):
    """Try again later: SMTP 4xx, a dropped or refused connection, a timeout, SES throttling."""


class PermanentMailError(MailError):
    """Retrying will not help: SMTP 5xx, a rejected sender or recipient, a bad configuration."""


class HeaderInjectionError(ValueError):
    """A header value carried CR or LF (someone tried to add headers or recipients)."""
