"""The forms' mails are built on `email.policy.default` and read back the same in every policy
variant a mailer writes them with; each mail keeps its own headers."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from campaign_core.mail import compose
from tests.support.mail import ICS, SENDER, VALUES, decoded_from, write_templates

NOW = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
LONG_COMPANY = "株式会社とても長い名前のテスト商事ホールディングス関東支社" * 2


def composed(tmp_path: Path, **values: str) -> EmailMessage:
    return compose(
        write_templates(tmp_path / "mail"),
        "welcome",
        to="山田 花子 <hanako@corp.example.jp>",
        sender=SENDER,
        values={**VALUES, **values},
        attachments=[("seminar.ics", ICS, "text/calendar; method=PUBLISH")],
        now=NOW,
        headers={"Reply-To": "窓口 <desk@drill.example.jp>"},
    )


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"linesep": "\r\n"},  # SES and SMTP write CRLF
        {"max_line_length": 40},
        {"cte_type": "7bit"},
        {"utf8": True},
    ],
    ids=["default", "crlf", "short-lines", "7bit", "utf8"],
)
def test_every_policy_variant_writes_the_same_mail(tmp_path: Path, variant: dict[str, object]) -> None:
    for n, company in enumerate(("株式会社テスト商事", LONG_COMPANY)):
        message = composed(tmp_path / str(n), company=company)
        assert message.policy is policy.default
        raw = message.as_bytes(policy=policy.default.clone(**variant))
        if raw.isascii():
            reread = message_from_bytes(raw, policy=policy.default)
        else:  # utf8: the headers as UTF-8 text
            reread = message_from_string(raw.decode("utf-8"), policy=policy.default)
        assert isinstance(reread, EmailMessage)
        assert not reread.defects
        for name in ("Subject", "To", "Date", "Message-ID", "Reply-To"):
            # (utf8 folds a long subject onto the next line: the reread value starts with a space)
            assert str(reread[name]).strip() == str(message[name]), name
        if raw.isascii():  # encoded words, read as a mail client does (see `decoded_from`)
            assert decoded_from(raw) == ("セキュリティ訓練キャンペーン事務局", "noreply@drill.example.jp")
        else:  # utf8: the name as it is
            assert reread["From"].addresses == message["From"].addresses
        assert [p.get_content_type() for p in reread.walk()] == [p.get_content_type() for p in message.walk()]
        for ours, theirs in zip(reread.walk(), message.walk(), strict=True):
            if not ours.is_multipart():
                assert isinstance(ours, EmailMessage) and isinstance(theirs, EmailMessage)
                assert ours.get_content() == theirs.get_content()


def test_each_mail_keeps_its_own_headers(tmp_path: Path) -> None:
    first = composed(tmp_path / "a", company="株式会社いろは")
    second = composed(tmp_path / "b", company="株式会社ほへと")
    for message, company in (
        (first, "株式会社いろは"),
        (second, "株式会社ほへと"),
        (first, "株式会社いろは"),
    ):
        raw = bytes(message)
        assert raw.isascii()
        assert decoded_from(raw) == ("セキュリティ訓練キャンペーン事務局", "noreply@drill.example.jp")
        reread = message_from_bytes(raw, policy=policy.default)
        assert str(reread["Subject"]) == f"【受付】{company} 様のお申し込みを承りました"
        assert reread["Message-ID"] == message["Message-ID"]
