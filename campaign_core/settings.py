"""One frozen settings object, loaded once at the edge (server, Lambda entry, CLI)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    extra: Mapping[str, str] = field(default_factory=dict)

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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment; the only place that reads it."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("CAMPAIGN_DATA_DIR", str(PROJECT_ROOT / "var"))).resolve()
    site_dir = Path(env.get("CAMPAIGN_SITE_DIR", str(PROJECT_ROOT / "site"))).resolve()
    content_dir = Path(env.get("CAMPAIGN_CONTENT_DIR", str(PROJECT_ROOT / "content"))).resolve()
    host = env.get("HOST", "127.0.0.1")
    port = int(env.get("PORT", "8000"))
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
        extra={k: v for k, v in env.items() if k.startswith("CAMPAIGN_")},
    )
