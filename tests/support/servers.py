"""Real servers for tests, reusable by every suite: a moto server process and an SMTP server.

`MotoServer` runs `moto_server` (from the venv, next to `sys.executable`) on a free loopback port
as a subprocess, waits until it answers, and stops it. `SMTPServer` runs aiosmtpd on a free
loopback port in a thread and keeps every message it accepts; recipients named `tempfail@...` get a
451 reply and `reject...@...` a 550, so clients can be tested against both kinds of refusal, and
further faults (deferrals, hang-ups) can be turned on per test (`FaultyHandler`).

Use them through the session fixtures in `tests/conftest.py` (`moto_server`, `smtp_server`, and
`smtp`: the session SMTP server, cleared for each test), or directly:

    with MotoServer() as moto:
        client = boto3.client("dynamodb", endpoint_url=moto.endpoint, **MOTO_CREDENTIALS)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from campaign_core.mail.smtp import SMTPMailer
from campaign_core.settings import PROJECT_ROOT

MOTO_REGION = "ap-northeast-1"
MOTO_CREDENTIALS = {
    "region_name": MOTO_REGION,
    "aws_access_key_id": "testing",
    "aws_secret_access_key": "testing",  # moto accepts any key
}
# The same, as environment variables, for code that builds its own clients (the adapters).
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": MOTO_REGION,
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# `moto_server`'s own entry point, with Werkzeug's threads turned off. moto checks a condition and
# then writes without a lock, so on the threaded server two concurrent conditional writes can both
# succeed (seen: 22 of 50 concurrent "+1 if below 20" increments won). Real DynamoDB serialises writes
# per item; one request at a time gives the same guarantee, while our 50 client threads stay concurrent.
_SERIAL_MOTO = """
import sys
import moto.server

_run_simple = moto.server.run_simple


def _serial(*args, **kwargs):
    kwargs["threaded"] = False
    _run_simple(*args, **kwargs)


moto.server.run_simple = _serial
moto.server.main(sys.argv[1:])
"""


class _Server(ABC):
    """`with Server() as server:` starts it and always stops it."""

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class MotoServer(_Server):
    """A moto server subprocess on 127.0.0.1; all AWS services on one endpoint.

    `serial=True` (the default) runs `moto_server`'s main one request at a time (see above);
    `serial=False` runs the `moto_server` script from the venv as it is.
    """

    def __init__(self, startup_timeout: float = 30.0, *, serial: bool = True) -> None:
        self.serial = serial
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._started = False
        self._log = tempfile.NamedTemporaryFile(prefix="moto-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def log_path(self) -> Path:
        return Path(self._log.name)

    def start(self) -> None:
        binary = Path(sys.executable).parent / "moto_server"
        if not binary.exists():
            raise RuntimeError(f"{binary} is missing: install the dev dependencies (moto[server])")
        command = [sys.executable, "-c", _SERIAL_MOTO] if self.serial else [str(binary)]
        for _ in range(3):  # another process may grab the free port before moto binds it
            self._process = subprocess.Popen(
                [*command, "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline and self._process.poll() is None:
                with (
                    contextlib.suppress(OSError),
                    urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1),
                ):
                    self._started = True
                    return
                time.sleep(0.1)
            if self._process.poll() is None:
                break  # running but silent: retrying will not help
            self.port = free_port()
            self.endpoint = f"http://127.0.0.1:{self.port}"
        self.stop()
        raise RuntimeError(f"moto_server did not start within {self.startup_timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None
        self._log.close()
        if self._started:  # keep the log only when the server failed to start
            self.log_path.unlink(missing_ok=True)

    def reset(self) -> None:
        """Forget every resource and every sent mail (`POST /moto-api/reset`)."""
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def data(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=10) as response:
            loaded: dict[str, Any] = json.loads(response.read())
            return loaded

    def sent_emails(self) -> list[dict[str, Any]]:
        """What SES "sent": moto keeps each message (raw ones as `raw_data`) in its backend."""
        with urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=10) as response:
            payload = json.loads(response.read())
        ses = payload.get("ses", {})
        sent: list[dict[str, Any]] = ses.get("RawMessage", []) + ses.get("Message", [])
        return sent


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class FaultyHandler:
    """Accepts mail like a relay and keeps what it accepts, with faults on command:
    `tempfail@…` gets 451 and `reject…@` 550; `defer[address] = n` answers 451 n times; while
    `hang_up` is set the server closes the connection instead of answering DATA (a relay that goes
    away mid-run), and `hang_up_after = n` sets `hang_up` once n mails were accepted. `peers` notes
    the client's address of every accepted mail (one per connection); with `close_after = n` the
    server hangs up right after accepting the n-th mail, while the client is idle."""

    received: list[ReceivedMail] = field(default_factory=list)
    defer: dict[str, int] = field(default_factory=dict)
    hang_up: bool = False
    hang_up_after: int | None = None
    peers: list[tuple[str, int]] = field(default_factory=list)
    close_after: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget every mail and every fault (the session server, between tests)."""
        with self.lock:
            self.received.clear()
            self.defer.clear()
            self.peers.clear()
            self.hang_up = False
            self.hang_up_after = None
            self.close_after = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        local = address.split("@", 1)[0].lower()
        with self.lock:
            if local == "tempfail":
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            if local.startswith("reject"):
                return "550 5.1.1 No such user here"
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""  # the bytes as they arrived
        with self.lock:
            if self.hang_up:
                assert server.transport is not None
                server.transport.close()
                return "421 4.3.2 Closing"
            self.received.append(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), content))
            self.peers.append(tuple(session.peer))  # type: ignore[arg-type]
            if self.hang_up_after is not None and len(self.received) >= self.hang_up_after:
                self.hang_up = True
            if self.close_after is not None and len(self.peers) == self.close_after:
                transport = server.transport
                assert transport is not None
                asyncio.get_running_loop().call_later(0.05, transport.close)  # after our 250
        return "250 Message accepted for delivery"


