"""Mail helpers: a template folder like the forms' ones, values for it, and readers of what arrives."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

SENDER = "セキュリティ訓練キャンペーン事務局 <noreply@drill.example.jp>"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nEND:VCALENDAR\r\n"


def write_templates(root: Path) -> Path:
    """A template folder `root/welcome/` like the forms' ones (subject, text, HTML)."""
    folder = root / "welcome"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "subject.txt").write_text(
        "【受付】{{ company }} 様のお申し込みを承りました\n", encoding="utf-8"
    )
    (folder / "body.txt").write_text(
        "{{ name }} 様\n\nお申し込みの内容を確認しました。\n会社名: {{ company }}\n確認用の窓口: {{ url }}\n",
        encoding="utf-8",
    )
    (folder / "body.html").write_text(
        "<p>{{ name }} 様</p>\n<p>お申し込みの内容を確認しました。</p>\n"
        '<p>会社名: {{ company }}</p>\n<p><a href="{{ url }}">確認用の窓口</a></p>\n',
        encoding="utf-8",
    )
    return root


VALUES = {"name": "山田 花子", "company": "株式会社テスト商事", "url": "https://drill.example.jp/c/abc"}


def decoded_from(raw: bytes, header: str = "From") -> tuple[str, str]:
    """(display name, address) of the From (or another address) header as a mail client reads it.

    RFC 2047 says the space between two encoded words is not part of the text. The stdlib's
    modern parser keeps it inside a display name (a long name is folded into two words), so this
    decodes with `email.header.decode_header`, which follows the RFC.
    """
    legacy = message_from_bytes(raw, policy=policy.compat32)
    return parseaddr(str(make_header(decode_header(str(legacy[header])))))


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()
