"""Builds every mail the service sends, on the standard library's `email.policy.default`.

The content is a template folder (`subject.txt`, `body.txt`, `body.html`, rendered with Jinja) or
text rendered elsewhere (a drill template's `RenderedMail`). The result is multipart/alternative
(plain text first, then HTML), UTF-8, with `Date`, `Message-ID` (given, or made on the sender's
domain) and an RFC 2047-encoded `From` display name; attachments (e.g. an `.ics` invitation) turn it
into multipart/mixed, a text attachment with its charset. An HTML document without a `<head>` gets
one with `<meta charset>` and a viewport (mail programs on phones lay it out to the screen). Any header
value with CR or LF is refused.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import errors, policy
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from campaign_core.mail.errors import HeaderInjectionError

TEMPLATE_FILES = ("subject.txt", "body.txt", "body.html")
HTML_HEAD = (
    '<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n</head>\n'
)
_HTML_OPEN = re.compile(r"<html\b[^>]*>\n?", re.IGNORECASE)


class MailText(Protocol):
    """A mail's subject and bodies, already rendered."""

    @property
    def subject(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def html(self) -> str: ...


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# Partials any mail template may include (`{% include "_allowlist.txt" %}`), whichever app's it is.
PARTIALS_DIR = Path(__file__).resolve().parent.parent / "templates" / "mail_partials"


@functools.lru_cache(maxsize=16)
def _environment(template_dir: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader([template_dir, PARTIALS_DIR]),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing value fails the send instead of mailing a blank
        keep_trailing_newline=True,
    )


def render_folder(template_dir: Path, name: str, values: Mapping[str, Any]) -> Rendered:
    """`<template_dir>/<name>/` rendered with `values` (HTML autoescaped, text not)."""
    env = _environment(Path(template_dir))
    context = dict(values)
    return Rendered(
        subject=env.get_template(f"{name}/subject.txt").render(context).strip(),
        text=env.get_template(f"{name}/body.txt").render(context),
        html=env.get_template(f"{name}/body.html").render(context),
    )


def with_head(html: str) -> str:
    """A document (`<html ...>`) without a head gets `HTML_HEAD` right after its opening tag; a
    fragment or a document with its own head stays as it is."""
    opening = _HTML_OPEN.search(html)
    if opening is None or re.search(r"<head\b", html, re.IGNORECASE):
        return html
    return html[: opening.end()] + HTML_HEAD + html[opening.end() :]


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
    addresses: tuple[Address, ...] = tuple(parsed.addresses) if isinstance(parsed, AddressHeader) else ()
    if parsed.defects or len(addresses) != 1 or not addresses[0].domain or not addresses[0].username:
        raise ValueError(f"{header} must be exactly one mail address, got {text!r}")
    found = addresses[0]
    return Address(display_name=found.display_name, addr_spec=found.addr_spec)


def _sender(sender: str | Address) -> Address:
    if isinstance(sender, str):
        return parse_address(sender, header="From")
    check_header("From", sender.display_name)
    if not sender.username or not sender.domain:
        raise ValueError(f"From must be exactly one mail address, got {sender.addr_spec!r}")
    return sender


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
    content: Path | MailText,
    name: str = "",
    *,
    to: str,
    sender: str | Address,
    values: Mapping[str, Any] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    now: datetime,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """One complete message: `compose(template_dir, name, values=...)` renders the template folder
    `<template_dir>/<name>/`; `compose(rendered)` takes a subject and bodies rendered elsewhere.

    `sender` is a mailbox (`表示名 <addr@example.jp>`) or an `Address`. `attachments` are
    `(filename, content, mime_type)`, e.g. `("seminar.ics", ics_bytes, "text/calendar; method=REQUEST")`.
    `headers` adds more headers (e.g. `Reply-To`, `Auto-Submitted`); they are checked for CR/LF like
    the others. `message_id` is the mail's own (a drill message keeps the one it was scheduled with);
    without it a new one is made on the sender's domain.
    """
    if now.tzinfo is None:
        raise ValueError("compose needs a timezone-aware `now`")
    if isinstance(content, Path):
        if not name:
            raise TypeError("compose(template_dir, name, ...) needs the template's name")
        content = render_folder(content, name, values or {})
    elif name or values:
        raise TypeError("rendered content takes no template name or values")
    from_address = _sender(sender)
    to_address = parse_address(to, header="To")

    message = EmailMessage(policy=policy.default)
    message["Subject"] = check_header("Subject", content.subject)
    message["From"] = from_address
    message["To"] = to_address
    message["Date"] = format_datetime(now)
    message["Message-ID"] = check_header("Message-ID", message_id or make_msgid(domain=from_address.domain))
    for header_name, header_value in (headers or {}).items():
        check_header("header name", header_name)
        message[header_name] = check_header(header_name, header_value)
    # base64 keeps Japanese text intact through any relay, 8BITMIME or not.
    message.set_content(content.text, subtype="plain", charset="utf-8", cte="base64")
    message.add_alternative(with_head(content.html), subtype="html", charset="utf-8", cte="base64")
    for filename, data, mime_type in attachments:
        check_header("attachment filename", filename)
        maintype, subtype, params = _content_type(mime_type)
        if maintype == "text":  # bytes carry no charset of their own: ours are UTF-8
            params.setdefault("charset", "utf-8")
        message.add_attachment(data, maintype, subtype, filename=filename, params=params)
    return message
