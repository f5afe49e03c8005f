"""50 simultaneous applications for one office, written 20 ways: exactly one is accepted."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable

from flask import Flask

from campaign_core.store import Store
from tests.support.forms import DRILL_FORM, Outbox, confirm_officer, dynamodb_store
from tests.support.servers import MotoServer

COMPANIES = ["株式会社テスト", "(株)テスト", "㈱テスト", "ｶﾌﾞｼｷｶﾞｲｼｬﾃｽﾄ", "（株）　テスト"]
POSTAL = ["100-0001", "〒１００ー０００１", "1000001", "１００－０００１"]
ADDRESSES = [
    "千代田区千代田1-2-3",
    "千代田区千代田１丁目２番３号",
    "千代田区千代田一丁目二番三号",
    "千代田区 千代田 1ー2ー3",
    "千代田区千代田1丁目2番地3",
]
# 20 spellings of one office: every company spelling with every postal spelling, addresses rotating.
SPELLINGS = [
    {"company": company, "postal_code": postal, "address": ADDRESSES[n % len(ADDRESSES)]}
    for n, (company, postal) in enumerate(itertools.product(COMPANIES, POSTAL))
]


def race(app: Flask, count: int = 50) -> Counter[int]:
    assert len(SPELLINGS) == 20
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        client = app.test_client()
        form = {**DRILL_FORM, **SPELLINGS[n % 20], "officer_email": f"officer{n}@test-corp.example.jp"}
        barrier.wait()
        status = client.post("/api/drill", data=form).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(statuses)


def assert_exactly_one_accepted(app: Flask) -> None:
    store: Store = app.extensions["campaign_store"]
    outbox = Outbox(app.config["CAMPAIGN_SETTINGS"].outbox_dir)
    statuses = race(app)
    assert statuses == Counter({200: 1, 409: 49})
    assert len(store.query("application")) == 1
    assert len(store.query("office_claim")) == 1
    [mail] = outbox.messages()
    confirm_officer(app.test_client(), outbox, str(mail["To"]))
    assert [r.data["status"] for r in store.query("application")] == ["accepted"]


def test_one_office_fifty_racers_on_sqlite(forms_app: Flask) -> None:
    assert_exactly_one_accepted(forms_app)


def test_one_office_fifty_racers_on_dynamodb(make_app: Callable[..., Flask], moto: MotoServer) -> None:
    assert_exactly_one_accepted(make_app(store=dynamodb_store(moto)))
