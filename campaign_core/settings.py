"""One frozen settings object, loaded once at the edge (server, Lambda entry, CLI)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_TRUE = ("1", "true", "yes", "on")
_T = TypeVar("_T")
_LIMIT_OFF = ("off", "0", "none", "")
# Generous per address: a whole company behind one NAT address may sign up for a seminar at once.
DEFAULT_CLIENT_LIMIT = "30 per minute;500 per day"
DEFAULT_EMAIL_LIMIT = "5 per hour;20 per day"
# Per confirmation link: the person who holds it presses its button a few times at most.
DEFAULT_TOKEN_LIMIT = "10 per hour"  # noqa: S105 - a rate limit, not a password


@dataclass(frozen=True)
class SmtpSettings:
    """`CAMPAIGN_SMTP_HOST`, `_PORT` (25), `_STARTTLS` (1/0), `_USER`, `_PASSWORD`, `_TIMEOUT`,
    `_CA_FILE` (trust a private relay's certificate authority, in PEM)."""

    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None


@dataclass(frozen=True)
class AwsSettings:
    """`CAMPAIGN_AWS_ENDPOINT_URL`, `CAMPAIGN_AWS_REGION`, `CAMPAIGN_SES_REGION` (else the AWS
    region), `CAMPAIGN_SES_CONFIGURATION_SET` (optional: event publishing for bounces and
    complaints), `CAMPAIGN_DYNAMODB_TABLE`, `CAMPAIGN_INBOUND_BUCKET`, `CAMPAIGN_INBOUND_PREFIX`,
    `CAMPAIGN_ORIGIN_VERIFY` (the header CloudFront adds; empty: no check)."""

    endpoint_url: str | None = None
    region: str | None = None
    ses_region: str | None = None
    ses_configuration_set: str | None = None
    dynamodb_table: str = "campaign"
    inbound_bucket: str = ""
    inbound_prefix: str = "inbound/"
    origin_verify: str = ""


@dataclass(frozen=True)
class SendSettings:
    """The drill sender's pacing and retries."""

    # `CAMPAIGN_SEND_RATE`: messages per second (0 or less: no pacing); a shared relay or the SES
    # sandbox allows far fewer than 50.
    rate: float = 5.0
    # `CAMPAIGN_SEND_LEASE_SECONDS`: how long a claim holds; far longer than one SMTP send (30 s).
    lease_seconds: float = 600.0
    max_attempts: int = 8  # `CAMPAIGN_SEND_MAX_ATTEMPTS`
    backoff_seconds: float = 60.0  # `CAMPAIGN_SEND_BACKOFF_SECONDS`: the first retry's wait
    tracking_days: int = 90  # `CAMPAIGN_TRACKING_DAYS`: how long a drill mail's links are recorded
    drill_domain: str = ""  # `CAMPAIGN_DRILL_DOMAIN` (empty: the domain of `mail_from`)
    report_address: str = ""  # `CAMPAIGN_REPORT_ADDRESS` (empty: report@ the drill domain)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def backoff(self) -> timedelta:
        return timedelta(seconds=self.backoff_seconds)

    @property
    def tracking_max_age(self) -> timedelta:
        return timedelta(days=self.tracking_days)


@dataclass(frozen=True)
class FormSettings:
    """The forms app: `CAMPAIGN_CLAIM_HOURS`, `CAMPAIGN_MAINTENANCE`, `CAMPAIGN_PROXIES`,
    `CAMPAIGN_RATE_LIMIT_STORAGE`, `CAMPAIGN_RATE_LIMIT_CLIENT`, `CAMPAIGN_RATE_LIMIT_EMAIL`,
    `CAMPAIGN_RATE_LIMIT_TOKEN` (a limit of off / 0 / none / empty: no limit),
    `CAMPAIGN_MAILS_PER_ADDRESS_DAY`."""

    claim_hours: int = 72
    maintenance: str = ""
    proxies: int = 0  # how many proxies to trust for X-Forwarded-For (0 locally)
    # Abuse limits (issue 10). Counters live in the store by default ("campaign-store://"), so all
    # Lambda containers count together; any flask-limiter storage URI works too ("memory://").
    rate_limit_storage: str = "campaign-store://"
    rate_limit_client: str | None = DEFAULT_CLIENT_LIMIT  # per client address, all forms together
    rate_limit_email: str | None = DEFAULT_EMAIL_LIMIT  # per mailbox (case, +tags), all forms together
    rate_limit_token: str | None = DEFAULT_TOKEN_LIMIT  # per confirmation link, on its button posts
    # `CAMPAIGN_MAILS_PER_ADDRESS_DAY`: form mails one mailbox may get in a JST day, whoever
    # submits (0: no cap).
    mails_per_address_day: int = 10

    @property
    def confirm_window(self) -> timedelta:
        return timedelta(hours=self.claim_hours)


RETENTION_VARIABLES = (
    ("tracking_days", "CAMPAIGN_RETAIN_TRACKING_DAYS"),
    ("records_days", "CAMPAIGN_RETAIN_RECORDS_DAYS"),
    ("unconfirmed_days", "CAMPAIGN_RETAIN_UNCONFIRMED_DAYS"),
    ("outbox_days", "CAMPAIGN_RETAIN_OUTBOX_DAYS"),
)


@dataclass(frozen=True)
class RetentionSettings:
    """How long each kind of data is kept (`CAMPAIGN_RETAIN_*_DAYS`)."""

    tracking_days: int = 90
    records_days: int = 3 * 365
    unconfirmed_days: int = 30
    outbox_days: int = 90

    def __post_init__(self) -> None:
        for name, variable in RETENTION_VARIABLES:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{variable} must be at least 1 day")
        if self.tracking_days > self.records_days:
            raise ValueError("tracking detail cannot be kept longer than the records it belongs to")

    def tracking_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.tracking_days)

    def records_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.records_days)

    def unconfirmed_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.unconfirmed_days)

    def outbox_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(days=self.outbox_days)


