"""The subcommand of `campaign` on company mail domains (registered on its group by `cli/main.py`):

    campaign company-domain add DOMAIN [--note TEXT]
    campaign company-domain remove DOMAIN

A domain staff added is one whose addresses are the applying company's own: participants there
need no confirmation of their own (`form_lambda.services.domains`). Free-mail domains are refused.
Both write an audit line (the domain is a company's, not a person's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.japanese import Choice, JaCommand
from cli.output import fail, out
from form_lambda.services.domains import SharedDomain, add_checked, clean_domain, remove_checked

if TYPE_CHECKING:
    from cli.main import Env


@click.command(name="company-domain", cls=JaCommand)
@click.argument("action", metavar="add|remove", type=Choice(["add", "remove"]))
@click.argument("domain", metavar="ドメイン")
@click.option("--note", default="", help="確かめた方法などのメモ(例: 商工会議所に電話で確認)。")
@click.pass_obj
def company_domain(env: Env, action: str, domain: str, note: str) -> None:
    """会社のメールドメインを「確認済み」にする(add)、または取り消す(remove)。

    確認済みのドメインでは、責任者と同じドメインの参加者に本人確認のメールを送らずに訓練メールを
    送ります。その会社だけが使うドメインだと確かめられたときだけ追加してください。
    フリーメールやプロバイダーのドメインは追加できません。
    """
    name = clean_domain(domain)
    if action == "remove":
        remove_checked(env.store, name)
        env.audit_line("company-domain", {"action": "remove", "domain": name})
        out.print(
            f"{name} の確認を取り消しました。これからの申し込みでは、参加者全員に確認メールが届きます。"
        )
        return
    try:
        added = add_checked(env.store, env.clock, name, note=note)
    except SharedDomain:
        fail(f"{name} はフリーメールなど多くの人が使うドメインのため、確認済みにできません。")
    except ValueError:
        fail(f"{domain} はドメイン名として読めません(例: example.co.jp)。")
    env.audit_line("company-domain", {"action": "add", "domain": name})
    if added:
        out.print(f"{name} を確認済みにしました。これからの申し込みから有効です。")
    else:
        out.print(f"{name} はすでに確認済みです。")
