"""What the staff command's modules share for output and options: the rich consoles, the error
exit, JST times, JSON output, the `--json` flag and the options of a command that writes a document
(`--format html|csv`, `--output`, `--send`). Words shown to staff are Japanese."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NoReturn, TypeVar

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from campaign_core.clock import JST, parse_iso
from cli.japanese import Choice, Day

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

DAY = Day()
"""A JST date given as YYYY-MM-DD."""


def fail(text: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]エラー:[/] {escape(text)}", soft_wrap=True)
    sys.exit(code)


def jst(value: Any) -> str:
    if not value:
        return "     -"
    instant = value if isinstance(value, datetime) else parse_iso(str(value))
    return instant.astimezone(JST).strftime("%Y-%m-%d %H:%M")


def fmt_name(as_json: bool) -> str:
    """The format an audit line names for a command with `--json`."""
    return "json" if as_json else "table"


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def rows_table(rows: list[Any], as_json: bool, *, empty: str, title: str) -> Table | None:
    """For a listing: print the rows as JSON, or `empty` when there are none, and return None; else
    return the table to fill, titled with the count."""
    if as_json:
        emit_json(rows)
        return None
    if not rows:
        out.print(empty)
        return None
    return Table(title=f"{title}({len(rows)} 件)", box=box.SIMPLE_HEAD, pad_edge=False)


def json_option(text: str = "表ではなく JSON で出します(ほかのプログラムで読むとき)。") -> Callable[[F], F]:
    """`--json` (the parameter `as_json`)."""
    return click.option("--json", "as_json", is_flag=True, help=text)


def format_option(formats: tuple[str, ...], text: str) -> Callable[[F], F]:
    """`--format` (the parameter `fmt`): one of `formats`, the first by default."""
    return click.option(
        "--format", "fmt", type=Choice(list(formats)), default=formats[0], show_default=True, help=text
    )


def output_option(text: str, *names: str, to_stdout: bool = False) -> Callable[[F], F]:
    """`--output FILE` (or `names`; the parameter `output`); with `to_stdout`, `-` and by default
    standard output."""
    return click.option(
        *(names or ("--output",)),
        "output",
        type=click.Path(dir_okay=False, writable=True, allow_dash=to_stdout),
        default="-" if to_stdout else None,
        metavar="ファイル",
        help=text,
    )


def document_options(send_help: str, formats: tuple[str, ...] = ("html", "csv")) -> Callable[[F], F]:
    """`--format html|csv` (or `formats`; `fmt`), `--output FILE` (`-` for standard output), `--send`."""
    options = (
        format_option(
            formats,
            "html(印刷・閲覧用)か csv(Excel 用)"
            + ("、pdf(印刷して郵送する用、A4)。" if "pdf" in formats else "。"),
        ),
        output_option("このファイルに書き出します(指定しないときは画面に出します)。", to_stdout=True),
        click.option("--send", is_flag=True, help=send_help),
    )

    def decorate(function: F) -> F:
        for option in reversed(options):  # as if stacked in this order above the function
            function = option(function)
        return function

    return decorate


def write_document(output: str, data: bytes) -> None:
    """Write a document to the file `--output` names, or to standard output for `-`."""
    with click.open_file(output, "wb") as handle:
        handle.write(data)


def check_order(first: date | None, last: date | None) -> None:
    """Refuse a `--from` day after the `--to` day (wrong usage)."""
    if first and last and first > last:
        raise click.BadParameter("--from の日付が --to より後になっています。", param_hint="--from")
