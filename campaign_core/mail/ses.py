"""The Amazon SES adapter: the composed MIME message goes out as it is (SES v2 `SendEmail`, Raw)."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from email.message import EmailMessage
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from campaign_core.mail.errors import PermanentMailError, TransientMailError
from campaign_core.settings import AwsSettings

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

# Error codes that mean "slow down / try later"; everything else a 4xx says is about the request.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestTimeout",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
    }
)


class SESMailer:
    def __init__(
        self,
        *,
        region_name: str | None = None,
        endpoint_url: str | None = None,
        configuration_set: str | None = None,
        client: SESV2Client | None = None,
        max_attempts: int = 3,
    ) -> None:
        self.region_name = region_name
        self.endpoint_url = endpoint_url
        self.configuration_set = configuration_set
        self.max_attempts = max_attempts
        self._client = client

    @classmethod
    def from_settings(cls, aws: AwsSettings) -> SESMailer:
        """`CAMPAIGN_SES_REGION` (else `CAMPAIGN_AWS_REGION`, else the AWS default),
        `CAMPAIGN_AWS_ENDPOINT_URL`, `CAMPAIGN_SES_CONFIGURATION_SET` (see `AwsSettings`)."""
        return cls(
            region_name=aws.ses_region or aws.region,
            endpoint_url=aws.endpoint_url,
            configuration_set=aws.ses_configuration_set,
        )

    @cached_property
    def client(self) -> SESV2Client:
        """Created on first use."""
        return self._client or boto3.session.Session().client(
            "sesv2",
            region_name=self.region_name,
            endpoint_url=self.endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": self.max_attempts}),
        )

    def session(self) -> AbstractContextManager[None]:
        """Nothing to hold open: each message is one API call (the client is kept anyway)."""
        return nullcontext()

    def send(self, message: EmailMessage) -> str:
        # RFC 5322 lines end in CRLF on the wire (the default policy writes bare LF).
        raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
        params: dict[str, Any] = {"Content": {"Raw": {"Data": raw}}}
        if self.configuration_set:
            params["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            text = f"SES {code}: {error.response.get('Error', {}).get('Message', '')}"
            if code in TRANSIENT_CODES or status >= 500 or status == 429:
                raise TransientMailError(text) from error
            raise PermanentMailError(text) from error  # MessageRejected, not verified, paused, ...
        except (ConnectionError, HTTPClientError) as error:
            raise TransientMailError(f"SES unreachable: {error}") from error
        except BotoCoreError as error:
            raise PermanentMailError(f"SES client error: {error}") from error
        return str(response["MessageId"])
