"""What building the forms app costs: the heavy libraries only some requests need are loaded by the
first request that needs them, not at a Lambda's cold start; the staff command and HQ, which import
the form services, do not load the forms app. Each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

from tests.support.forms import DRILL_FORM
from tests.support.servers import run_python

# Loaded on demand: the rate limiter (flask-limiter imports `limits`, which imports asyncio), the
# .ics of live seminars, the address and corporate number rules, the content YAML.
DEFERRED = ("flask_limiter", "limits", "asyncio", "icalendar", "email_validator", "stdnum", "yaml")


def run_fresh(code: str, tmp_path: Path, **env: str) -> Any:
    """Run `code` in a new interpreter with a scratch data directory; it prints one JSON value."""
    environ = {
        "PATH": "/usr/bin:/bin",
        "CAMPAIGN_DATA_DIR": str(tmp_path / "var"),
        "CAMPAIGN_SECRET_KEY": "test-secret-key-not-for-production",
        **env,
    }
    result = run_python(["-c", textwrap.dedent(code)], environ)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_building_the_app_loads_no_deferred_library_and_requests_load_them(
    tmp_path: Path, built_site: Path
) -> None:
    code = f"""
        import json, sys
        from form_lambda.app import create_app

        DEFERRED = {DEFERRED!r}
        app = create_app()
        at_start = [name for name in DEFERRED if name in sys.modules]
        client = app.test_client()
        statuses = [client.post("/api/drill", data={DRILL_FORM!r}).status_code for _ in range(2)]
        after_posts = [name for name in DEFERRED if name in sys.modules]
        print(json.dumps({{"at_start": at_start, "after_posts": after_posts, "statuses": statuses}}))
    """
    loaded = run_fresh(
        code, tmp_path, CAMPAIGN_SITE_DIR=str(built_site), CAMPAIGN_RATE_LIMIT_CLIENT="1 per minute"
    )
    assert loaded["at_start"] == []
    # The first post built the limiter and used the address rules; the second met the limit.
    assert loaded["statuses"] == [200, 429]
    assert {"flask_limiter", "email_validator", "stdnum", "yaml"} <= set(loaded["after_posts"])


def test_the_seminar_invitation_loads_icalendar_when_it_is_made(tmp_path: Path) -> None:
    code = """
        import json, sys
        from campaign_core.clock import parse_instant
        from form_lambda.rendering import Session
        from form_lambda.services import seminar

        before = "icalendar" in sys.modules
        session = Session(
            id="live-1", kind="live", title="t", status="open", duration_min=60,
            starts_at=parse_instant("2026-12-01T10:00:00+09:00"), capacity=10, zoom_url="",
            youtube_live_url="", youtube_id="", notes=(),
        )
        ics = seminar.invitation(
            session, url="https://example.jp/", uid="u@x",
            now_stamp=parse_instant("2026-11-01T10:00:00+09:00"),
        )
        print(json.dumps({"before": before, "ics": ics.decode().splitlines()[0]}))
    """
    assert run_fresh(code, tmp_path) == {"before": False, "ics": "BEGIN:VCALENDAR"}


def test_form_services_do_not_load_the_forms_app(tmp_path: Path) -> None:
    """The staff command and HQ import `form_lambda.services.*`."""
    code = """
        import json, sys
        import form_lambda.guard, form_lambda.services.drill, form_lambda.services.oneshot

        names = ["form_lambda.views", "flask_limiter", "limits", "email_validator", "stdnum", "icalendar"]
        print(json.dumps([name for name in names if name in sys.modules]))
    """
    assert run_fresh(code, tmp_path) == []
