"""The Amazon SES adapter: the composed MIME message goes out as it is (SES v2 `SendEmail`, Raw).

SES answers synchronously only about the request and the account; a recipient's mailbox answers
later, as a bounce (see `campaign_core.mail.suppression`). So almost every error here is account-level
(`AccountMailError`: the run stops, messages stay scheduled); a rejected message or address is
`PermanentMailError`."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from email.message import EmailMessage
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from campaign_core.mail.errors import AccountMailError, MailError, PermanentMailError
from campaign_core.settings import AwsSettings

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

# Codes that stop the whole run: nothing else will go through either (issue 10). SES v2 names first,
# then the v1 spellings some endpoints and proxies still answer with.
ACCOUNT_CODES = {
    "AccessDenied": "access_denied",
    "AccessDeniedException": "access_denied",
    "UnrecognizedClientException": "credentials",
    "InvalidClientTokenId": "credentials",
    "ExpiredTokenException": "credentials",
    "SignatureDoesNotMatch": "credentials",
    "AccountSuspendedException": "account_suspended",
    "SendingPausedException": "sending_paused",
    "AccountSendingPausedException": "sending_paused",
    "ConfigurationSetSendingPausedException": "sending_paused",
    "MailFromDomainNotVerifiedException": "mail_from_not_verified",
    "NotFoundException": "configuration_missing",  # e.g. the configuration set is gone
    "ConfigurationSetDoesNotExist": "configuration_missing",
    "Throttling": "throttled",
    "ThrottlingException": "throttled",
    "TooManyRequestsException": "throttled",
    "LimitExceededException": "throttled",  # includes the daily sending quota
    "RequestTimeout": "unavailable",
    "ServiceUnavailable": "unavailable",
    "InternalFailure": "unavailable",
    "InternalServerError": "unavailable",
}
# MessageRejected is about the sender or the account when it says so: an identity that was never
# verified (SES: "Email address is not verified"; moto: "Did not have authority to send from"),
# which in the sandbox includes every recipient. Any other MessageRejected is about this message.
_UNVERIFIED = ("not verified", "did not have authority", "sandbox")


def classify(code: str, status: int, text: str) -> MailError:
    """The error an SES error code (with its HTTP status and message) stands for."""
    reason = ACCOUNT_CODES.get(code)
    if reason is None and code == "MessageRejected" and any(w in text.lower() for w in _UNVERIFIED):
        reason = "identity_not_verified"
    if reason is None and (status >= 500 or status == 429):
        reason = "unavailable"
    if reason is not None:
        return AccountMailError(text, reason=reason)
    return PermanentMailError(text)  # a bad address, content SES refuses, ...


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
            raise classify(code, status, text) from error
        except (ConnectionError, HTTPClientError) as error:
            raise AccountMailError(f"SES unreachable: {error}", reason="unreachable") from error
        except BotoCoreError as error:
            # No credentials, no region, a bad endpoint: no message can go until staff fix it.
            raise AccountMailError(f"SES client error: {error}", reason="client_configuration") from error
        return str(response["MessageId"])
