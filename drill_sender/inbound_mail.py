"""Every text a forwarded report holds: headers and text parts, and the same inside attached mails,
whether the original is attached as `message/rfc822`, as an `.eml` file, or as an Outlook `.msg`.

Forwards pass through many mail systems and come in every shape; nothing here may fail the whole
report. A part in a charset Python does not know (`unknown-8bit`, `x-unknown`, `iso-2022-jp-ms`) is
read as near as possible (the tokens are ASCII anyway); an attachment that does not parse is skipped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import logging
import quopri
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

log = logging.getLogger(__name__)

MAX_DEPTH = 5  # a report forwarded by the officer, forwarded again ... deeper is not a report
# Charsets mail systems write that Python has no codec for, and the nearest one it has.
CHARSET_ALIASES = {
    "iso-2022-jp-ms": "iso2022_jp_ext",
    "iso-2022-jp-3": "iso2022_jp_3",
    "x-sjis": "cp932",
    "shift-jis": "cp932",
    "windows-31j": "cp932",
    "x-mac-japanese": "shift_jis",
}
MSG_TYPES = ("application/vnd.ms-outlook", "application/x-ole-storage", "application/x-msg")


def decode_text(payload: bytes, charset: str | None) -> str:
    """`payload` as text in `charset`, or in UTF-8 when the charset is unknown; never raises."""
    name = (charset or "utf-8").strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"  # unknown-8bit, x-unknown and the like: an ASCII token reads the same
    try:
        return payload.decode(name, errors="replace")
    except (LookupError, UnicodeError):
        return payload.decode("utf-8", errors="replace")


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except (LookupError, ValueError):
        return None


def _filename(part: Message) -> str:
    try:
        return str(part.get_filename() or "").lower()
    except (LookupError, ValueError, TypeError):
        return ""


def _header_lines(message: Message) -> list[str]:
    return [f"{name}: {value}" for name, value in message.items()]


def mail_texts(raw: bytes, depth: int = 0) -> list[str]:
    """The texts of a raw mail and of every mail attached to it."""
    return message_texts(message_from_bytes(raw, policy=policy.compat32), depth)


def message_texts(message: Message, depth: int = 0) -> list[str]:
    found = _header_lines(message)
    for part in message.walk():
        ctype = part.get_content_type()
        name = _filename(part)
        if part.is_multipart():
            if ctype == "message/rfc822":
                for inner in part.get_payload():  # walk() goes on into its parts; these are its headers
                    if isinstance(inner, Message):
                        found.extend(_header_lines(inner))
                        found.extend(_encoded_attachment(part, inner, depth))
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if ctype == "message/rfc822" or name.endswith(".eml"):
            # An attached mail the parser left as data (base64-encoded message/rfc822, or an .eml
            # sent as application/octet-stream): parse it as the mail it is.
            if depth < MAX_DEPTH:
                found.extend(mail_texts(payload, depth + 1))
        elif ctype in MSG_TYPES or name.endswith(".msg"):
            if depth < MAX_DEPTH:
                found.extend(outlook_texts(payload, depth + 1))
        elif part.get_content_maintype() == "text":
            found.append(decode_text(payload, _charset(part)))
    return found


def _encoded_attachment(part: Message, inner: Message, depth: int) -> list[str]:
    """A message/rfc822 part sent base64- or QP-encoded (some clients do): the parser takes the
    encoded text for the attached mail's body, so decode that and read the mail it holds."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    body = inner.get_payload()
    if encoding not in ("base64", "quoted-printable") or not isinstance(body, str) or depth >= MAX_DEPTH:
        return []
    try:
        data = base64.b64decode(body, validate=False) if encoding == "base64" else quopri.decodestring(body)
    except (binascii.Error, ValueError):
        return []
    return mail_texts(data, depth + 1)


def outlook_texts(data: bytes, depth: int = 0) -> list[str]:
    """The texts of an Outlook `.msg` (extract-msg): its transport headers, plain and HTML bodies,
    and those of the mails attached to it. An unreadable file gives nothing."""
    import extract_msg  # only when a .msg arrives: it is large, and most reports are plain mail

    try:
        msg: Any = extract_msg.openMsg(data, delayAttachments=False)
    except Exception:  # extract-msg raises many kinds on a damaged file; none should fail the report
        log.warning("an attached .msg could not be read", exc_info=True)
        return []
    try:
        return _msg_parts(msg, depth)
    except Exception:  # as above: a property that will not decode is skipped with the rest
        log.warning("an attached .msg could not be read through", exc_info=True)
        return []
    finally:
        msg.close()


def _msg_parts(msg: Any, depth: int) -> list[str]:
    found: list[str] = []
    for text in (getattr(msg, "headerText", None), getattr(msg, "subject", None), getattr(msg, "body", None)):
        if isinstance(text, str):
            found.append(text)
    html_body = getattr(msg, "htmlBody", None)
    if isinstance(html_body, bytes):
        found.append(decode_text(html_body, "utf-8"))
    for attachment in getattr(msg, "attachments", []) or []:
        data = getattr(attachment, "data", None)
        name = str(getattr(attachment, "longFilename", "") or getattr(attachment, "shortFilename", "") or "")
        if depth >= MAX_DEPTH or data is None:
            continue
        if isinstance(data, bytes):
            if name.lower().endswith(".eml"):
                found.extend(mail_texts(data, depth + 1))
            elif name.lower().endswith(".msg"):
                found.extend(outlook_texts(data, depth + 1))
        elif hasattr(data, "body"):  # an embedded Outlook item (a mail attached in Outlook)
            found.extend(_msg_parts(data, depth + 1))
    return found
