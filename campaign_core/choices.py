"""The fixed choices of the forms, with their Japanese labels (one place for the values the server
accepts and the labels the templates print)."""

from __future__ import annotations

from campaign_core.address import PREFECTURES

# The industry categories of the legal definition of a small or medium company (中小企業基本法 and
# the related rules), as the IPA/METI briefing lists them; the employee bands follow its thresholds
# (50, 100, 200, 300, 900).
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("manufacturing", "製造業・建設業・運輸業"),
    ("wholesale", "卸売業"),
    ("retail", "小売業"),
    ("services", "サービス業(ソフトウェア業・情報処理サービス業・旅館業を除く)"),
    ("software", "ソフトウェア業・情報処理サービス業"),
    ("inn", "旅館業"),
    ("rubber", "ゴム製品製造業"),
    ("other", "その他の業種"),
    ("medical_welfare", "医療法人・社会福祉法人"),
    ("school", "学校法人"),
    ("chamber", "商工会・商工会議所"),
    ("association", "中小企業団体・組合"),
    ("foundation", "一般社団法人・一般財団法人・公益法人"),
    ("npo", "特定非営利活動法人(NPO法人)"),
)

EMPLOYEES: tuple[tuple[str, str], ...] = (
    ("1-5", "1〜5人"),
    ("6-20", "6〜20人"),
    ("21-50", "21〜50人"),
    ("51-100", "51〜100人"),
    ("101-200", "101〜200人"),
    ("201-300", "201〜300人"),
    ("301-900", "301〜900人"),
    ("901-", "901人以上"),
)

MEMBER: tuple[tuple[str, str], ...] = (
    ("member", "会員"),
    ("non_member", "非会員"),
    ("unknown", "わからない"),
)

# The drill mail the officer asks for (issue 11 §5). "auto" leaves it to the branch, which sends
# the obvious one unless it chooses otherwise (the behaviour before the choice existed).
VARIANT_AUTO = "auto"
VARIANT_CHOICES: tuple[tuple[str, str], ...] = (
    ("obvious", "見分けやすい"),
    ("subtle", "気づきにくい"),
    (VARIANT_AUTO, "おまかせ"),
)

PREFECTURE_CHOICES: tuple[tuple[str, str], ...] = tuple((name, name) for name in PREFECTURES)


def label(choices: tuple[tuple[str, str], ...], value: str) -> str:
    return dict(choices).get(value, value)
