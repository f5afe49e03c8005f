"""The DynamoDB adapter of the store port: one table, conditional writes, TransactWriteItems.

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
  while its data has `due_at` (scheduled: the send time; sending: the lease's end). The scheduler
  (`send.py: due_messages`, messages and notices). Only what is due (a run with nothing due reads 0).
- a whole kind, optionally filtered: base table Query `pk = <kind>` (`query`). Staff only: stats,
  leads, forget by address, HQ listings. The whole kind.

Still on the whole-kind read (left for the next step, see the branch report): the scheduler's due
lists (`send.py`, `report_due.py`, `followups.py` loop over drills), the campaign-wide report
average, chamber feedback and the retention scan. The planned sparse `due` and `by_time` indexes
follow the same shape as `by_app`.

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

import math
import random
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from campaign_core.clock import iso
from campaign_core.store import ConditionFailed, Delete, Put, Record, Store, Update, check_key, check_ops
from campaign_core.store.dynamodb_codec import (
    DATA_PREFIX,
    DESERIALIZER,
    ExpressionNames,
    attribute_value,
    exp_datetime,
    exp_value,
    from_dynamo,
    num,
)
from campaign_core.store.sqlite import same_value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        DeleteTypeDef,
        PutTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

    from campaign_core.settings import Settings

_MAX_ATTEMPTS = 8
BY_APP = "by_app"


DUE = "due"
# Data field -> the index attributes it feeds (a GSI key attribute must be a non-empty string).
INDEXED_FIELDS = {"application_id": ("app", "app_sk"), "due_at": ("due_kind", "due_at")}


def index_attributes(kind: str, key: str, field: str, value: Any) -> dict[str, AttributeValueTypeDef]:
    """The index attributes `field` = `value` gives an item (none when the value is not a
    non-empty string: the item is not in that sparse index)."""
    if not isinstance(value, str) or not value:
        return {}
    if field == "application_id":
        return {"app": {"S": value}, "app_sk": {"S": f"{kind}#{key}"}}
    return {"due_kind": {"S": kind}, "due_at": {"S": value}}


def all_index_attributes(kind: str, key: str, data: Mapping[str, Any]) -> dict[str, AttributeValueTypeDef]:
    found: dict[str, AttributeValueTypeDef] = {}
    for field in INDEXED_FIELDS:
        found.update(index_attributes(kind, key, field, data.get(field)))
    return found


class _Stale(Exception):
    """A pre-read used to build a condition changed before the write; read again and retry."""


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
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )


class DynamoDBStore(Store):
    def __init__(
        self,
        table_name: str,
        *,
        endpoint_url: str | None = None,
        region_name: str | None = None,
        client: DynamoDBClient | None = None,
    ) -> None:
        self.table_name = table_name
        self.endpoint_url = endpoint_url
        self.region_name = region_name
        self._client = client
        self.items_read = 0
        self._read_lock = threading.Lock()

    def _count(self, items: int) -> None:
        with self._read_lock:
            self.items_read += items

    @classmethod
    def from_settings(cls, settings: Settings) -> DynamoDBStore:
        aws = settings.aws
        return cls(aws.dynamodb_table, endpoint_url=aws.endpoint_url, region_name=aws.region)

    @cached_property
    def client(self) -> DynamoDBClient:
        """Created on first use (a Lambda cold start that never touches the store pays nothing)."""
        return self._client or boto3.session.Session().client(
            "dynamodb",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            config=Config(max_pool_connections=64, retries={"mode": "standard"}),
        )

    def create_table(self) -> None:
        create_table(self.client, self.table_name)

    # -- reads -------------------------------------------------------------------------------

    def _key(self, kind: str, key: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": {"S": kind}, "sk": {"S": key}}

    @staticmethod
    def _record(item: Mapping[str, Any]) -> Record:
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

    def _get_item(self, kind: str, key: str) -> Mapping[str, Any] | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=self._key(kind, key), ConsistentRead=True
        )
        item = response.get("Item")
        if item is not None:
            self._count(1)
        return item

    def _query(self, params: dict[str, Any]) -> list[Record]:
        records: list[Record] = []
        for page in self.client.get_paginator("query").paginate(**params):
            self._count(int(page.get("ScannedCount", len(page.get("Items", [])))))
            records.extend(self._record(item) for item in page.get("Items", []))
        return records

    def with_prefix(self, kind: str, prefix: str) -> list[Record]:
        check_key(kind, prefix)
        names = ExpressionNames()
        condition = (
            f"{names.name('pk')} = {names.value({'S': kind})} AND "
            f"begins_with({names.name('sk')}, {names.value({'S': prefix})})"
        )
        return self._query(
            {
                "TableName": self.table_name,
                "ConsistentRead": True,
                "KeyConditionExpression": condition,
                **names.params(),
            }
        )

    def by_application(self, kind: str, application_id: str) -> list[Record]:
        check_key(kind, application_id)
        names = ExpressionNames()
        condition = (
            f"{names.name('app')} = {names.value({'S': application_id})} AND "
            f"begins_with({names.name('app_sk')}, {names.value({'S': kind + '#'})})"
        )
        records = self._query(
            {
                "TableName": self.table_name,
                "IndexName": BY_APP,
                "KeyConditionExpression": condition,
                **names.params(),
            }
        )
        return sorted(records, key=lambda r: r.key)  # `<kind>#<key>` orders as the key, but be exact

    def get(self, kind: str, key: str) -> Record | None:
        check_key(kind, key)
        item = self._get_item(kind, key)
        return None if item is None else self._record(item)

    def reindex(self, *, dry_run: bool = False) -> int:
        """Scan once (staff only, a migration) and add the GSI attributes an item lacks. The write
        is conditional on the version seen, without bumping it: index attributes are not data."""
        changed = 0
        pages = self.client.get_paginator("scan").paginate(TableName=self.table_name, ConsistentRead=True)
        for page in pages:
            self._count(int(page.get("ScannedCount", 0)))
            for item in page.get("Items", []):
                record = self._record(item)
                wanted = all_index_attributes(record.kind, record.key, record.data)
                missing = {name: value for name, value in wanted.items() if item.get(name) != value}
                if not missing:
                    continue
                changed += 1
                if dry_run:
                    continue
                names = ExpressionNames()
                sets = ", ".join(f"{names.name(n)} = {names.value(v)}" for n, v in missing.items())
                try:
                    self.client.update_item(
                        TableName=self.table_name,
                        Key=self._key(record.kind, record.key),
                        UpdateExpression=f"SET {sets}",
                        ConditionExpression=f"{names.name('v')} = {names.value(num(record.version))}",
                        **names.params(),
                    )
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                        raise
                    changed -= 1  # written meanwhile: that write set the attributes itself
        return changed

    def due(self, kind: str, before: datetime) -> list[Record]:
        check_key(kind, DUE)
        names = ExpressionNames()
        condition = (
            f"{names.name('due_kind')} = {names.value({'S': kind})} AND "
            f"{names.name('due_at')} <= {names.value({'S': iso(before)})}"
        )
        return self._query(
            {
                "TableName": self.table_name,
                "IndexName": DUE,
                "KeyConditionExpression": condition,
                **names.params(),
            }
        )

    def query(self, kind: str, *, where: Mapping[str, Any] | None = None) -> list[Record]:
        names = ExpressionNames()
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "ConsistentRead": True,
            "KeyConditionExpression": f"{names.name('pk')} = {names.value({'S': kind})}",
        }
        # Scalars are filtered on the server (less to transfer); every item is then checked here
        # too, with the SQLite adapter's equality (moto, unlike DynamoDB, finds true == 1).
        where = where or {}
        scalar = {f: v for f, v in where.items() if isinstance(v, str | int | float | bool)}
        if scalar:
            params["FilterExpression"] = " AND ".join(
                f"{names.name(DATA_PREFIX + field)} = {names.value(attribute_value(value))}"
                for field, value in scalar.items()
            )
        params.update(names.params())
        records = self._query(params)
        return [r for r in records if all(f in r.data and same_value(r.data[f], v) for f, v in where.items())]

    # -- writes ------------------------------------------------------------------------------

    def _put_request(self, op: Put) -> dict[str, Any]:
        """The PutItem parameters for `op`; reads the current item first when it may be replaced."""
        names = ExpressionNames()
        version = 1
        condition = ""
        if op.replace_expired_before is not None:
            current = self._get_item(op.kind, op.key)
            if current is not None:
                old = self._record(current)
                if old.expires_at is None or old.expires_at > op.replace_expired_before:
                    raise ConditionFailed(f"{op.kind}/{op.key} exists and has not expired")
                # Replace only the very item we saw expired: same version, still expired.
                version = old.version + 1
                condition = (
                    f"{names.name('v')} = {names.value(num(old.version))} AND "
                    f"{names.name('exp')} <= {names.value(num(exp_value(op.replace_expired_before)))}"
                )
        condition = condition or f"attribute_not_exists({names.name('pk')})"
        item: dict[str, AttributeValueTypeDef] = {**self._key(op.kind, op.key), "v": num(version)}
        if op.expires_at is not None:
            item["exp"] = num(exp_value(op.expires_at))
            item["ttl"] = num(math.ceil(op.expires_at.timestamp()))
        for field, value in op.data.items():
            item[DATA_PREFIX + field] = attribute_value(value)
        item.update(all_index_attributes(op.kind, op.key, op.data))
        return {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
            **names.params(),
        }

    def _update_request(self, op: Update) -> dict[str, Any]:
        names = ExpressionNames()
        sets = [f"{names.name('v')} = {names.name('v')} + {names.value(num(1))}"]
        removes: list[str] = []
        for field, value in op.changes.items():
            sets.append(f"{names.name(DATA_PREFIX + field)} = {names.value(attribute_value(value))}")
        for field, attributes in INDEXED_FIELDS.items():
            if field not in op.changes:
                continue
            index = index_attributes(op.kind, op.key, field, op.changes[field])
            for attribute, value in index.items():
                sets.append(f"{names.name(attribute)} = {names.value(value)}")
            if not index:  # out of the sparse index
                removes += [names.name(attribute) for attribute in attributes]
        if op.expires_at is None:
            removes += [names.name("exp"), names.name("ttl")]
        elif op.expires_at != "keep":
            sets.append(f"{names.name('exp')} = {names.value(num(exp_value(op.expires_at)))}")
            sets.append(f"{names.name('ttl')} = {names.value(num(math.ceil(op.expires_at.timestamp())))}")
        expression = "SET " + ", ".join(sets)
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        condition = f"attribute_exists({names.name('pk')})"
        if op.expect_version is not None:
            condition += f" AND {names.name('v')} = {names.value(num(op.expect_version))}"
        return {
            "TableName": self.table_name,
            "Key": self._key(op.kind, op.key),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            **names.params(),
        }

    def _delete_request(self, op: Delete) -> dict[str, Any]:
        params: dict[str, Any] = {"TableName": self.table_name, "Key": self._key(op.kind, op.key)}
        if op.expect_version is not None:
            names = ExpressionNames()
            params["ConditionExpression"] = f"{names.name('v')} = {names.value(num(op.expect_version))}"
            params.update(names.params())
        return params

    def _request(self, op: Put | Update | Delete) -> TransactWriteItemTypeDef:
        # The request builders return the same keys as the single-item calls take; in a
        # transaction each goes under its op's name.
        if isinstance(op, Put):
            return {"Put": cast("PutTypeDef", self._put_request(op))}
        if isinstance(op, Update):
            return {"Update": cast("UpdateTypeDef", self._update_request(op))}
        return {"Delete": cast("DeleteTypeDef", self._delete_request(op))}

    def write_one(self, op: Put | Update | Delete) -> bool:
        """One op as one conditional request; False when its condition fails."""
        check_key(op.kind, op.key)
        for _ in range(_MAX_ATTEMPTS):
            try:
                if isinstance(op, Put):
                    self.client.put_item(**self._put_request(op))
                elif isinstance(op, Update):
                    self.client.update_item(**self._update_request(op))
                else:
                    self.client.delete_item(**self._delete_request(op))
            except ConditionFailed:
                return False
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                if isinstance(op, Put) and op.replace_expired_before is not None:
                    continue  # the item changed since we read it: decide again on a fresh read
                return False
            return True
        return False

    def transact(self, ops: Sequence[Put | Update | Delete]) -> None:
        if not ops:
            return
        check_ops(ops)
        for attempt in range(_MAX_ATTEMPTS):
            items = [self._request(op) for op in ops]  # raises ConditionFailed on a definite "no"
            try:
                self.client.transact_write_items(TransactItems=items)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons", [])
                codes = [str(reason.get("Code", "None")) for reason in reasons]
                # A failed Put that may replace an expired item was built from a read that is now
                # stale: read again. Any other failed condition is a definite "no".
                stale_only = len(codes) == len(ops) and all(
                    code != "ConditionalCheckFailed"
                    or (isinstance(op, Put) and op.replace_expired_before is not None)
                    for code, op in zip(codes, ops, strict=True)
                )
                if "TransactionConflict" in codes or ("ConditionalCheckFailed" in codes and stale_only):
                    # Another transaction held an item, or an item we read changed: try again.
                    time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 (jitter, not secrets)
                    continue
                raise ConditionFailed("a condition in the transaction failed; nothing was written") from None
            return
        raise ConditionFailed("the transaction kept conflicting with others; nothing was written")

    def increment(self, kind: str, key: str, field: str, *, limit: int) -> int | None:
        check_key(kind, key)
        if limit <= 0:
            return None
        names = ExpressionNames()
        counter, version = names.name(DATA_PREFIX + field), names.name("v")
        zero, one = names.value(num(0)), names.value(num(1))
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key=self._key(kind, key),
                UpdateExpression=(
                    f"SET {counter} = if_not_exists({counter}, {zero}) + {one}, "
                    f"{version} = if_not_exists({version}, {zero}) + {one}"
                ),
                ConditionExpression=(
                    f"attribute_not_exists({counter}) OR {counter} < {names.value(num(limit))}"
                ),
                ReturnValues="UPDATED_NEW",
                **names.params(),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return int(response["Attributes"][DATA_PREFIX + field]["N"])

    def delete(self, kind: str, key: str) -> None:
        self.write_one(Delete(kind, key))
