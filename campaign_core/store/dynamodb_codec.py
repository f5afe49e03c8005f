"""How records become DynamoDB items and back (the DynamoDB adapter's codec): data fields as
`d_<field>` attributes, floats as `Decimal`, expiry instants as exact epoch numbers, and the
placeholders of an expression."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DATA_PREFIX = "d_"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()


def to_dynamo(value: Any) -> Any:
    """JSON-able value → what TypeSerializer accepts (floats as Decimal, no NaN/inf)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("the store takes finite numbers only")
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    raise TypeError(f"not a JSON-able value: {type(value).__name__}")


def from_dynamo(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    return value


def attribute_value(value: Any) -> AttributeValueTypeDef:
    """One attribute value in the wire format of the low-level client."""
    serialized: AttributeValueTypeDef = SERIALIZER.serialize(to_dynamo(value))
    return serialized


def exp_value(moment: datetime) -> Decimal:
    if moment.tzinfo is None:
        raise ValueError("the store takes timezone-aware datetimes only")
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return Decimal(micros).scaleb(-6)


def exp_datetime(value: Decimal) -> datetime:
    return EPOCH + timedelta(microseconds=int(value.scaleb(6)))


def num(value: int | Decimal) -> AttributeValueTypeDef:
    return {"N": str(value)}


class ExpressionNames:
    """Collects ExpressionAttributeNames/Values, so any field name is safe in an expression."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValueTypeDef] = {}

    def name(self, attribute: str) -> str:
        for placeholder, existing in self.names.items():
            if existing == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, av: AttributeValueTypeDef) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = av
        return placeholder

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.names:
            out["ExpressionAttributeNames"] = self.names
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out
