"""Helpers shared by the test suites (servers, forms, drill runs, AWS events, the built site); no
tests here. No test module imports another test module or a conftest: what two suites share is here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from campaign_core.settings import PROJECT_ROOT, Settings

TEST_SECRET = "test-secret-key-not-for-production"


def scratch_settings(tmp_path: Path, secret_key: str = TEST_SECRET, **fields: Any) -> Settings:
    """Settings on a data directory below `tmp_path`, the real content/ and no built site."""
    return Settings(
        data_dir=tmp_path / "var",
        site_dir=tmp_path / "site",
        content_dir=PROJECT_ROOT / "content",
        secret_key=secret_key,
        **fields,
    )
