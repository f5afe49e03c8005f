"""The DynamoDB table of the store port: its keys, indexes and the access patterns they serve.

Access patterns (who asks, with what key, how many items come back):

- one record by (kind, key): base table GetItem, strongly consistent. Tokens (tracking hit,
  confirm, report link), every read-before-update. 1 item.
- one message's events: base table Query `pk = drill_event AND begins_with(sk, "<message>.")`,
  strongly consistent. Tracking replay dedupe (`record_hit`), one-shot status, forget, purge.
  That message's events only.
- an application's records of one kind: GSI `by_app`, `app = <application_id> AND
  begins_with(app_sk, "<kind>#")`. Check sheet, drill activity, late participants, follow-up
  planning per drill, retention per drill. That application's items of that kind (<= ~10 messages,
  their events, checks, notices).
- what is due: sparse GSI `due`, `due_kind = <kind> AND due_at <= <now>`; an item is in it only
  while its data has `due_at`. Messages and notices (scheduled: the send time; sending: the lease's
  end), open drills (the window's start, until the reveal is planned and the report sent or held:
  `drill_state.py`) and confirmed one-shot requests not yet queued. The scheduler (`send.py:
  due_messages`, `followups.py`, `report_due.py`, `oneshot_queue.py`). Only what is open (a run with
  nothing due reads 0).
- a chamber's drills: base table Query `pk = chamber_drill AND begins_with(sk, "<chamber code>.")`;
  keys `<code>.<first day>.<application>` in date order (chamber feedback). That chamber's drills.
- the campaign figures: one `campaign_summary` item per fiscal year (`campaign_average.py`), updated
  in a transaction with the drill when its report is built. 1 item.
- what the daily purge should look at: sparse GSI `purge`, `purge_kind = <kind> AND purge_at <=
  <now>`; applications, drills, signups, one-shot requests and tracking events while their data has
  `purge_at` (`records.PERIOD_STARTS`, `store.with_period`). `hq/retention.py:purge`. What was
  written since the last run and what has come to the end of its period.
- a whole kind, optionally filtered: base table Query `pk = <kind>` (`query`). Staff only: stats,
  leads, forget by address, HQ listings, `migrate-store`. The whole kind.

Layout:

| attribute | type | holds |
|---|---|---|
| `pk` (partition key) | S | the kind |
| `sk` (sort key) | S | the key |
| `v` | N | the version |
| `exp` | N | `expires_at`, exact (epoch seconds with microseconds) |
| `ttl` | N | `expires_at` rounded up to whole epoch seconds: the table's TTL attribute |
| `d_<field>` | any | one attribute per top-level data field |
| `app` | S | data["application_id"] when a non-empty string: the `by_app` GSI's partition key |
| `app_sk` | S | `<kind>#<key>`, the `by_app` GSI's sort key (written with `app`) |
| `due_kind`, `due_at` | S | the kind and data["due_at"] while that is set: the sparse `due` GSI's keys |
| `purge_kind`, `purge_at` | S | the kind and data["purge_at"] while that is set: the `purge` GSI's keys |

`by_app` is eventually consistent (every GSI is); its callers read records the scheduler or a
form wrote earlier, never in the same request. Items written before the index existed lack
`app`/`app_sk`: `campaign migrate-store` (cli) adds them.

Keeping the kind as the partition key makes `query` a strongly consistent Query on the table itself,
ordered by key, where a GSI on kind would only be eventually consistent. One attribute per data field
lets `update` merge, `increment` add and `query` filter on the server. Floats become `Decimal` on the
way in; numbers come back as `int` when integral, else `float`.

TTL deletion is lazy (up to days after expiry), so an expired item may or may not still be there;
`Put(replace_expired_before=...)` treats "expired" by `exp`, never by whether the sweep has run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from campaign_core.store import Record
from campaign_core.store.dynamodb_codec import DATA_PREFIX, DESERIALIZER, exp_datetime, from_dynamo

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

BY_APP = "by_app"


DUE = "due"
PURGE = "purge"
# Data field -> the index attributes it feeds (a GSI key attribute must be a non-empty string).
INDEXED_FIELDS = {
    "application_id": ("app", "app_sk"),
    "due_at": ("due_kind", "due_at"),
    "purge_at": ("purge_kind", "purge_at"),
}
#: The time indexes of `Store.due`: data field -> GSI name.
TIME_INDEXES = {"due_at": DUE, "purge_at": PURGE}


def index_attributes(kind: str, key: str, field: str, value: Any) -> dict[str, AttributeValueTypeDef]:
    """The index attributes `field` = `value` gives an item (none when the value is not a
    non-empty string: the item is not in that sparse index)."""
    if not isinstance(value, str) or not value:
        return {}
    if field == "application_id":
        return {"app": {"S": value}, "app_sk": {"S": f"{kind}#{key}"}}
    partition, sort = INDEXED_FIELDS[field]
    return {partition: {"S": kind}, sort: {"S": value}}


def all_index_attributes(kind: str, key: str, data: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    found: dict[str, AttributeValueTypeDef] = {}
    for field in INDEXED_FIELDS:
        found.update(index_attributes(kind, key, field, data.get(field)))
    return found


def create_table(client: DynamoDBClient, table_name: str) -> None:
    """Create the table (on-demand, pk/sk, TTL on `ttl`) and wait until it is active."""
    client.create_table(
        TableName=table_name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "app", "AttributeType": "S"},
            {"AttributeName": "app_sk", "AttributeType": "S"},
            {"AttributeName": "due_kind", "AttributeType": "S"},
            {"AttributeName": "due_at", "AttributeType": "S"},
            {"AttributeName": "purge_kind", "AttributeType": "S"},
            {"AttributeName": "purge_at", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": BY_APP,
                "KeySchema": [
                    {"AttributeName": "app", "KeyType": "HASH"},
                    {"AttributeName": "app_sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": DUE,
                "KeySchema": [
                    {"AttributeName": "due_kind", "KeyType": "HASH"},
                    {"AttributeName": "due_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": PURGE,
                "KeySchema": [
                    {"AttributeName": "purge_kind", "KeyType": "HASH"},
                    {"AttributeName": "purge_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )


def record_from_item(item: Mapping[str, Any]) -> Record:
    """The record an item holds (see the layout above)."""
    plain = {name: DESERIALIZER.deserialize(av) for name, av in item.items()}
    exp = plain.get("exp")
    return Record(
        kind=plain["pk"],
        key=plain["sk"],
        data={
            name[len(DATA_PREFIX) :]: from_dynamo(value)
            for name, value in plain.items()
            if name.startswith(DATA_PREFIX)
        },
        version=int(plain["v"]),
        expires_at=None if exp is None else exp_datetime(exp),
    )
