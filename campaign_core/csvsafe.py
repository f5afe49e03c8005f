"""CSV cells that a spreadsheet shows as text, never runs as a formula (reports, feedback, leads, stats)."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Excel would run a cell starting with = + - @ (or a tab / CR) as a formula: make it text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