@dataclass(frozen=True)
class MachineSettings:
    """When a hit counts as a machine's: `CAMPAIGN_MACHINE_CLICK_SECONDS`,
    `CAMPAIGN_MACHINE_SHARED_CLIENT`."""

    click_seconds: float = 20.0
    shared_client: int = 3


# -- delivery: what the allow-listing guide tells the officer's mail administrator (issue 11 §4) ----


@dataclass(frozen=True)
class DeliverySettings:
    """Facts about how mail leaves, that only the deployment knows; the deploy passes them.
    `CAMPAIGN_MAIL_FROM_DOMAIN`: the envelope sender's (Return-Path) domain, e.g. SES's custom
    MAIL FROM subdomain (empty: SES's own amazonses.com on SES, else the sender's domain);
    `CAMPAIGN_DKIM_DOMAIN`: the d= of the DKIM signature (empty: the sender's domain, as SES's
    Easy DKIM signs); `CAMPAIGN_SENDING_IPS`: comma-separated addresses mail leaves from (dedicated
    SES IPs or the relay's; empty: a shared, changing pool)."""

    mail_from_domain: str = ""
    dkim_domain: str = ""
    sending_ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class LocalSettings:
    """The local server: `CAMPAIGN_INBOUND_PORT` (the report address's SMTP port)."""

    inbound_port: int = 2525


