"""`campaign`: the staff command of branch staff (支部) and HQ for drill runs, in Japanese.

    campaign                  (alone: what to do next, see `cli/overview.py`)
    campaign applications [--status accepted] [--chamber sapporo] [--branch hokkaido] [--json]
    campaign schedule APPLICATION_ID [--start 2026-12-01] [--days 3] [--month 2026-12] [--variant subtle]
    campaign send-due [--dry-run]
    campaign requeue [APPLICATION_ID] [--message KEY ...]
    campaign show APPLICATION_ID [--json]
    campaign sheet APPLICATION_ID
    campaign report APPLICATION_ID [--format html|csv] [--output FILE] [--send]
    campaign feedback [CHAMBER] [--branch CODE] [--from DATE] [--to DATE] [--format html|csv] [--send]
    campaign maintenance on|off [--message TEXT]
    campaign suppressed [--json]

`CAMPAIGN_NOW` (ISO 8601; without a zone, JST) pins "now", so staff can rehearse a whole drill.
Every command that reads or changes personal data writes an audit line (`campaign audit`): who
(`CAMPAIGN_STAFF`, else the OS user), when, which command and what it touched, as ids and counts.
Exit codes: 0 done, 1 refused or failed (the message says why), 2 wrong usage.
Application ids may be shortened to any unique beginning (`cli/ids.py`). Help, tables and messages
are Japanese (`cli/japanese.py`: every command is made with `cls=JaCommand`); identifiers, command
names and `--json` keys stay English.

This module is the group, its context object (`Env`) and the registration; the commands are in
`cli/applications.py`, `cli/drill.py`, `cli/reports.py`, `cli/forms.py` and `cli/hq.py`, the output
they share in `cli/output.py`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import click

from campaign_core.aws import SECRET_PARAMETER, environ_with_secret
from campaign_core.clock import Clock, clock_from_env
from campaign_core.deps import Deps
from campaign_core.mail import Mailer, create_mailer
from campaign_core.settings import Settings, load_settings
from campaign_core.store import Store, create_store
from cli.applications import applications
from cli.domains import company_domain
from cli.drill import schedule_command, send_due_command, sheet, show
from cli.forms import maintenance, suppressed
from cli.hq import HQ_COMMANDS
from cli.japanese import JaGroup
from cli.migrate import migrate_store_command
from cli.output import fail
from cli.overview import show_overview
from cli.reports import feedback_command, report_command
from cli.requeue import requeue_command
from hq import audit


def staff_environ(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Against DynamoDB (the campaign on AWS): the environment with the functions' signing key read
    from the SSM parameter `CAMPAIGN_SECRET_PARAMETER` names, so links staff mail (check sheets,
    reports) open on the site. Against SQLite: the environment as it is, and no AWS call."""
    if environ.get("CAMPAIGN_STORE", "sqlite") != "dynamodb":
        return environ
    from botocore.exceptions import BotoCoreError, ClientError  # botocore: only for the AWS campaign

    try:
        return environ_with_secret(environ)
    except (BotoCoreError, ClientError, RuntimeError) as exc:  # no access, no such parameter, no key in it
        name = environ.get(SECRET_PARAMETER, "")
        fail(f"署名用の鍵を SSM パラメータ {name} から読めませんでした: {exc}")


@dataclass
class Env:
    """What every subcommand needs, built on first use (no store is opened, no key read from SSM,
    for `--help`)."""

    environ: Mapping[str, str]
    clock: Clock
    _settings: Settings | None = None
    _store: Store | None = None
    _mailer: Mailer | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(staff_environ(self.environ))
            except ValueError as exc:  # a setting that does not parse: say which, no traceback
                fail(str(exc))
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = create_store(self.settings)
        return self._store

    @property
    def mailer(self) -> Mailer:
        if self._mailer is None:
            self._mailer = create_mailer(self.settings, self.store)
        return self._mailer

    def deps(self) -> Deps:
        return Deps(store=self.store, mailer=self.mailer, clock=self.clock, settings=self.settings)

    def audit_line(self, command: str, details: Mapping[str, Any]) -> None:
        """The command's audit line: ids, filters and counts only, never an address or a name."""
        audit.record(self.store, self.clock, command, details)


@click.group(
    cls=JaGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.pass_context
def cli(ctx: click.Context) -> None:
    """セキュリティ訓練キャンペーンの運用コマンドです。申込の一覧、訓練メールの日程決め、
    送信、訓練の様子の確認、レポートと商工会議所あての一覧づくり、受付の一時停止ができます。

    コマンドを付けずに `campaign` だけで動かすと、いまやること(日程を決める申込、送るレポート、
    届かなかったアドレス)を表示します。各コマンドの説明は `campaign コマンド名 --help` で見られます。

    設定はサーバーと同じ環境変数から読みます(CAMPAIGN_DATA_DIR、CAMPAIGN_STORE、CAMPAIGN_MAIL など)。
    CAMPAIGN_NOW=2026-12-01T10:00 のように日時を入れると(タイムゾーンがなければ日本時間)、
    その日時を「いま」として動くので、訓練の流れを最初から最後まで試せます。
    """
    try:
        clock = clock_from_env(os.environ)
    except ValueError as exc:
        raise click.UsageError(
            f"CAMPAIGN_NOW の日時が読めません。2026-12-01T10:00 のように書いてください({exc})"
        ) from exc
    ctx.obj = Env(environ=dict(os.environ), clock=clock)
    if ctx.invoked_subcommand is None:
        show_overview(ctx.obj)


COMMANDS = (
    applications,  # cli/applications.py
    schedule_command,  # cli/drill.py
    send_due_command,
    requeue_command,  # cli/requeue.py
    show,
    sheet,
    report_command,  # cli/reports.py
    feedback_command,
    maintenance,  # cli/forms.py
    suppressed,
    company_domain,  # cli/domains.py
    *HQ_COMMANDS,  # cli/hq.py: leads, purge, forget, audit, stats
    migrate_store_command,  # cli/migrate.py
)
for _command in COMMANDS:
    cli.add_command(_command)
