"""Signed, expiring tokens for links in mails (confirmation, check sheet, report, tracking)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from campaign_core.clock import Clock

if TYPE_CHECKING:
    from campaign_core.store import Store


class TokenError(Exception):
    """The token is forged, altered, for another purpose, or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "expired"


class _ClockedSigner(TimestampSigner):
    """itsdangerous stamps with time.time(); ours stamps and checks with the injected clock,
    so `CAMPAIGN_NOW` rehearsals and tests can move time across an expiry."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock.now().timestamp())

    def unsign(
        self, signed_value: str | bytes, max_age: int | None = None, return_timestamp: bool = False
    ) -> Any:
        value, stamped = super().unsign(signed_value, max_age=None, return_timestamp=True)
        if max_age is not None:
            age = self.get_timestamp() - int(stamped.timestamp())
            if age > max_age:
                raise SignatureExpired(f"Signature age {age} > {max_age} seconds", payload=value)
            if age < -60:  # stamped in the future: not from us
                raise BadSignature("timestamp in the future")
        return (value, stamped) if return_timestamp else value


@dataclass(frozen=True)
class Signer:
    """Signs payloads per purpose: the purpose is the salt, so a token for one link opens no other."""

    secret_key: str
    clock: Clock

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self.secret_key,
            salt=f"campaign:{purpose}",
            signer=_ClockedSigner,
            signer_kwargs={"clock": self.clock},
        )

    def sign(self, purpose: str, payload: Any) -> str:
        token: str = self._serializer(purpose).dumps(payload)
        return token

    def unsign(self, purpose: str, token: str, *, max_age: timedelta) -> Any:
        try:
            return self._serializer(purpose).loads(token, max_age=int(max_age.total_seconds()))
        except SignatureExpired as exc:
            raise TokenError("expired") from exc
        except BadSignature as exc:
            raise TokenError("invalid") from exc


def linked_key(
    signer: Signer, store: Store, purpose: str, token: str, *, max_age: timedelta, field: str, kind: str
) -> str:
    """The key of the `kind` record a link's signed token names in `field`, if that record exists;
    `TokenError` ("invalid" / "expired") otherwise."""
    payload = signer.unsign(purpose, token, max_age=max_age)
    key = payload.get(field) if isinstance(payload, dict) else None
    if not isinstance(key, str) or store.get(kind, key) is None:
        raise TokenError("invalid")
    return key
