"""Browser-test helpers: the local server on a free port, the request log of a page (no
third-party host) and the axe-core audit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request
from waitress.server import create_server

from campaign_core.settings import PROJECT_ROOT, Settings
from tests.support import TEST_SECRET
from tests.support.forms import Outbox
from tests.support.servers import free_port

AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

AXE_RUN = """async () => {
  const result = await axe.run(document);
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


@dataclass
class LocalServer:
    url: str
    settings: Settings

    @property
    def outbox(self) -> Outbox:
        """The `.eml` files of the mails the server sent (its mail backend is the outbox)."""
        return Outbox(self.settings.outbox_dir)


@contextmanager
def local_server(
    site_dir: Path, data_dir: Path, *, threads: int = 8, **settings: Any
) -> Iterator[LocalServer]:
    """The app `make run` serves (site, forms, tracking) on a free loopback port, in a thread, with
    the built site, the repository's content, the test key and `settings`."""
    from local.serve import create_local_app

    port = free_port()
    config = Settings(
        data_dir=data_dir,
        site_dir=site_dir,
        content_dir=PROJECT_ROOT / "content",
        secret_key=TEST_SECRET,
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        **settings,
    )
    server = create_server(create_local_app(config), host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{port}", config)
    finally:
        server.close()


@dataclass
class RequestLog:
    """Every request a page makes, to prove no third-party host is contacted."""

    own_origin: str
    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        own = urlsplit(self.own_origin).netloc
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob", "about") and urlsplit(url).netloc != own
        ]


def axe_violations(tab: Page) -> list[dict[str, Any]]:
    tab.add_script_tag(path=str(AXE_JS))
    violations: list[dict[str, Any]] = tab.evaluate(AXE_RUN)
    return violations


# -- Material's search box ----------------------------------------------------------------------------

RESULT_LINKS = "a.md-search-result__link"
RESULT_ITEMS = "li.md-search-result__item"


def search(tab: Page, word: str, until: str = "") -> list[str]:
    """Types the word into Material's search box and returns the result paths: of all batches, or up to
    the batch that lists the path `until`."""
    box = tab.locator("input.md-search__input")
    box.click()
    box.fill("")
    box.press("End")
    tab.wait_for_function(f"document.querySelectorAll('{RESULT_LINKS}').length === 0")
    # insert_text is what an IME commits; the key press after it stands for the confirming keystroke
    # (Material reads the query on keyup).
    tab.keyboard.insert_text(word)
    box.press("End")
    # Results, or Material's own "nothing found" message (its text comes from the page's config).
    tab.wait_for_function(
        f"""() => document.querySelectorAll('{RESULT_LINKS}').length > 0 ||
          document.querySelector('.md-search-result__meta').textContent.trim() ===
          JSON.parse(document.getElementById('__config').textContent).translations['search.result.none']""",
        timeout=5000,
    )
    # Material renders the first ten matching pages, then four more each time its result pane is
    # scrolled to the bottom, and states their number ("N件見つかりました"): scroll until all are there.
    tab.wait_for_function(
        f"""until => {{
          const pane = document.querySelector('.md-search__scrollwrap');
          // Reaching the bottom loads one batch; leave it in between, or the next arrival goes unseen.
          const atEnd = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 20;
          pane.scrollTop = atEnd ? 0 : pane.scrollHeight;
          pane.dispatchEvent(new Event('scroll'));
          const meta = document.querySelector('.md-search-result__meta').textContent;
          const total = Number((meta.match(/\\d+/) || [0])[0]);
          const links = [...document.querySelectorAll('{RESULT_LINKS}')];
          return links.some(a => until && new URL(a.href).pathname === until) ||
            document.querySelectorAll('{RESULT_ITEMS}').length >= total;
        }}""",
        arg=until,
        polling=200,
        timeout=30000,
    )
    paths: list[str] = tab.locator(RESULT_LINKS).evaluate_all(
        "links => links.map(a => new URL(a.href).pathname)"
    )
    return paths
