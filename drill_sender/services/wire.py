"""A drill mail straight to its SMTP bytes, for relays that take raw messages (`send_raw`).

`send.build_message` composes an `EmailMessage` with the standard library; flattening one costs
more than the whole SMTP exchange (headers are parsed, then refolded, for every recipient). The
parts that are the same for every recipient of a template (the encoded Subject and From lines, the
MIME structure) are folded here once per run by that same library, and each recipient adds only
To, Date, Message-ID and the two base64 bodies. The result is the same message as
`build_message`'s (tests parse both and compare); any address this fast path is not sure about
(non-ASCII, a display name, a quoted local part) goes the `build_message` way instead.
"""

from __future__ import annotations

import binascii
import functools
import re
import secrets
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address

from campaign_core.mail import check_header
from drill_sender.templates import RenderedMail

# A dot-atom address: exactly what `parse_address` accepts and prints back unchanged.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
SIMPLE_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SMTP = policy.default.clone(linesep="\r\n")
_MAX_LINE = 78
_BASE64_CHUNK = _MAX_LINE // 4 * 3  # 57 bytes -> 76 characters a line, as the email package does


@dataclass(frozen=True)
class WireMail:
    sender: str  # envelope MAIL FROM
    recipient: str  # envelope RCPT TO
    data: bytes  # the whole message, CRLF line ends
    message_id: str


@dataclass(frozen=True)
class _Skeleton:
    head: bytes  # Subject and From, folded
    boundary: str
    sender: str


@functools.lru_cache(maxsize=64)
def _skeleton(subject: str, sender_name: str, sender_address: str) -> _Skeleton:
    subject_line = _SMTP.fold_binary("Subject", _SMTP.header_factory("Subject", subject))
    sender = Address(display_name=sender_name, addr_spec=sender_address)
    from_line = _SMTP.fold_binary("From", _SMTP.header_factory("From", str(sender)))
    # The stdlib's boundary format; random per process, and checked against each body below.
    boundary = "=" * 15 + f"{secrets.randbelow(10**19):019d}" + "=="
    return _Skeleton(subject_line + from_line, boundary, sender_address)


def _base64(text: str) -> bytes:
    """What `set_content(text, cte="base64")` stores: lines normalised to LF, one final newline,
    UTF-8, then base64 in 76-character lines (CRLF on the wire)."""
    data = ("\n".join(text.splitlines()) + "\n").encode("utf-8")
    return b"".join(
        binascii.b2a_base64(data[i : i + _BASE64_CHUNK])[:-1] + b"\r\n"
        for i in range(0, len(data), _BASE64_CHUNK)
    )


def _line(name: str, value: str) -> bytes | None:
    line = f"{name}: {value}"
    if len(line) > _MAX_LINE or not value.isascii() or not value.isprintable():
        return None
    return line.encode("ascii") + b"\r\n"


def wire_mail(
    rendered: RenderedMail, *, drill_domain: str, to: str, date: str, message_id: str
) -> WireMail | None:
    """The drill mail as bytes, or None when it must be composed by `build_message` instead."""
    sender_address = rendered.sender_address(drill_domain)
    if not (SIMPLE_ADDRESS.fullmatch(to) and SIMPLE_ADDRESS.fullmatch(sender_address)):
        return None
    to_line, date_line, id_line = _line("To", to), _line("Date", date), _line("Message-ID", message_id)
    if to_line is None or date_line is None or id_line is None:
        return None
    skeleton = _skeleton(
        check_header("Subject", rendered.subject),
        check_header("From", rendered.sender_name),
        sender_address,
    )
    text, html = _base64(rendered.text), _base64(rendered.html)
    marker = skeleton.boundary.encode("ascii")
    if marker in text or marker in html:  # base64 has no "=" runs, but the stdlib checks: so do we
        return None
    separator = b"--" + marker + b"\r\n"
    data = b"".join(
        (
            skeleton.head,
            to_line,
            date_line,
            id_line,
            b"MIME-Version: 1.0\r\n",
            b'Content-Type: multipart/alternative;\r\n boundary="' + marker + b'"\r\n',
            b"\r\n",
            separator,
            b'Content-Type: text/plain; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: base64\r\n",
            b"\r\n",
            text,
            b"\r\n",
            separator,
            b'Content-Type: text/html; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: base64\r\n",
            b"MIME-Version: 1.0\r\n",  # the stdlib's add_alternative leaves it on the part too
            b"\r\n",
            html,
            b"\r\n",
            b"--" + marker + b"--\r\n",
        )
    )
    return WireMail(sender=sender_address, recipient=to, data=data, message_id=message_id)
