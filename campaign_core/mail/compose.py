"""Builds a complete mail from a template folder: `subject.txt`, `body.txt`, `body.html`.

The result is multipart/alternative (plain text first, then HTML), UTF-8, with `Date`,
`Message-ID` (on the sender's domain) and an RFC 2047-encoded `From` display name; attachments
(e.g. an `.ics` invitation) turn it into multipart/mixed. Any header value with CR or LF is refused.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime
from email import errors, policy
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from campaign_core.mail.errors import HeaderInjectionError

TEMPLATE_FILES = ("subject.txt", "body.txt", "body.html")


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Recent(Generic[K, V]):
    """A small thread-safe map that forgets the least recently used entry past `size`, so what
    every mail repeats stays while each mail's own values (To, Date, Message-ID) pass through."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class ParseOnceRegistry(HeaderRegistry):
    """The stdlib's header factory, which makes each header class once (the stdlib makes a new class
    for every header) and parses each repeated header text once: header objects are immutable, so
    mails may share one (the MIME headers of their parts, the subject of a template)."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed: _Recent[tuple[str, str], BaseHeader] = _Recent(256)

    def map_to_type(self, name: str, cls: type[BaseHeader]) -> None:
        super().map_to_type(name, cls)
        self._classes.clear()
        self._parsed.clear()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: Any) -> BaseHeader:
        if type(value) is not str:  # Address objects, header objects: made each time
            return self[name](name, value)
        return self._parsed.get((name, value), lambda: self[name](name, value))


class FoldOncePolicy(EmailPolicy):
    """`email.policy.default` that parses each distinct header text once (`ParseOnceRegistry`) and
    folds each distinct header value once, then reuses the result.

    Folding a header into RFC 2047 encoded words is the costliest step of writing a mail (a sender
    with a Japanese display name takes milliseconds), and a form's mails repeat most of their
    headers: the sender, the subject of each template, the MIME headers of each part. The lines are
    exactly what `policy.default` writes; only defect-free header objects are kept, keyed by all the
    folding depends on (line length, line ending, UTF-8, header name, header kind and value)."""

    # Shared by every clone (SES adds CRLF).
    _folded: ClassVar[_Recent[tuple[object, ...], str]] = _Recent(256)

    def _fold_once(self, name: str, value: str) -> str | None:
        """The folded header, from the cache or folded now; None if the value is not cacheable."""
        if not isinstance(value, BaseHeader) or value.defects:
            return None
        # Which kind of header (the stdlib's registry makes a new class for every header object).
        kind = type(value).__bases__
        key = (self.max_line_length, self.linesep, self.utf8, name, value.name, kind, str(value))
        # What EmailPolicy.fold does with a header object.
        return self._folded.get(key, lambda: value.fold(policy=self))

    def fold(self, name: str, value: str) -> str:
        folded = self._fold_once(name, value)
        return super().fold(name, value) if folded is None else folded

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = self._fold_once(name, value) if self.cte_type == "8bit" else None
        if folded is None:
            return super().fold_binary(name, value)
        return folded.encode("utf8" if self.utf8 else "ascii", "surrogateescape")


MAIL_POLICY = FoldOncePolicy(header_factory=ParseOnceRegistry())


@functools.lru_cache(maxsize=16)
def _environment(template_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value fails the send instead of mailing a blank
        keep_trailing_newline=True,
    )


def check_header(name: str, value: str) -> str:
    """`value` if it is safe as one header line; HeaderInjectionError otherwise."""
    if "\r" in value or "\n" in value:
        raise HeaderInjectionError(f"the {name} header may not contain CR or LF")
    return value


def parse_address(text: str, *, header: str) -> Address:
    """One mailbox (`addr@example.jp` or `表示名 <addr@example.jp>`) as an Address; anything else
    (several addresses, an unparsable one, CR/LF) is refused."""
    check_header(header, text)
    try:
        parsed = policy.default.header_factory(header, text)
    except (errors.HeaderParseError, IndexError) as error:  # the stdlib parser trips on e.g. "x@"
        raise ValueError(f"{header} must be exactly one mail address, got {text!r}") from error
    addresses: tuple[Address, ...] = tuple(getattr(parsed, "addresses", ()))
    if parsed.defects or len(addresses) != 1 or not addresses[0].domain or not addresses[0].username:
        raise ValueError(f"{header} must be exactly one mail address, got {text!r}")
    found = addresses[0]
    return Address(display_name=found.display_name, addr_spec=found.addr_spec)


@functools.lru_cache(maxsize=16)
def _sender(sender: str) -> tuple[BaseHeader, str]:
    """The From header of a sender and its domain, parsed once: a service's mails share a sender."""
    address = parse_address(sender, header="From")
    header: BaseHeader = MAIL_POLICY.header_factory("From", address)
    return header, address.domain


def _content_type(mime_type: str) -> tuple[str, str, dict[str, str]]:
    main, _, rest = mime_type.partition("/")
    subtype, *param_texts = (part.strip() for part in rest.split(";"))
    params: dict[str, str] = {}
    for text in param_texts:
        key, _, value = text.partition("=")
        if key:
            params[key.strip().lower()] = value.strip().strip('"')
    if not main or not subtype:
        raise ValueError(f"not a MIME type: {mime_type!r}")
    return main.lower(), subtype.lower(), params


def compose(
    template_dir: Path,
    name: str,
    *,
    to: str,
    sender: str,
    values: Mapping[str, Any],
    attachments: Sequence[tuple[str, bytes, str]] = (),
    now: datetime,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Render `<template_dir>/<name>/` with `values` (HTML autoescaped, text not) into one message.

    `attachments` are `(filename, content, mime_type)`, e.g.
    `("seminar.ics", ics_bytes, "text/calendar; method=REQUEST")`. `headers` adds more headers
    (e.g. `Reply-To`, `Auto-Submitted`); they are checked for CR/LF like the others.
    """
    if now.tzinfo is None:
        raise ValueError("compose needs a timezone-aware `now`")
    env = _environment(Path(template_dir))
    context = dict(values)
    subject = env.get_template(f"{name}/subject.txt").render(context).strip()
    text = env.get_template(f"{name}/body.txt").render(context)
    html = env.get_template(f"{name}/body.html").render(context)

    from_header, domain = _sender(sender)
    to_address = parse_address(to, header="To")

    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = check_header("Subject", subject)
    message["From"] = from_header
    message["To"] = to_address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain)
    for header_name, header_value in (headers or {}).items():
        check_header("header name", header_name)
        message[header_name] = check_header(header_name, header_value)
    # base64 keeps Japanese text intact through any relay, 8BITMIME or not.
    message.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    for filename, content, mime_type in attachments:
        check_header("attachment filename", filename)
        maintype, subtype, params = _content_type(mime_type)
        message.add_attachment(content, maintype, subtype, filename=filename, params=params)
    return message
