"""Lambda entry of the forms app (`/api/*` behind CloudFront and the HTTP API); built once per container."""

from campaign_core.aws import make_handler, runtime
from form_lambda.app import create_app

RUNTIME = runtime()
handler = make_handler(
    create_app(RUNTIME.settings, store=RUNTIME.store, mailer=RUNTIME.mailer, clock=RUNTIME.clock)
)
