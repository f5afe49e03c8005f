"""The local server: the built site, the forms app and (later) the drill app, from one process.

`make run` calls this after building the site. Waitress, not Flask's development server.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, send_from_directory
from flask_compress import Compress
from waitress.server import create_server
from werkzeug.security import safe_join

from campaign_core.clock import clock_from_env
from campaign_core.deps import Deps
from campaign_core.settings import Settings, load_settings
from drill_sender.views import bp as tracking_bp
from form_lambda.app import create_app as create_form_app
from local.jobs import purge_job, send_due_job
from local.outbox_view import bp as outbox_bp
from local.report_listener import InboundServer


def site_blueprint(site_dir: Path) -> Blueprint:
    """Serves the built MkDocs site as CloudFront serves it from S3 (directory URLs end in /)."""
    bp = Blueprint("site", __name__)

    @bp.get("/", defaults={"path": ""})
    @bp.get("/<path:path>")
    def page(path: str) -> Response:
        if path.startswith(("api/", "t/")):
            abort(404)
        target = safe_join(str(site_dir), path)
        if target is None:
            abort(404)
        candidate = Path(target)
        if candidate.is_dir():
            if path and not path.endswith("/"):
                return Response(status=301, headers={"Location": f"/{path}/"})
            path = f"{path}index.html" if path else "index.html"
        elif not candidate.is_file():
            abort(404)
        response = send_from_directory(site_dir, path, max_age=0 if path.endswith(".html") else 3600)
        return response

    @bp.app_errorhandler(404)
    def not_found(_error: Exception) -> tuple[Response, int] | tuple[str, int]:
        page_404 = site_dir / "404.html"
        if page_404.is_file():
            return send_from_directory(site_dir, "404.html"), 404
        return "ページが見つかりません。", 404

    return bp


def create_local_app(settings: Settings) -> Flask:
    app = create_form_app(settings, clock=clock_from_env(os.environ))
    # The drill's tracking links (/t/...) share the store, mailer and clock of the forms app.
    # The outbox viewer answers only requests from this machine, while mail goes to `var/outbox/`.
    for blueprint in (tracking_bp, outbox_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(site_blueprint(settings.site_dir))
    # CloudFront compresses text in production; so does the local server, so audits measure the same bytes.
    Compress(app)
    return app


def main() -> int:
    settings = load_settings()
    if not (settings.site_dir / "index.html").is_file():
        print(f"The site is not built yet ({settings.site_dir}); run `make run` or `mkdocs build`.")
        return 1
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_local_app(settings)
    server = create_server(app, host=settings.host, port=settings.port, threads=8)
    # The scheduler: `campaign send-due` every minute, in this process (a Lambda on AWS).
    deps = Deps(
        store=app.extensions["campaign_store"],
        mailer=app.extensions["campaign_mailer"],
        clock=app.config["CAMPAIGN_CLOCK"],
        settings=settings,
    )
    scheduler = send_due_job(deps)
    purge = purge_job(deps, settings)

    def stop(_signum: int, _frame: object) -> None:
        server.close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    url = f"http://{settings.host}:{settings.port}/"
    print(f"サイトとフォームを {url} で公開しています (Ctrl-C で停止) / serving on {url}", flush=True)
    print(f"データ: {settings.data_dir}  送信メール: {settings.outbox_dir}", flush=True)
    inbound: InboundServer | None = None
    # Ctrl-C may come at any moment of the start-up too: everything below stops cleanly.
    try:
        # The drill's report address: participants forward drill mails here (SES receiving on AWS).
        inbound_port = settings.local.inbound_port
        try:
            inbound = InboundServer(deps, settings.host, inbound_port)
            inbound.start()
            print(
                f"報告用アドレス / report address: {deps.report_address} (SMTP {inbound_port})",
                flush=True,
            )
        except (OSError, RuntimeError) as exc:
            print(f"報告用の受信を始められませんでした / inbound SMTP not started: {exc}", flush=True)
        scheduler.start()
        # `campaign purge` once a day: what is past its retention period goes (on AWS: the scheduled Lambda).
        purge.start()
        server.run()  # waitress catches Ctrl-C itself and returns
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.stop()
        purge.stop()
        if inbound is not None:
            inbound.stop()
        server.close()
        # Closing the last connection checkpoints SQLite's write-ahead log into the database.
        deps.store.close()
        print("\n停止しました / stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