# -- the drill report the scheduler sends by itself (issue 11 §3) ----------------------------------
@dataclass(frozen=True)
class ReportSettings:
    """`CAMPAIGN_REPORT_BUSINESS_DAYS`: business days (weekdays that are not Japanese holidays) the
    participants have to report after the send window closed, before the scheduler mails the officer
    the report; `CAMPAIGN_REPORT_TARGET_DAYS`: the campaign's promise, in calendar days from the end
    of the window (a report not sent by then is late)."""

    business_days: int = 3
    target_days: int = 14

    def __post_init__(self) -> None:
        if self.business_days < 0 or self.target_days < 1:
            raise ValueError(
                "CAMPAIGN_REPORT_BUSINESS_DAYS must be 0 or more, CAMPAIGN_REPORT_TARGET_DAYS 1 or more"
            )

    @property
    def target(self) -> timedelta:
        return timedelta(days=self.target_days)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    site_dir: Path
    content_dir: Path
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    store_backend: str = "sqlite"
    mail_backend: str = "outbox"
    mail_from: str = "セキュリティ訓練キャンペーン事務局 <noreply@drill.example.jp>"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    aws: AwsSettings = field(default_factory=AwsSettings)
    send: SendSettings = field(default_factory=SendSettings)
    forms: FormSettings = field(default_factory=FormSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    machine: MachineSettings = field(default_factory=MachineSettings)
    local: LocalSettings = field(default_factory=LocalSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "campaign.sqlite3"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret_from_data_dir(data_dir: Path) -> str:
    """Generate the signing key once and keep it under the data directory (local runs only)."""
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must end up with the same key.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


class _Env:
    """Typed reads of the environment: an empty value means the default; a value that does not
    parse stops the start-up with an error naming the variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str = "") -> str:
        return str(self.env.get(name, "")).strip() or default

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def integer(self, name: str, default: int) -> int:
        return self._parsed(name, default, int, "a whole number")

    def number(self, name: str, default: float) -> float:
        return self._parsed(name, default, float, "a number")

    def _parsed(self, name: str, default: _T, parse: Callable[[str], _T], kind: str) -> _T:
        value = self.text(name)
        if not value:
            return default
        try:
            return parse(value)
        except ValueError:
            raise ValueError(f"{name} must be {kind}, got {value!r}") from None

    def flag(self, name: str) -> bool:
        return self.text(name).lower() in _TRUE

    def limit(self, name: str, default: str) -> str | None:
        value = str(self.env.get(name, default)).strip()
        return None if value.lower() in _LIMIT_OFF else value


def _retention(env: _Env) -> RetentionSettings:
    values = {
        name: env.integer(variable, getattr(RetentionSettings, name))
        for name, variable in RETENTION_VARIABLES
    }
    return RetentionSettings(**values)


def _groups(env: _Env) -> dict[str, object]:
    return {
        "smtp": SmtpSettings(
            host=env.text("CAMPAIGN_SMTP_HOST", SmtpSettings.host),
            port=env.integer("CAMPAIGN_SMTP_PORT", SmtpSettings.port),
            starttls=env.flag("CAMPAIGN_SMTP_STARTTLS"),
            user=env.optional("CAMPAIGN_SMTP_USER"),
            password=env.optional("CAMPAIGN_SMTP_PASSWORD"),
            timeout=env.number("CAMPAIGN_SMTP_TIMEOUT", SmtpSettings.timeout),
            ca_file=env.optional("CAMPAIGN_SMTP_CA_FILE"),
        ),
        "aws": AwsSettings(
            endpoint_url=env.optional("CAMPAIGN_AWS_ENDPOINT_URL"),
            region=env.optional("CAMPAIGN_AWS_REGION"),
            ses_region=env.optional("CAMPAIGN_SES_REGION"),
            ses_configuration_set=env.optional("CAMPAIGN_SES_CONFIGURATION_SET"),
            dynamodb_table=env.text("CAMPAIGN_DYNAMODB_TABLE", AwsSettings.dynamodb_table),
            inbound_bucket=env.text("CAMPAIGN_INBOUND_BUCKET", AwsSettings.inbound_bucket),
            inbound_prefix=env.text("CAMPAIGN_INBOUND_PREFIX", AwsSettings.inbound_prefix),
            origin_verify=env.text("CAMPAIGN_ORIGIN_VERIFY"),
        ),
        "send": SendSettings(
            rate=env.number("CAMPAIGN_SEND_RATE", SendSettings.rate),
            lease_seconds=env.number("CAMPAIGN_SEND_LEASE_SECONDS", SendSettings.lease_seconds),
            max_attempts=env.integer("CAMPAIGN_SEND_MAX_ATTEMPTS", SendSettings.max_attempts),
            backoff_seconds=env.number("CAMPAIGN_SEND_BACKOFF_SECONDS", SendSettings.backoff_seconds),
            tracking_days=env.integer("CAMPAIGN_TRACKING_DAYS", SendSettings.tracking_days),
            drill_domain=env.text("CAMPAIGN_DRILL_DOMAIN"),
            report_address=env.text("CAMPAIGN_REPORT_ADDRESS"),
        ),
        "forms": FormSettings(
            claim_hours=env.integer("CAMPAIGN_CLAIM_HOURS", FormSettings.claim_hours),
            maintenance=env.text("CAMPAIGN_MAINTENANCE"),
            proxies=env.integer("CAMPAIGN_PROXIES", FormSettings.proxies),
            rate_limit_storage=env.text("CAMPAIGN_RATE_LIMIT_STORAGE", FormSettings.rate_limit_storage),
            rate_limit_client=env.limit("CAMPAIGN_RATE_LIMIT_CLIENT", DEFAULT_CLIENT_LIMIT),
            rate_limit_email=env.limit("CAMPAIGN_RATE_LIMIT_EMAIL", DEFAULT_EMAIL_LIMIT),
            rate_limit_token=env.limit("CAMPAIGN_RATE_LIMIT_TOKEN", DEFAULT_TOKEN_LIMIT),
            mails_per_address_day=env.integer(
                "CAMPAIGN_MAILS_PER_ADDRESS_DAY", FormSettings.mails_per_address_day
            ),
        ),
        "retention": _retention(env),
        "machine": MachineSettings(
            click_seconds=env.number("CAMPAIGN_MACHINE_CLICK_SECONDS", MachineSettings.click_seconds),
            shared_client=env.integer("CAMPAIGN_MACHINE_SHARED_CLIENT", MachineSettings.shared_client),
        ),
        "local": LocalSettings(inbound_port=env.integer("CAMPAIGN_INBOUND_PORT", LocalSettings.inbound_port)),
        "report": ReportSettings(
            business_days=env.integer("CAMPAIGN_REPORT_BUSINESS_DAYS", ReportSettings.business_days),
            target_days=env.integer("CAMPAIGN_REPORT_TARGET_DAYS", ReportSettings.target_days),
        ),
        "delivery": DeliverySettings(
            mail_from_domain=env.text("CAMPAIGN_MAIL_FROM_DOMAIN").lower(),
            dkim_domain=env.text("CAMPAIGN_DKIM_DOMAIN").lower(),
            sending_ips=tuple(ip.strip() for ip in env.text("CAMPAIGN_SENDING_IPS").split(",") if ip.strip()),
        ),
    }


def load_retention(environ: Mapping[str, str]) -> RetentionSettings:
    """Only the retention settings (the site build shows them without a full configuration)."""
    return _retention(_Env(environ))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; the only place that reads it."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("CAMPAIGN_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
    site_dir = Path(env.get("CAMPAIGN_SITE_DIR", str(PROJECT_ROOT / "site"))).resolve()
    content_dir = Path(env.get("CAMPAIGN_CONTENT_DIR", str(PROJECT_ROOT / "content"))).resolve()
    host = env.get("HOST", "127.0.0.1")
    typed = _Env(env)
    groups = _groups(typed)  # first: a bad value stops here, before any key file is written
    port = typed.integer("PORT", 8000)
    secret = env.get("CAMPAIGN_SECRET_KEY") or _secret_from_data_dir(data_dir)
    return Settings(
        data_dir=data_dir,
        site_dir=site_dir,
        content_dir=content_dir,
        secret_key=secret,
        base_url=env.get("CAMPAIGN_BASE_URL", f"http://{host}:{port}").rstrip("/"),
        host=host,
        port=port,
        store_backend=env.get("CAMPAIGN_STORE", "sqlite"),
        mail_backend=env.get("CAMPAIGN_MAIL", "outbox"),
        mail_from=env.get("CAMPAIGN_MAIL_FROM", Settings.mail_from),
        **groups,  # type: ignore[arg-type]
    )
