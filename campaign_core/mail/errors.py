"""How a send failed: for this message, worth retrying later or not; or for the whole account.

The line between the last two is what issue 10 asks for: a relay that refuses our login, an SES
account that is paused, in the sandbox or throttled, or a sender identity nobody verified fails
every message the same way. Marking each one failed would silently lose a whole drill, so those
raise `AccountMailError`: the run stops and every message stays scheduled for a later run.
"""

from __future__ import annotations


class MailError(Exception):
    """A message could not be handed over."""


class TransientMailError(MailError):
    """This message, try again later: SMTP 4xx for the recipient or the data, a hang-up mid-message."""


class PermanentMailError(MailError):
    """This message will never go: SMTP 5xx for the recipient or the data, an invalid or suppressed
    address, content the provider refuses."""


class AccountMailError(MailError):
    """Nothing can be sent now, whatever the message: the relay is unreachable or refuses our login
    or sender, SES denies access, is paused, throttles, or has not verified the sender (or, in the
    sandbox, the recipient). `reason` is a short stable code for logs and alarms."""

    def __init__(self, text: str, *, reason: str) -> None:
        super().__init__(text)
        self.reason = reason


class HeaderInjectionError(ValueError):
    """A header value carried CR or LF (someone tried to add headers or recipients)."""
