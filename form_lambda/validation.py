"""Parse and validate the three forms: normalise first, then check, field by field.

Each `validate_*` returns the cleaned input and a dict of field name -> Japanese message, in form
order; the input is None when any field is wrong. Nothing here touches the store: whether a seminar
session still has seats or an office is still free is the services' business.

The address rules (`campaign_core.emails`, with email-validator's regular expressions) and the
corporate number check (python-stdnum) are imported on the first form that needs them, so that
building the app (a Lambda's cold start) does not pay for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign_core.address import PREFECTURES, lookup_postal_code
from campaign_core.choices import EMPLOYEES, INDUSTRIES, MEMBER, VARIANT_AUTO, VARIANT_CHOICES
from campaign_core.emails import (
    InvalidEmail,
    check_email,
    dedupe_key,
    domain_of,
    in_domain,
    is_shared_domain,
    split_address_list,
)
from campaign_core.normalize import clean_text, digits_only, normalize_dashes, phone_digits, tidy_company
from campaign_core.office import office_keys

MAX_PARTICIPANTS = 10
MAX_TEXT = 100
MAX_ADDRESS = 200
MAX_PARTICIPANTS_FIELD = 4000
# Control characters other than tab/newline never belong in a form value (and must never reach a
# mail header).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Errors = dict[str, str]


@dataclass(frozen=True)
class Chamber:
    """The chamber the applicant named: a known `code` from content/chambers.yml, or free text."""

    code: str  # "" when typed freely and not found in the list
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name}


@dataclass(frozen=True)
class Participant:
    email: str
    # True when the address is in the officer's own domain (or a subdomain of it) and that domain
    # is no known free-mail domain. That alone trusts nobody: the drill service also asks whether
    # staff have checked the domain (`form_lambda.services.drill.participant_status`).
    in_officer_domain: bool


@dataclass(frozen=True)
class SeminarInput:
    session_id: str
    company: str
    name: str
    email: str
    phone: str
    prefecture: str
    chamber: Chamber
    member: str


@dataclass(frozen=True)
class DrillInput:
    company: str
    office: str
    corporate_number: str
    postal_code: str
    prefecture: str
    address: str
    phone: str
    industry: str
    employees: str
    chamber: Chamber
    member: str
    officer_name: str
    officer_email: str
    participants: tuple[Participant, ...]
    variant: str  # obvious / subtle / auto (おまかせ)
    reveal: bool  # the reveal mail (種明かし) about a week after the drill
    followup: bool  # the follow-up learning mail a week after the reveal
    office_keys: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class OneshotInput:
    email: str
    company: str


class _Checker:
    """Collects the cleaned values and the first error of each field."""

    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.errors: Errors = {}

    def raw(self, name: str) -> str:
        value = self.form.get(name, "")
        return value if isinstance(value, str) else ""

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, label: str, *, required: bool = True, max_length: int = MAX_TEXT) -> str:
        value = clean_text(_CONTROL_RE.sub("", self.raw(name)))
        if not value:
            if required:
                self.error(name, f"{label}を入力してください。")
            return ""
        if len(value) > max_length:
            self.error(name, f"{label}は{max_length}文字以内で入力してください。")
        return value

    def choice(self, name: str, label: str, choices: Sequence[tuple[str, str]] | Sequence[str]) -> str:
        value = clean_text(self.raw(name))
        allowed = {c if isinstance(c, str) else c[0] for c in choices}
        if not value:
            self.error(name, f"{label}を選んでください。")
        elif value not in allowed:
            self.error(name, f"{label}は一覧から選んでください。")
        return value

    def email(self, name: str, label: str) -> str:
        raw = self.raw(name)
        if not clean_text(raw):
            self.error(name, f"{label}を入力してください。")
            return ""
        try:
            return check_email(raw)
        except InvalidEmail:
            self.error(
                name,
                f"{label}の形式が正しくありません。"
                "半角英数字で、例: taro@example.co.jp のように入力してください。",
            )
            return ""

    def phone(self, name: str, *, required: bool) -> str:
        raw = clean_text(self.raw(name))
        if not raw:
            if required:
                self.error(name, "電話番号を入力してください。")
            return ""
        digits = phone_digits(raw)
        if not re.fullmatch(r"0\d{9,10}", digits) or re.search(r"[^\d\s()+\-]", normalize_dashes(raw)):
            self.error(
                name,
                "電話番号は、0から始まる10桁か11桁の数字で入力してください"
                "(ハイフンはあってもなくても構いません)。",
            )
            return ""
        return digits

    def consent(self) -> None:
        if self.raw("consent") not in ("yes", "on"):
            self.error("consent", "個人情報の取扱いへの同意にチェックを入れてください。")


def resolve_chamber(value: str, chambers: Sequence[Mapping[str, Any]]) -> Chamber | None:
    """A chamber code or name from the list, or the free text as typed; None when empty."""
    text = clean_text(value)
    if not text:
        return None
    lowered = text.casefold()
    for entry in chambers:
        code, name = str(entry.get("code", "")), str(entry.get("name", ""))
        if lowered == code.casefold() or text == clean_text(name):
            return Chamber(code=code, name=name)
    return Chamber(code="", name=text)


def _chamber(check: _Checker, chambers: Sequence[Mapping[str, Any]]) -> Chamber:
    raw = check.raw("chamber")
    if len(clean_text(raw)) > MAX_TEXT:
        check.error("chamber", f"商工会議所名は{MAX_TEXT}文字以内で入力してください。")
        return Chamber(code="", name="")
    return resolve_chamber(_CONTROL_RE.sub("", raw), chambers) or Chamber(code="", name="")


def validate_seminar(
    form: Mapping[str, str], *, session_ids: Sequence[str], chambers: Sequence[Mapping[str, Any]]
) -> tuple[SeminarInput | None, Errors]:
    check = _Checker(form)
    session_id = clean_text(check.raw("session_id"))
    if not session_id:
        check.error("session_id", "お申し込みになるセミナーを選んでください。")
    elif session_id not in session_ids:
        check.error("session_id", "セミナーは一覧から選んでください。")
    company = tidy_company(check.text("company", "会社名・団体名"))
    name = check.text("name", "お名前", max_length=50)
    email = check.email("email", "メールアドレス")
    phone = check.phone("phone", required=False)
    prefecture = check.choice("prefecture", "都道府県", PREFECTURES)
    chamber = _chamber(check, chambers)
    member = check.choice("member", "ユーザ協会の会員かどうか", MEMBER)
    check.consent()
    if check.errors:
        return None, check.errors
    return (
        SeminarInput(session_id, company, name, email, phone, prefecture, chamber, member),
        {},
    )


def validate_participants(text: str, officer_email: str) -> tuple[tuple[Participant, ...], str | None]:
    """The participant list and an error message (None when fine)."""
    if len(text) > MAX_PARTICIPANTS_FIELD:
        return (), "参加者のメールアドレスが長すぎます。1行に1件ずつ、最大10件まで入力してください。"
    entries = split_address_list(_CONTROL_RE.sub("", text))
    if not entries:
        return (), "訓練メールを受け取る参加者のメールアドレスを1件以上入力してください。"
    seen: set[str] = set()
    addresses: list[str] = []
    wrong: list[str] = []
    for entry in entries:
        try:
            address = check_email(entry)
        except InvalidEmail:
            wrong.append(entry)
            continue
        key = dedupe_key(address)
        if key not in seen:
            seen.add(key)
            addresses.append(address)
    if wrong:
        shown = "、".join(wrong[:3]) + (" ほか" if len(wrong) > 3 else "")
        return (
            (),
            (
                f"参加者のメールアドレスに形式の正しくないものがあります({shown})。"
                "1行に1件ずつ入力してください。"
            ),
        )
    if len(addresses) > MAX_PARTICIPANTS:
        return (
            (),
            (
                f"訓練の参加者は1事業所につき最大{MAX_PARTICIPANTS}名です。"
                f"いま{len(addresses)}件入力されています。"
            ),
        )
    officer_domain = domain_of(officer_email) if officer_email else ""
    shared = not officer_domain or is_shared_domain(officer_domain)
    return (
        tuple(
            Participant(address, in_officer_domain=not shared and in_domain(address, officer_domain))
            for address in addresses
        ),
        None,
    )


def validate_drill(
    form: Mapping[str, str], *, chambers: Sequence[Mapping[str, Any]]
) -> tuple[DrillInput | None, Errors]:
    from stdnum.jp import cn as corporate_number_rules

    check = _Checker(form)
    company = tidy_company(check.text("company", "会社名・団体名"))
    office = check.text("office", "事業所名", required=False)

    corporate_number = digits_only(check.raw("corporate_number"))
    if clean_text(check.raw("corporate_number")) and (
        re.search(r"[^\d\s\-]", normalize_dashes(check.raw("corporate_number")))
        or not corporate_number_rules.is_valid(corporate_number)
    ):
        check.error(
            "corporate_number",
            "法人番号は13桁の数字です。国税庁の法人番号公表サイトで確かめて入力してください(わからなければ空欄で構いません)。",
        )

    postal_raw = clean_text(check.raw("postal_code"))
    postal_code = digits_only(postal_raw)
    postal = None
    if not postal_raw:
        check.error("postal_code", "郵便番号を入力してください。")
    elif len(postal_code) != 7 or re.search(r"[^\d\s\-〒]", normalize_dashes(postal_raw)):
        check.error("postal_code", "郵便番号は7桁の数字で入力してください(例: 100-0001)。")
    else:
        postal = lookup_postal_code(postal_code)
        if postal is None:
            check.error("postal_code", "この郵便番号は見つかりませんでした。番号をお確かめください。")

    prefecture = check.choice("prefecture", "都道府県", PREFECTURES)
    if postal is not None and prefecture in PREFECTURES and prefecture != postal.prefecture:
        check.error(
            "prefecture",
            f"郵便番号 {postal_code[:3]}-{postal_code[3:]} は{postal.prefecture}の番号です。"
            "都道府県か郵便番号をお確かめください。",
        )
    address = check.text("address", "所在地(市区町村・番地)", max_length=MAX_ADDRESS)
    phone = check.phone("phone", required=True)
    industry = check.choice("industry", "業種", INDUSTRIES)
    employees = check.choice("employees", "従業員数", EMPLOYEES)
    chamber = _chamber(check, chambers)
    member = check.choice("member", "ユーザ協会の会員かどうか", MEMBER)
    officer_name = check.text("officer_name", "セキュリティ責任者のお名前", max_length=50)
    officer_email = check.email("officer_email", "セキュリティ責任者のメールアドレス")
    participants, participants_error = validate_participants(check.raw("participants"), officer_email)
    if participants_error:
        check.error("participants", participants_error)
    variant, reveal, followup = _drill_options(check)
    check.consent()
    if check.errors:
        return None, check.errors
    keys = office_keys(
        company=company,
        postal_code=postal_code,
        address=address,
        corporate_number=corporate_number,
        office=office,
    )
    return (
        DrillInput(
            company=company,
            office=office,
            corporate_number=corporate_number,
            postal_code=postal_code,
            prefecture=prefecture,
            address=address,
            phone=phone,
            industry=industry,
            employees=employees,
            chamber=chamber,
            member=member,
            officer_name=officer_name,
            officer_email=officer_email,
            participants=participants,
            variant=variant,
            reveal=reveal,
            followup=followup,
            office_keys=tuple(keys),
        ),
        {},
    )


def _drill_options(check: _Checker) -> tuple[str, bool, bool]:
    """The officer's choices: the kind of drill mail (empty: おまかせ, as a form from before the
    choice sends nothing) and whether each of the two mails after the drill goes out."""
    variant = check.raw("variant") or VARIANT_AUTO
    if variant not in dict(VARIANT_CHOICES):
        check.error(
            "variant", "訓練メールの種類は、「見分けやすい」「気づきにくい」「おまかせ」から選んでください。"
        )
    # A form page cached from before the two choices posts one `reveal_followup` box for both.
    legacy = "reveal" not in check.form and "followup" not in check.form
    wanted = {}
    for name, what in (("reveal", "種明かしメール"), ("followup", "おさらいメール")):
        value = check.raw("reveal_followup" if legacy else name)
        if value not in ("", "on", "off"):
            check.error(name, f"{what}を送るかどうかは、チェックを入れるか外すかで選んでください。")
        wanted[name] = value == "on"
    return variant, wanted["reveal"], wanted["followup"]


def validate_oneshot(form: Mapping[str, str]) -> tuple[OneshotInput | None, Errors]:
    check = _Checker(form)
    email = check.email("email", "メールアドレス")
    company = tidy_company(check.text("company", "会社名・団体名"))
    check.consent()
    if check.errors:
        return None, check.errors
    return OneshotInput(email=email, company=company), {}
