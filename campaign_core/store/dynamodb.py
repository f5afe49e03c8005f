"""The DynamoDB adapter of the store port: one table, conditional writes, TransactWriteItems.

The keys, the indexes and the access patterns they serve are in `dynamodb_layout`.
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
from campaign_core.records import TimeIndex
from campaign_core.store import ConditionFailed, Delete, Put, Record, Store, Update, check_key, check_ops
from campaign_core.store.dynamodb_codec import (
    DATA_PREFIX,
    ExpressionNames,
    attribute_value,
    exp_value,
    num,
)
from campaign_core.store.dynamodb_layout import (
    BY_APP,
    INDEXED_FIELDS,
    TIME_INDEXES,
    all_index_attributes,
    create_table,
    index_attributes,
    record_from_item,
)
from campaign_core.store.filters import matching

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


class _Stale(Exception):
    """A pre-read used to build a condition changed before the write; read again and retry."""


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

    _record = staticmethod(record_from_item)

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

    def _key_query(
        self, index: str | None, partition: tuple[str, str], sort: tuple[str, str, str]
    ) -> list[Record]:
        """Query one partition (`(attribute, value)`) of the table or of a GSI, with one sort-key
        condition (`(attribute, "begins_with" | "<=", value)`); the table itself strongly
        consistent."""
        names = ExpressionNames()
        (pk, pk_value), (sk, op, sk_value) = partition, sort
        key, value = names.name(sk), names.value({"S": sk_value})
        sort_condition = f"begins_with({key}, {value})" if op == "begins_with" else f"{key} {op} {value}"
        partition_condition = f"{names.name(pk)} = {names.value({'S': pk_value})}"
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": f"{partition_condition} AND {sort_condition}",
            **({"IndexName": index} if index else {"ConsistentRead": True}),
        }
        return self._query({**params, **names.params()})

    def with_prefix(self, kind: str, prefix: str) -> list[Record]:
        check_key(kind, prefix)
        return self._key_query(None, ("pk", kind), ("sk", "begins_with", prefix))

    def by_application(self, kind: str, application_id: str) -> list[Record]:
        check_key(kind, application_id)
        records = self._key_query(BY_APP, ("app", application_id), ("app_sk", "begins_with", kind + "#"))
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

    def due(self, kind: str, before: datetime, *, index: TimeIndex = "due_at") -> list[Record]:
        check_key(kind, index)
        partition, sort = INDEXED_FIELDS[index]
        return self._key_query(TIME_INDEXES[index], (partition, kind), (sort, "<=", iso(before)))

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
        return matching(records, where)

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
        (op,) = check_ops([op])
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
        ops = check_ops(ops)
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
