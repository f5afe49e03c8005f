"""The learning page of one drill mail ("これは訓練です"): reached only through that mail's signed
link (the click, the reveal mail, the officer's report), it shows the mail as it was sent, with its
real sender address and its clues; never indexed, never kept by a shared cache. A bad or missing
token gets a friendly page that gives nothing away. On SQLite and on DynamoDB (moto)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import lxml.html
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from campaign_core.clock import FixedClock, iso
from campaign_core.deps import Deps
from campaign_core.records import MESSAGE
from campaign_core.store import Store
from drill_sender.services.learn import ANY_PARTICIPANT, learn_path, learn_token
from drill_sender.services.report import build_report, render_html
from drill_sender.templates import TRACK_PURPOSE, DrillTemplate, load_all, load_template, tracking_token
from tests.support.drill import ONESHOT_ADDRESS, SentDrill, get, staff, tracking_paths

TEMPLATES = load_all()
SUBJECTS = [t.subject for t in TEMPLATES]


def _visible(element: lxml.html.HtmlElement) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", element.text_content()))


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _assert_private(page: TestResponse) -> None:
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "noindex" in page.headers["X-Robots-Tag"]
    document = lxml.html.fromstring(page.get_data(as_text=True))
    assert [m.get("content") for m in document.cssselect('meta[name="robots"]')] == ["noindex, nofollow"]


def _assert_shows(page: TestResponse, template: DrillTemplate, *, sender: str, recipient: str) -> None:
    assert page.status_code == 200
    document = lxml.html.fromstring(page.get_data(as_text=True))
    assert document.findtext(".//title").startswith("これは訓練です")
    text = _visible(document)
    assert "これは訓練です" in text
    assert _flat(template.subject) in text
    [mail] = document.cssselect(".drill-mail")
    head = _visible(mail.cssselect("dl")[0])
    assert _flat(f"{template.sender_name}<{sender}>") in head and recipient in head
    assert "訓練用のドメイン" not in text
    # The mail is shown with inert links: no anchor, no image, no form inside it.
    assert not mail.cssselect("a, img, form, input, button")
    assert len(mail.cssselect(".drill-mail__link")) >= len(template.links)
    body = _visible(mail.cssselect(".drill-mail__body")[0])
    for line in (template.directory / "body.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and "{{" not in line:
            assert _flat(line) in body, line
    # The clues, in order, each with where to look.
    items = document.cssselect("ol.learn-clues > li")
    assert [_visible(i) for i in items] == [_flat(f"{c.where}:{c.text}") for c in template.clues]
    hrefs = [a.get("href", "") for a in document.cssselect("a")]
    assert "/participants/spotting/" in hrefs and "/participants/" in hrefs


# What each reader is asked to do now (issue 12): only one who has just clicked is asked to tell
# the officer they opened it; the sample's reader, the officer and a reader coming from the reveal
# mail later (who may never have opened it) each get steps of their own.
TELL_NOW = "「訓練メールのリンクを開きました」と伝えてください"


def _next_steps(page: TestResponse) -> str:
    document = lxml.html.fromstring(page.get_data(as_text=True))
    [heading] = document.cssselect("h2#next")
    return _visible(heading.getnext()) + _visible(heading.getnext().getnext())


def test_a_click_lands_on_the_page_of_the_mail_that_person_got(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, clock: FixedClock
) -> None:
    drill = sent(count=2, month=3, variant="obvious")
    person = staff(2)[1]
    _, clicks = drill.links[person]
    clock.advance(timedelta(minutes=20))
    landing = get(client, clicks[0]).headers["Location"]
    assert landing.startswith("/t/learn/")
    page = client.get(landing)
    template = load_template(3, "obvious")
    _assert_shows(
        page, template, sender=f"{template.sender_local_part}@{deps.drill_domain}", recipient=person
    )
    _assert_private(page)
    assert TELL_NOW in _next_steps(page)
    # Reading the page again is not another click.
    assert client.get(landing).status_code == 200


def test_the_page_reached_from_the_reveal_mail_does_not_assume_a_click(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, store: Store
) -> None:
    drill = sent(count=1)
    (message,) = store.query(MESSAGE, where={"application_id": drill.application_id})
    # The reveal and follow-up mails link the page by the same token, without `via=click`.
    page = client.get(learn_path(learn_token(deps, message=message.key)))
    steps = _next_steps(page)
    assert TELL_NOW not in steps and "無理もありません" not in steps
    assert "開かずに知らせる" in steps and "すぐ知らせる" in steps


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_every_template_has_its_page_with_its_clues(
    client: FlaskClient, store: Store, deps: Deps, template: DrillTemplate
) -> None:
    key = f"m-{template.key}"
    store.put_new(
        MESSAGE,
        key,
        {
            "application_id": "a-1", "purpose": "drill", "email": "hanako@test-corp.example.jp",
            "company": "テスト&商事", "month": template.month, "variant": template.variant,
            "state": "sent", "sent_at": iso(deps.now()),
        },
    )  # fmt: skip
    page = client.get(learn_path(learn_token(deps, message=key)))
    sender = f"{template.sender_local_part}@{deps.drill_domain}"
    _assert_shows(page, template, sender=sender, recipient="hanako@test-corp.example.jp")


def _assert_reveals_nothing(page: TestResponse, name: str) -> None:
    text = page.get_data(as_text=True)
    assert page.status_code == 404, name
    assert "このリンクは使えません" in text, name
    assert "no-store" in page.headers["Cache-Control"] and "noindex" in page.headers["X-Robots-Tag"]
    assert not [s for s in SUBJECTS if s in text], name
    assert "drill-mail" not in text, name


def test_a_missing_or_bad_token_gets_a_friendly_page_that_reveals_nothing(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, store: Store, clock: FixedClock
) -> None:
    drill = sent(count=1)
    (message,) = store.query(MESSAGE, where={"application_id": drill.application_id})
    good = learn_token(deps, message=message.key)
    assert client.get(learn_path(good)).status_code == 200
    store.put_new(MESSAGE, "never-sent", {**message.data, "state": "scheduled"})
    bad = {
        "missing": "/t/learn/",
        "garbage": "/t/learn/not-a-token",
        "altered": learn_path(good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")),
        "tracking token": learn_path(tracking_token(deps.signer, message.key)),
        "other purpose": learn_path(deps.signer.sign("report", {"m": message.key})),
        "never sent": learn_path(learn_token(deps, message="never-sent")),
        "no such drill": learn_path(learn_token(deps, application="nope")),
    }
    for name, path in bad.items():
        _assert_reveals_nothing(client.get(path), name)
    assert TRACK_PURPOSE != "learn"
    clock.advance(timedelta(days=184))  # half a year on, the link is over
    expired = client.get(learn_path(good))
    _assert_reveals_nothing(expired, "expired")
    assert "有効期間が終わっています" in expired.get_data(as_text=True)


def test_the_report_links_to_the_drills_mail_without_a_participants_address(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps
) -> None:
    drill = sent(count=2)
    html = render_html(build_report(deps, drill.application_id), site_url=deps.base_url)
    [link] = re.findall(r'href="(http://drill\.test/t/learn/[^"]+)"', html)
    page = client.get(urlsplit(link).path)
    template = load_template(8, "subtle")
    _assert_shows(page, template, sender=f"{template.sender_local_part}@{deps.drill_domain}", recipient="")
    text = page.get_data(as_text=True)
    assert ANY_PARTICIPANT in text and not [p for p in staff(2) if p in text]
    _assert_private(page)
    # The officer looks back at the drill: not told to report a click, nor that a mail came to them.
    steps = _next_steps(page)
    assert TELL_NOW not in steps and "開いた人を責めない" in steps
    assert "あなたに届いたメール" not in text and "結果レポートのリンクからだけ" in text


def test_the_oneshot_sample_lands_on_its_own_page(
    client: FlaskClient, store: Store, clock: FixedClock, sent_oneshot: list[EmailMessage]
) -> None:
    address = ONESHOT_ADDRESS
    sample = sent_oneshot[0]
    html = sample.get_body(("html",))
    assert html is not None
    _, clicks = tracking_paths(html.get_content())
    clock.advance(timedelta(minutes=5))
    page = client.get(get(client, clicks[0]).headers["Location"])
    (message,) = store.query(MESSAGE, where={"purpose": "oneshot"})
    template = load_template(int(message.data["month"]), str(message.data["variant"]))
    _assert_shows(page, template, sender=str(sample["From"].addresses[0].addr_spec), recipient=address)
    assert "ワンショット体験" in page.get_data(as_text=True)
    _assert_private(page)
    # The sample's reader checks the result and the filters; nothing is recorded as a drill result.
    steps = _next_steps(page)
    assert TELL_NOW not in steps and "結果のページ" in steps
    hrefs = [a.get("href") for a in lxml.html.fromstring(page.get_data(as_text=True)).cssselect("a")]
    assert "/t/allowlist/" in hrefs and "/apply/drill/" in hrefs
