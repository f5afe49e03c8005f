"""The client side of the forms benchmarks: many keep-alive connections posting the drill form to a
local server, and what its store and outbox hold afterwards."""

from __future__ import annotations

import email.parser
import email.policy
import http.client
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import getaddresses

from campaign_core.settings import Settings
from campaign_core.store import create_store

CONCURRENCY = 16  # client connections posting at once
FORM_PATH = "/api/drill"
REQUEST_TIMEOUT_S = 60.0


# -- client --------------------------------------------------------------------------------------------


def post_all(port: int, bodies: Sequence[bytes], concurrency: int = CONCURRENCY) -> list[int]:
    """POST every body to the form on 127.0.0.1:`port` from `concurrency` keep-alive connections;
    the HTTP status of each, in order (0 where the request itself failed)."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"http://127.0.0.1:{port}",
        "Referer": f"http://127.0.0.1:{port}/apply/drill/",
        "Accept-Encoding": "gzip",  # as a browser's post: the local server compresses its answer pages
    }
    local = threading.local()
    opened: list[http.client.HTTPConnection] = []
    opened_lock = threading.Lock()

    def connection() -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            local.conn = conn
            with opened_lock:
                opened.append(conn)
        return conn

    def post(body: bytes) -> int:
        conn = connection()
        try:
            conn.request("POST", FORM_PATH, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()  # the next request on this thread reconnects
            return 0
        if response.will_close:
            conn.close()
        return response.status

    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-client") as pool:
            return list(pool.map(post, bodies))
    finally:
        for conn in opened:
            conn.close()


def errors_in(statuses: Sequence[int]) -> int:
    return sum(not 200 <= status < 300 for status in statuses)


# -- reading back --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    found: int  # sent applications that are in the store
    mailed: int  # sent applications whose officer has a mail in the outbox
    mails: int  # mails in the outbox


def audit(settings: Settings, officers: Sequence[str]) -> Audit:
    """What a stack's store and outbox hold of the applications sent by these officers."""
    sent = set(officers)
    store = create_store(settings)
    try:
        stored = {str(record.data.get("officer_email")) for record in store.query("application")}
    finally:
        store.close()
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    recipients: set[str] = set()
    mails = 0
    for path in settings.outbox_dir.glob("*.eml"):
        mails += 1
        with path.open("rb") as handle:
            headers = parser.parse(handle)
        recipients.update(address for _name, address in getaddresses(headers.get_all("To", [])))
    return Audit(found=len(sent & stored), mailed=len(sent & recipients), mails=mails)
