"""Signed links to one drill's own pages (the officer's check sheet, the report): `<path>/<token>`,
the token naming the application, valid for `max_age` and only while the drill exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from campaign_core.deps import Deps
from campaign_core.records import DRILL
from campaign_core.tokens import linked_key


@dataclass(frozen=True)
class DrillLink:
    purpose: str
    path: str  # e.g. "/t/sheet"
    max_age: timedelta

    def url(self, deps: Deps, application_id: str) -> str:
        return deps.signed_link(self.path, self.purpose, {"a": application_id})

    def application_of(self, deps: Deps, token: str) -> str:
        """The application behind a token; `TokenError` ("invalid" / "expired") otherwise."""
        return linked_key(
            deps.signer, deps.store, self.purpose, token, max_age=self.max_age, field="a", kind=DRILL
        )