def self_signed_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A throwaway certificate for `host` (as an IP SAN) and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class SMTPServer(_Server):
    """An aiosmtpd server on 127.0.0.1 (its own thread) that collects what it accepts.

    With `tls=True` it offers STARTTLS with a fresh self-signed certificate (`ca_file`, for the
    client to trust) and refuses mail until the client has switched to TLS.
    """

    def __init__(self, *, tls: bool = False) -> None:
        self.handler = FaultyHandler()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.ca_file: Path | None = None
        self._cert_dir: tempfile.TemporaryDirectory[str] | None = None
        kwargs: dict[str, Any] = {}
        if tls:
            self._cert_dir = tempfile.TemporaryDirectory(prefix="smtp-tls-")
            cert_file, key_file = self_signed_certificate(Path(self._cert_dir.name), self.host)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert_file, key_file)
            kwargs = {"tls_context": context, "require_starttls": True}
            self.ca_file = cert_file
        self._controller = Controller(self.handler, hostname=self.host, port=self.port, **kwargs)

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    def clear(self) -> None:
        """Forget every mail and every fault (see `FaultyHandler.reset`)."""
        self.handler.reset()

    def recipients(self) -> list[str]:
        return sorted(address for mail in self.received for address in mail.rcpt_tos)

    def mailer(self) -> SMTPMailer:
        return SMTPMailer(self.host, self.port, timeout=10)

    def start(self) -> None:
        self._controller.start()  # returns once the server answers

    def stop(self) -> None:
        self._controller.stop()
        if self._cert_dir is not None:
            self._cert_dir.cleanup()


# The drill tests' name for it: the same server, whose faults they turn on.
FaultySMTPServer = SMTPServer


def wait_for(predicate: Any, timeout: float = 5.0) -> None:
    """Poll until `predicate()` is truthy (mail arrives asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def start_local_server(env: Mapping[str, str]) -> subprocess.Popen[str]:
    """`python -m local.serve` (what `make run` starts) in a process of its own, from the repository
    root with `env`; its output and errors in one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "local.serve"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_python(args: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """`python ARGS` from the repository root with `env`, asserted to exit 0 (else its errors)."""
    result = subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result


__all__ = [
    "MOTO_CREDENTIALS",
    "MOTO_ENV",
    "MOTO_REGION",
    "FaultyHandler",
    "FaultySMTPServer",
    "MotoServer",
    "ReceivedMail",
    "SMTPServer",
    "free_port",
    "run_python",
    "start_local_server",
    "wait_for",
]
