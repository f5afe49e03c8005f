"""Glue of the Lambda entry points (the same apps and services as `make run`, on AWS).

- Settings come from the environment the template sets (`load_settings`, as everywhere else).
- The signing secret is an SSM SecureString named by `CAMPAIGN_SECRET_PARAMETER`. It is read on the
  first event of a container, through a client created then, and kept for the container's life;
  importing an entry module calls no AWS service. Until then the settings hold a random key of this
  container only, so anything signed or checked before the swap could only fail, never pass.
  `CAMPAIGN_SECRET_KEY` (tests, rehearsals) is used as it is, without SSM.
- The store and the mailer are the usual adapters (`CAMPAIGN_STORE=dynamodb`, `CAMPAIGN_MAIL=ses`);
  their boto3 clients are created on first use. The mailer skips suppressed addresses.
- `make_handler(app)` wraps a Flask app for API Gateway HTTP API events (payload 2.0) with apig-wsgi.
  The client address is taken from CloudFront's `CloudFront-Viewer-Address` header (what API Gateway
  sees as the source is a CloudFront edge). With `CAMPAIGN_ORIGIN_VERIFY` set (one value, or several
  separated by commas while a new one replaces the old), a request must carry one of them in
  `X-Origin-Verify`, which CloudFront adds (and overwrites if a viewer sent one): calls
  to the public execute-api address get 403 and reach no app, so no one forges the viewer address.
"""

from __future__ import annotations

import functools
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from campaign_core.clock import Clock, clock_from_env
from campaign_core.mail import Mailer, create_mailer
from campaign_core.settings import AwsSettings, Settings, load_settings
from campaign_core.store import Store, create_store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

