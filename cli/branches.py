"""`--branch`: what one branch (支部) looks after, for `campaign applications`, `feedback` and
`stats`. A company belongs to the branch of the chamber it named (content/chambers.yml); one that
named no chamber from the list (or wrote a name we do not know) belongs to the branch of its
prefecture (content/branches.yml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import click

from campaign_core import content
from campaign_core.content import Branch
from campaign_core.form_records import DrillApplication, SeminarSignup
from campaign_core.settings import Settings
from cli.output import fail

F = TypeVar("F", bound=Callable[..., Any])


class Env(Protocol):
    """What `--branch` needs of the group's context object (`cli.main.Env`): the content folder."""

    @property
    def settings(self) -> Settings: ...


Belongs = Callable[[DrillApplication | SeminarSignup], bool]


def branch_option(text: str) -> Callable[[F], F]:
    """`--branch CODE` (the parameter `branch`)."""
    return click.option("--branch", metavar="支部", help=text)


def require_branch(env: Env, wanted: str) -> Branch:
    found = content.find_branch(env.settings.content_dir, wanted)
    if found is None:
        codes = "、".join(b.code for b in content.branches(env.settings.content_dir))
        fail(f"「{wanted}」という支部は content/branches.yml にありません。次のどれかにしてください: {codes}")
    return found


def belongs_to(env: Env, branch: Branch) -> Belongs:
    """Whether an application (or seminar signup: the same `chamber` and `prefecture` fields) is the
    branch's to look after."""
    chambers = content.chambers(env.settings.content_dir)
    branch_of_code = {c.code: c.branch for c in chambers}
    branch_of_name = {c.name: c.branch for c in chambers}

    def test(record: DrillApplication | SeminarSignup) -> bool:
        named = record.chamber
        found = branch_of_code.get(str(named.get("code", ""))) or branch_of_name.get(
            str(named.get("name", ""))
        )
        if found:
            return found == branch.code
        return record.prefecture in branch.prefectures

    return test
