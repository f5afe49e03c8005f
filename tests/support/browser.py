"""Browser-test helpers: the request log of a page (no third-party host) and the axe-core audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request

from campaign_core.settings import PROJECT_ROOT

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
