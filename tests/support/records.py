"""Checks on the typed records (`campaign_core.drill_records`, `campaign_core.form_records`) that
the "what a real flow writes" tests share."""

from __future__ import annotations

from typing import TypeVar

from campaign_core.store import Store
from campaign_core.stored_record import StoredRecord

R = TypeVar("R", bound=StoredRecord)


def declares_every_field(store: Store, cls: type[R]) -> list[R]:
    """Every stored item of `cls.KIND` reads as `cls` with nothing left over and writes back as it
    was; the records read, for more checks."""
    records = store.query(cls.KIND)
    assert records
    typed = []
    for record in records:
        read = cls.from_record(record)
        assert read.extra == {}, f"{cls.KIND} field not declared: {sorted(read.extra)}"
        item = read.to_item()
        assert {name: record.data[name] for name in item} == item
        # What is left out is a sparse field holding its default (requeue clears `failed_at`).
        left_out = {name: value for name, value in record.data.items() if name not in item}
        assert set(left_out) <= cls.SPARSE and not any(left_out.values()), left_out
        assert read.version == record.version and read.expires_at == record.expires_at
        typed.append(read)
    return typed
