"""The SMTP adapter: any relay (the campaign's own, a provider's), STARTTLS and login optional."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage

from campaign_core.mail.errors import PermanentMailError, TransientMailError

_TRUE = {"1", "true", "yes", "on"}


def _by_code(code: int, text: str) -> TransientMailError | PermanentMailError:
    """RFC 5321: 4xx means "try again later", 5xx means "this will not work"."""
    if 400 <= code < 500:
        return TransientMailError(f"SMTP {code}: {text}")
    return PermanentMailError(f"SMTP {code}: {text}")


class SMTPMailer:
    """One connection per message: simple, and nothing stale to recover after a relay restarts."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout
        self.ssl_context = ssl_context

    @classmethod
    def from_settings_extra(cls, extra: Mapping[str, str]) -> SMTPMailer:
        """`CAMPAIGN_SMTP_HOST`, `_PORT` (25), `_STARTTLS` (1/0), `_USER`, `_PASSWORD`, `_TIMEOUT`,
        `_CA_FILE` (trust a private relay's certificate authority, in PEM)."""
        ca_file = extra.get("CAMPAIGN_SMTP_CA_FILE")
        return cls(
            extra.get("CAMPAIGN_SMTP_HOST", "127.0.0.1"),
            int(extra.get("CAMPAIGN_SMTP_PORT", "25")),
            starttls=extra.get("CAMPAIGN_SMTP_STARTTLS", "").strip().lower() in _TRUE,
            username=extra.get("CAMPAIGN_SMTP_USER") or None,
            password=extra.get("CAMPAIGN_SMTP_PASSWORD") or None,
            timeout=float(extra.get("CAMPAIGN_SMTP_TIMEOUT", "30")),
            ssl_context=ssl.create_default_context(cafile=ca_file) if ca_file else None,
        )

    def send(self, message: EmailMessage) -> str:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.ehlo()
                if self.starttls:
                    client.starttls(context=self.ssl_context or ssl.create_default_context())
                    client.ehlo()
                if self.username:
                    client.login(self.username, self.password or "")
                refused = client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            if replies and all(400 <= code < 500 for code, _ in replies):
                raise TransientMailError(f"recipients deferred: {error.recipients}") from error
            raise PermanentMailError(f"recipients refused: {error.recipients}") from error
        except smtplib.SMTPNotSupportedError as error:
            raise PermanentMailError(f"the relay does not support what we asked: {error}") from error
        except smtplib.SMTPResponseException as error:
            # Sender refused, DATA refused, authentication failed, 421 service closing, ...
            text = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
            raise _by_code(error.smtp_code, text) from error
        except smtplib.SMTPServerDisconnected as error:
            raise TransientMailError(f"the relay {self.host}:{self.port} hung up: {error}") from error
        except smtplib.SMTPException as error:  # e.g. no authentication method in common
            raise PermanentMailError(f"SMTP error: {error}") from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentMailError(f"the relay's TLS certificate is not trusted: {error}") from error
        except OSError as error:
            # Connection refused or reset, DNS failure, timeout, TLS failure: may work later.
            raise TransientMailError(f"SMTP connection to {self.host}:{self.port} failed: {error}") from error
        if refused:  # some recipients accepted, some not (we send to one, so rarely seen)
            raise _by_code(min(code for code, _ in refused.values()), f"refused: {refused}")
        return str(message.get("Message-ID", ""))
