"""The SMTP adapter: any relay (the campaign's own, a provider's), STARTTLS and login optional."""

from __future__ import annotations

import select
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from campaign_core.mail.errors import AccountMailError, PermanentMailError, TransientMailError
from campaign_core.settings import SmtpSettings

_TRUE = {"1", "true", "yes", "on"}


def _by_code(code: int, text: str) -> TransientMailError | PermanentMailError:
    """RFC 5321: 4xx means "try again later", 5xx means "this will not work"."""
    if 400 <= code < 500:
        return TransientMailError(f"SMTP {code}: {text}")
    return PermanentMailError(f"SMTP {code}: {text}")


class _Connection(threading.local):
    client: smtplib.SMTP | None = None
    sessions = 0


class SMTPMailer:
    """One connection per message, or one for a whole batch inside `with mailer.session():`.

    In a session the connection stays open between messages. Before each message a connection the
    relay has closed or is closing (it hung up, or sent 421 while idle) is replaced by a new one,
    since nothing of that message was sent yet. Any failure during a message closes the
    connection, and the next message opens a fresh one. A failure for the message (4xx or a drop:
    TransientMailError; 5xx: PermanentMailError) lets the caller retry or record it; a failure to
    reach, log in or send as our sender (or a 421) is the relay's, so `AccountMailError`.
    """

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
        self._local = _Connection()  # per thread: threads sharing this mailer never share a socket

    @classmethod
    def from_settings(cls, smtp: SmtpSettings) -> SMTPMailer:
        """The relay of `Settings.smtp` (`CAMPAIGN_SMTP_*`)."""
        ca_file = smtp.ca_file
        return cls(
            smtp.host,
            smtp.port,
            starttls=smtp.starttls,
            username=smtp.user,
            password=smtp.password,
            timeout=smtp.timeout,
            ssl_context=ssl.create_default_context(cafile=ca_file) if ca_file else None,
        )

    @contextmanager
    def session(self) -> Iterator[SMTPMailer]:
        """Keep one connection open for every send inside the block (nested blocks share it)."""
        local = self._local
        local.sessions += 1
        try:
            yield self
        finally:
            local.sessions -= 1
            if not local.sessions:
                self._close(polite=True)

    def send(self, message: EmailMessage) -> str:
        self._deliver(lambda client: client.send_message(message))
        return str(message.get("Message-ID", ""))

    def _open(self) -> smtplib.SMTP:
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            client.ehlo()
            if self.starttls:
                client.starttls(context=self.ssl_context or ssl.create_default_context())
                client.ehlo()
            if self.username:
                client.login(self.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def _connection(self) -> smtplib.SMTP:
        client = self._local.client
        if client is not None and not _idle_and_open(client):
            self._close(polite=False)
            client = None
        if client is None:
            client = self._open()
            if self._local.sessions:
                self._local.client = client
        return client

    def _close(self, *, polite: bool) -> None:
        client, self._local.client = self._local.client, None
        if client is not None:
            _finish(client, polite=polite)

    def _deliver(self, action: Callable[[smtplib.SMTP], dict[str, tuple[int, bytes]]]) -> None:
        client: smtplib.SMTP | None = None
        done = False
        try:
            client = self._reach()
            refused = action(client)
            done = True
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            if any(code == 421 for code, _ in replies):
                raise AccountMailError(
                    f"the relay is closing: {error.recipients}", reason="relay_closing"
                ) from error
            if replies and all(400 <= code < 500 for code, _ in replies):
                raise TransientMailError(f"recipients deferred: {error.recipients}") from error
            raise PermanentMailError(f"recipients refused: {error.recipients}") from error
        except smtplib.SMTPSenderRefused as error:
            # Our own envelope sender (530 log in first, 550 not allowed to send as): every message alike.
            raise AccountMailError(
                f"the relay refuses the sender: SMTP {error.smtp_code} {_text(error)}",
                reason="sender_refused",
            ) from error
        except smtplib.SMTPResponseException as error:  # DATA refused (552 too big, 554 content), 421
            if error.smtp_code == 421:
                raise AccountMailError(f"SMTP 421: {_text(error)}", reason="relay_closing") from error
            raise _by_code(error.smtp_code, _text(error)) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            # We had a connection, then lost it during this message: its fate is in doubt, retry it.
            raise TransientMailError(f"the relay {self.host}:{self.port} hung up: {error}") from error
        except smtplib.SMTPException as error:
            raise PermanentMailError(f"SMTP error: {error}") from error
        finally:
            if client is not None and client is not self._local.client:
                _finish(client, polite=done)  # a one-off connection
            elif not done:
                self._close(polite=False)  # after a failure the session's connection is in doubt
        if refused:  # some recipients accepted, some not (we send to one, so rarely seen)
            raise _by_code(min(code for code, _ in refused.values()), f"refused: {refused}")

    def _reach(self) -> smtplib.SMTP:
        """The connection for the next message. Anything that fails before a message is under way
        (no route, refused, TLS, login, a relay that closes at once) fails every message alike."""
        where = f"{self.host}:{self.port}"
        try:
            return self._connection()
        except smtplib.SMTPAuthenticationError as error:
            raise AccountMailError(f"the relay {where} refused our login: {error}", reason="auth") from error
        except smtplib.SMTPNotSupportedError as error:
            text = f"the relay {where} does not support what we asked: {error}"
            raise AccountMailError(text, reason="relay_unsupported") from error
        except ssl.SSLCertVerificationError as error:
            text = f"the relay's TLS certificate is not trusted: {error}"
            raise AccountMailError(text, reason="tls_untrusted") from error
        except (smtplib.SMTPException, OSError) as error:  # refused, reset, DNS, timeout, 421 at greeting
            text = f"SMTP connection to {where} failed: {error}"
            raise AccountMailError(text, reason="relay_unreachable") from error


def _text(error: smtplib.SMTPResponseException) -> str:
    return error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""


def _idle_and_open(client: smtplib.SMTP) -> bool:
    """True if the relay has said nothing since its last reply: no 421, no hang-up pending."""
    sock = client.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed, or a descriptor select() cannot watch: start afresh
        return False
    return not readable


def _finish(client: smtplib.SMTP, *, polite: bool) -> None:
    try:
        if polite:
            client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()
