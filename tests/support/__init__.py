"""Helpers shared by the test suites (servers, forms, drill runs, AWS events, the built site); no
tests here. No test module imports another test module or a conftest: what two suites share is here."""

from __future__ import annotations

from pathlib import Path

from campaign_core.settings import PROJECT_ROOT, Settings, load_settings

TEST_SECRET = "test-secret-key-not-for-production"


def scratch_settings(tmp_path: Path, secret_key: str = TEST_SECRET, **environ: str) -> Settings:
    """Settings on a data directory below `tmp_path`, the real content/ and no built site, with
    `environ` (CAMPAIGN_* variables) read as the environment would be."""
    return load_settings(
        {
            "CAMPAIGN_DATA_DIR": str(tmp_path / "var"),
            "CAMPAIGN_SITE_DIR": str(tmp_path / "site"),
            "CAMPAIGN_CONTENT_DIR": str(PROJECT_ROOT / "content"),
            "CAMPAIGN_SECRET_KEY": secret_key,
            **environ,
        }
    )
