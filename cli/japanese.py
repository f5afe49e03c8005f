"""The staff command in Japanese: click's own words (usage line, section titles, `--help`, the
defaults in brackets, usage errors) for branch staff who read Japanese.

Click marks its messages for gettext, but a gettext catalogue is picked by the process locale
(`LANG`), and a branch PC's terminal may well run under `C`; so the command owns its words here
instead: `JaCommand` and `JaGroup` (every command of `campaign` is made with `cls=JaCommand`),
a help formatter with Japanese section titles, parameter types whose refusals are Japanese, and
`japanese_error`, which says a usage error in Japanese whatever part of click raised it.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click
from click.formatting import HelpFormatter
from rich.cells import cell_len

HELP = "この説明を表示します。"

_SECTIONS = {"Options": "オプション", "Commands": "コマンド", "Positional arguments": "引数"}

# Click's own wording inside option help brackets, e.g. "[default: html]".
_HELP_EXTRA = (
    (re.compile(r"\[default: (.*?)(;|\])"), r"[既定: \1\2"),
    (re.compile(r"(\[|; )required\]"), r"\1必須]"),
    (re.compile(r"(\d+)<=x<=(\d+)"), r"\1〜\2"),
)

# Usage errors click raises with its own English message (parser and command), as Japanese.
_MESSAGES = (
    (re.compile(r"Option '(.+)' requires an argument\."), r"\1 のあとに値を書いてください。"),
    (re.compile(r"Option '(.+)' requires (\d+) arguments\."), r"\1 のあとに値を \2 つ書いてください。"),
    (re.compile(r"Option '(.+)' does not take a value\."), r"\1 には値を付けません。"),
    (re.compile(r"Got unexpected extra arguments? \((.*)\)"), r"余分な引数があります: \1"),
    (re.compile(r"No such command '(.+)'\."), r"「\1」というコマンドはありません。"),
    (re.compile(r"Missing command\."), r"コマンドを指定してください。"),
)


class JaFormatter(HelpFormatter):
    """Click's help formatter with Japanese words for the usage line and the section titles.

    Japanese has no spaces to wrap at, and a kanji takes two columns: help text keeps the line
    breaks its author wrote (click would join them with spaces), and the option list lines up by
    display width, not by characters."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="使い方: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(_SECTIONS.get(heading, heading))

    def write_text(self, text: str) -> None:
        for line in text.splitlines():
            self.write(f"{' ' * self.current_indent}{line}\n" if line.strip() else "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        widths = [cell_len(first) for first, _ in rows]
        first_width = min(max(widths, default=0), col_max)
        indent = " " * self.current_indent
        for (first, second), width in zip(rows, widths, strict=True):
            if not second:
                self.write(f"{indent}{first}\n")
            elif width <= first_width:
                self.write(f"{indent}{first}{' ' * (first_width - width + col_spacing)}{second}\n")
            else:  # a long option: its help on the next line
                self.write(f"{indent}{first}\n{indent}{' ' * (first_width + col_spacing)}{second}\n")


class JaContext(click.Context):
    formatter_class = JaFormatter


class _Japanese(click.Command):
    """What a command and the group share: Japanese help."""

    context_class = JaContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[オプション]")
        super().__init__(*args, **kwargs)

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first sentence (up to 。), as the group's list of commands shows it."""
        if self.short_help or not self.help:
            return super().get_short_help_str(limit)
        first = "".join(inspect.cleandoc(self.help).partition("\n\n")[0].splitlines())
        return first.partition("。")[0] + ("。" if "。" in first else "")

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP
        return option

    def format_options(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None and not isinstance(param, click.Argument):
                rows.append((record[0], _help_extra(record[1])))
        if rows:
            with formatter.section("オプション"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            self.format_commands(ctx, formatter)


class JaCommand(_Japanese):
    """A `campaign` command whose help reads in Japanese."""


class JaGroup(_Japanese, click.Group):
    """The `campaign` group: Japanese help like its commands, and usage errors said in Japanese
    (click's own `show` would print "Usage:" and "Error:")."""

    command_class = JaCommand

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = (
            "[コマンド] [引数]..." if self.invoke_without_command else "コマンド [引数]..."
        )

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # a caller that handles click's exceptions itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            _show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"エラー: {japanese_error(exc)}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("中止しました。", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _help_extra(text: str) -> str:
    for pattern, replacement in _HELP_EXTRA:
        text = pattern.sub(replacement, text)
    return text


def _hint(exc: click.ClickException) -> str:
    param = getattr(exc, "param", None)
    ctx = getattr(exc, "ctx", None)
    hint = getattr(exc, "param_hint", None)
    if hint is None and param is not None and ctx is not None:
        hint = param.get_error_hint(ctx)
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(str(part) for part in hint)
    return str(hint or "").replace("'", "")


def japanese_error(exc: click.ClickException) -> str:
    """The error in plain Japanese (the message itself is ours, or one of click's, translated)."""
    if isinstance(exc, click.NoSuchOption):
        text = f"{exc.option_name} というオプションはありません。"
        if exc.possibilities:
            text += " もしかして: " + ", ".join(sorted(exc.possibilities))
        return text
    if isinstance(exc, click.exceptions.NoSuchCommand):
        text = f"「{exc.command_name}」というコマンドはありません。"
        if exc.possibilities:
            text += " もしかして: " + ", ".join(exc.possibilities)
        return text
    if isinstance(exc, click.MissingParameter):
        hint = _hint(exc)
        return f"{hint} を指定してください。" if hint else "必要な値が足りません。"
    if isinstance(exc, click.BadParameter):
        hint = _hint(exc)
        return f"{hint} の値が使えません: {exc.message}" if hint else f"値が使えません: {exc.message}"
    if isinstance(exc, click.FileError):
        return f"ファイル {exc.ui_filename} を開けません: {exc.message}"
    message = exc.format_message()
    for pattern, replacement in _MESSAGES:
        if pattern.fullmatch(message):
            return pattern.sub(replacement, message)
    return message


def _show_usage_error(exc: click.UsageError) -> None:
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        names = ctx.command.get_help_option_names(ctx)
        if names:
            option = max(names, key=len)
            click.echo(f"説明は「{ctx.command_path} {option}」で表示できます。\n", err=True)
    click.echo(f"エラー: {japanese_error(exc)}", err=True)


# -- parameter types whose refusals are Japanese ------------------------------------------------


class Choice(click.Choice[str]):
    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            choices = "、".join(str(choice) for choice in self.choices)
            self.fail(f"「{value}」は選べません。{choices} のどれかにしてください。", param, ctx)


class Day(click.DateTime):
    """A JST date written YYYY-MM-DD."""

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"「{value}」は日付として読めません。2026-12-01 のように書いてください。", param, ctx)


class Count(click.IntRange):
    """A whole number within a range."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"「{value}」は使えません。{self.min}〜{self.max} の数にしてください。", param, ctx)