Event = dict[str, Any]
FORBIDDEN: dict[str, Any] = {
    "statusCode": 403,
    "headers": {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"},
    "body": "Forbidden",
    "isBase64Encoded": False,
}
Handler = Callable[[Event, Any], dict[str, Any]]
SECRET_PARAMETER = "CAMPAIGN_SECRET_PARAMETER"  # noqa: S105 (the name of a variable)


def read_secret(name: str, *, endpoint_url: str | None = None, region_name: str | None = None) -> str:
    """The decrypted value of one SSM parameter (a client made for this one call)."""
    import boto3

    client = boto3.session.Session().client("ssm", endpoint_url=endpoint_url, region_name=region_name)
    value = client.get_parameter(Name=name, WithDecryption=True)["Parameter"].get("Value", "")
    if len(value) < 32:
        raise RuntimeError(f"SSM parameter {name} holds no usable signing key (32 characters or more)")
    return value


def environ_with_secret(environ: Mapping[str, str]) -> dict[str, str]:
    """For the staff command on AWS: the environment with `CAMPAIGN_SECRET_KEY` read from the SSM
    parameter `CAMPAIGN_SECRET_PARAMETER` names (unless the key is given), so links it mails are
    signed with the functions' key and not with a key generated on the staff member's machine."""
    env = dict(environ)
    parameter = env.get(SECRET_PARAMETER, "").strip()
    if parameter and not env.get("CAMPAIGN_SECRET_KEY"):
        env["CAMPAIGN_SECRET_KEY"] = read_secret(
            parameter,
            endpoint_url=env.get("CAMPAIGN_AWS_ENDPOINT_URL") or None,
            region_name=env.get("CAMPAIGN_AWS_REGION") or None,
        )
    return env


@dataclass
class Runtime:
    """What one Lambda container shares between its events."""

    settings: Settings  # a random stand-in key until `resolved_settings()` reads SSM
    store: Store
    mailer: Mailer
    clock: Clock
    secret_parameter: str | None
    _resolved: Settings | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolved_settings(self) -> Settings:
        """The settings with the real signing secret (read from SSM once per container)."""
        if self._resolved is None:
            with self._lock:
                if self._resolved is None:
                    if self.secret_parameter:
                        aws = self.settings.aws
                        secret = read_secret(
                            self.secret_parameter, endpoint_url=aws.endpoint_url, region_name=aws.region
                        )
                        self._resolved = self.settings.with_overrides(secret_key=secret)
                    else:
                        self._resolved = self.settings
        return self._resolved


def build_runtime(environ: Mapping[str, str]) -> Runtime:
    env = dict(environ)
    parameter = env.get(SECRET_PARAMETER, "").strip() or None
    if env.get("CAMPAIGN_SECRET_KEY"):
        parameter = None
    elif parameter:
        env["CAMPAIGN_SECRET_KEY"] = secrets.token_urlsafe(48)  # random: signed before SSM is read = refused
    else:
        # A key generated under /tmp would differ in every container: links would break at random.
        raise RuntimeError(f"set {SECRET_PARAMETER} (an SSM SecureString) or CAMPAIGN_SECRET_KEY")
    settings = load_settings(env)
    store = create_store(settings)
    return Runtime(
        settings=settings,
        store=store,
        mailer=create_mailer(settings, store),
        clock=clock_from_env(env),
        secret_parameter=parameter,
    )


@functools.cache
def runtime() -> Runtime:
    """The container's runtime, built from `os.environ` on first call."""
    return build_runtime(os.environ)


def viewer_address(wsgi_app: WSGIApplication) -> WSGIApplication:
    """REMOTE_ADDR from `CloudFront-Viewer-Address` ("198.51.100.7:46532", "2001:db8::1:46532")."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        viewer = environ.get("HTTP_CLOUDFRONT_VIEWER_ADDRESS", "")
        if viewer and ":" in viewer:
            environ["REMOTE_ADDR"] = viewer.rsplit(":", 1)[0].strip("[]")
        return wsgi_app(environ, start_response)

    return app


def make_handler(app: Flask, rt: Runtime | None = None) -> Handler:
    """The Lambda handler of a Flask app built at import; the secret joins on the first event."""
    from apig_wsgi import make_lambda_handler

    rt = rt or runtime()
    adapter = make_lambda_handler(viewer_address(app), binary_support=True)
    ready = threading.Event()
    # Comma-separated: during a rotation (scripts/deploy) the new value and the old one both pass.
    accepted = [v.strip().encode() for v in rt.settings.aws.origin_verify.split(",") if v.strip()]

    def handler(event: Event, context: Any) -> dict[str, Any]:
        if accepted:
            headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
            sent = headers.get("x-origin-verify", "").encode()
            if not any(
                [hmac.compare_digest(sent, value) for value in accepted]
            ):  # all compared: constant time
                return dict(FORBIDDEN)
        if not ready.is_set():
            settings = rt.resolved_settings()
            app.config["CAMPAIGN_SETTINGS"] = settings
            app.config["SECRET_KEY"] = settings.secret_key
            ready.set()
        return adapter(event, context)

    return handler


class InboundMailbox:
    """Mail SES receiving stored in S3 (`CAMPAIGN_INBOUND_BUCKET`, `CAMPAIGN_INBOUND_PREFIX`):
    read one by its SES message id, and delete it once handled (it holds people's mail)."""

    def __init__(self, aws: AwsSettings) -> None:
        self.bucket = aws.inbound_bucket
        self.prefix = aws.inbound_prefix
        self.endpoint_url = aws.endpoint_url
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.session.Session().client("s3", endpoint_url=self.endpoint_url)
        return self._client

    def read(self, message_id: str) -> bytes:
        if not self.bucket:
            raise RuntimeError("CAMPAIGN_INBOUND_BUCKET is not set")
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + message_id)["Body"].read()
        return body

    def delete(self, message_id: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + message_id)


def stop_before_timeout(context: Any, margin_ms: int = 30_000) -> Callable[[], bool]:
    """For long runs: true once less than `margin_ms` of the invocation is left."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return lambda: False
    return lambda: int(remaining()) < margin_ms
