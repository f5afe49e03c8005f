"""The base of the typed records (issue 9 §3): frozen dataclasses at the store boundary.

The store keeps JSON-able dicts (`campaign_core.store.Record.data`); subclasses of `StoredRecord`
(`campaign_core.drill_records`, `campaign_core.form_records`) are how services read them.
`from_record` is tolerant of items written by older code: a field it lacks gets its default, and a
field the class does not know is kept in `extra`, so `to_item` writes back everything that was read.
Instants are aware datetimes here and ISO 8601 UTC strings in the store (`campaign_core.clock.iso`).
Partial writes stay `store.update(kind, key, changes)`, with the changes built by `changes(...)`,
which refuses a field name the record does not have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, Self, get_args, get_origin, get_type_hints

from campaign_core.clock import iso, parse_iso
from campaign_core.store import Record

#: The dataclass fields that are not stored as item fields.
_NOT_DATA = frozenset({"key", "version", "expires_at", "extra"})


def _instant(value: Any) -> datetime | None:
    return parse_iso(str(value)) if value else None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def _optional_number(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _flag(value: Any) -> bool:
    return bool(value)


def _optional_flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value or {})


def _optional_mapping(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(value)


#: How an item's value becomes a field's value, by the field's annotation.
_DECODERS = {
    str: _text,
    str | None: _optional_text,
    int: _number,
    int | None: _optional_number,
    bool: _flag,
    bool | None: _optional_flag,
    datetime | None: _instant,
    tuple[str, ...]: _texts,
    dict[str, Any]: _mapping,
    dict[str, Any] | None: _optional_mapping,
}


def _decoder(hint: Any) -> Any:
    """The decoder of an annotation: from the table, or a tuple of `Nested` records (a list of dicts)."""
    if hint in _DECODERS:
        return _DECODERS[hint]
    args = get_args(hint)
    if get_origin(hint) is tuple and args[1:] == (Ellipsis,) and issubclass(args[0], Nested):
        nested = args[0]
        return lambda value: tuple(nested.from_item(v) for v in value or ())
    raise TypeError(f"no decoder for {hint!r}")


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_encode(v) for v in value]  # the store keeps JSON: a list
    if isinstance(value, Nested):
        return value.to_item()
    return iso(value) if isinstance(value, datetime) else value


@dataclass(frozen=True, kw_only=True)
class _Fields:
    """What stored and nested records share: declared fields read by annotation, `SPARSE` ones
    written only once set, and the item's other fields kept in `extra`."""

    #: Fields left out of `to_item` while they hold their default (written only once they are set).
    SPARSE: ClassVar[frozenset[str]] = frozenset()

    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    @cache
    def data_fields(cls) -> tuple[dataclasses.Field[Any], ...]:
        return tuple(f for f in dataclasses.fields(cls) if f.name not in _NOT_DATA)

    @classmethod
    @cache
    def _decoders(cls) -> dict[str, Any]:
        hints = get_type_hints(cls)
        return {f.name: _decoder(hints[f.name]) for f in cls.data_fields()}

    @classmethod
    def field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in cls.data_fields())

    @classmethod
    def _read(cls, item: Mapping[str, Any]) -> dict[str, Any]:
        """The constructor's arguments for `item`: its declared fields decoded, the rest in `extra`."""
        decoders = cls._decoders()
        values = {name: decode(item[name]) for name, decode in decoders.items() if name in item}
        return {**values, "extra": {name: value for name, value in item.items() if name not in decoders}}

    @classmethod
    @cache
    def _layout(cls) -> tuple[tuple[str, bool, Any], ...]:
        """(name, sparse, default) of each stored field, worked out once per class."""
        return tuple((f.name, f.name in cls.SPARSE, f.default) for f in cls.data_fields())

    def to_item(self) -> dict[str, Any]:
        """The item for a `Put`: every declared field (sparse ones once set), then `extra`."""
        item = dict(self.extra)
        for name, sparse, default in self._layout():
            value = getattr(self, name)
            if sparse and value == default:
                continue
            item[name] = _encode(value)
        return item


@dataclass(frozen=True, kw_only=True)
class Nested(_Fields):
    """A record kept inside another record's item, as one dict of a list (an application's
    participants): a field annotated `tuple[<Nested subclass>, ...]` reads and writes them."""

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Self:
        return cls(**cls._read(item))


@dataclass(frozen=True, kw_only=True)
class StoredRecord(_Fields):
    """The shared part: the record's key, the version it was read at (for `expect_version`) and
    its expiry (the store's, not an item field: pending form requests), and the item's fields this
    class does not declare."""

    KIND: ClassVar[str]

    key: str
    version: int = 0  # 0: not stored yet
    expires_at: datetime | None = None

    @classmethod
    def from_item(
        cls, key: str, item: Mapping[str, Any], *, version: int = 0, expires_at: datetime | None = None
    ) -> Self:
        return cls(key=key, version=version, expires_at=expires_at, **cls._read(item))

    @classmethod
    def from_record(cls, record: Record) -> Self:
        if record.kind != cls.KIND:
            raise ValueError(f"a {record.kind!r} record is not a {cls.KIND!r}")
        return cls.from_item(record.key, record.data, version=record.version, expires_at=record.expires_at)

    def to_record(self) -> Record:
        """The store's shape, for functions that still take a `Record`."""
        return Record(self.KIND, self.key, self.to_item(), self.version, self.expires_at)

    @classmethod
    def changes(cls, **values: Any) -> dict[str, Any]:
        """A partial update for `store.update`, instants encoded; an unknown field name raises."""
        unknown = set(values) - cls.field_names()
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(sorted(unknown))}")
        return {name: _encode(value) for name, value in values.items()}

    def updated(self, changes: Mapping[str, Any]) -> Self:
        """This record as it is after `store.update(..., changes, expect_version=self.version)`
        (which keeps the expiry)."""
        item = {**self.to_item(), **changes}
        return self.from_item(self.key, item, version=self.version + 1, expires_at=self.expires_at)
