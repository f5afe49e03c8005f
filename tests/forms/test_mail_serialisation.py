"""The forms' mails fold each header once (`FoldOncePolicy`) and still write exactly what
`email.policy.default` writes, in every policy variant a mailer uses, the first time and the next."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from campaign_core.mail import compose
from campaign_core.mail.compose import MAIL_POLICY, FoldOncePolicy
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
def test_the_bytes_are_those_of_the_default_policy(tmp_path: Path, variant: dict[str, object]) -> None:
    ours = MAIL_POLICY.clone(**variant)
    reference = policy.default.clone(**variant)
    for n, company in enumerate(("株式会社テスト商事", LONG_COMPANY, "株式会社テスト商事")):
        message = composed(tmp_path / str(n), company=company)
        assert message.policy is MAIL_POLICY
        expected = message.as_bytes(policy=reference)
        # Twice: the second time the folded headers come from the cache.
        assert message.as_bytes(policy=ours) == expected
        assert message.as_bytes(policy=ours) == expected
        assert message.as_string(policy=ours) == message.as_string(policy=reference)


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


def test_headers_with_defects_are_folded_each_time() -> None:
    message = EmailMessage(policy=MAIL_POLICY)
    message["To"] = "山田 <hanako@corp.example.jp"  # parsed with a defect (no ">"): not cached
    assert message["To"].defects
    before = FoldOncePolicy._folded.keys()
    assert MAIL_POLICY.fold("To", message["To"]) == policy.default.fold("To", message["To"])
    assert FoldOncePolicy._folded.keys() == before


def test_the_headers_mails_share_are_folded_once(tmp_path: Path) -> None:
    bytes(composed(tmp_path / "a"))
    before = set(FoldOncePolicy._folded.keys())
    bytes(composed(tmp_path / "b"))
    added = sorted(key[3] for key in set(FoldOncePolicy._folded.keys()) - before)
    # Only this mail's own Message-ID and its two MIME boundaries (mixed, alternative) are new:
    # sender, subject and the parts' headers were folded for the first mail.
    assert added == ["Content-Type", "Content-Type", "Message-ID"]
