"""The layers of DESIGN.md, checked on our own AST scan (import-linter checks the same in `make lint`):
every `import` and `from ... import` of a product module, at module level or inside a function, goes
only downward: core <- apps <- HQ <- staff command / local composition; the two apps never meet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from campaign_core.settings import PROJECT_ROOT

#: What each package may import of ours (itself included).
ALLOWED = {
    "campaign_core": {"campaign_core"},
    "form_lambda": {"campaign_core", "form_lambda"},
    "drill_sender": {"campaign_core", "drill_sender"},
    "hq": {"campaign_core", "form_lambda", "drill_sender", "hq"},
    "cli": {"campaign_core", "form_lambda", "drill_sender", "hq", "cli"},
    "local": {"campaign_core", "form_lambda", "drill_sender", "hq", "local"},
}
OURS = set(ALLOWED) | {"bench", "scripts", "tests", "site_build"}


def imported_packages(source: str) -> set[str]:
    """The top-level packages of ours that `source` imports anywhere (functions, TYPE_CHECKING too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & OURS
    return found


def product_modules() -> list[Path]:
    return sorted(p for package in ALLOWED for p in (PROJECT_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_module_imports_only_downward(path: Path) -> None:
    package = path.relative_to(PROJECT_ROOT).parts[0]
    crossing = imported_packages(path.read_text(encoding="utf-8")) - ALLOWED[package]
    assert not crossing, f"{package} must not import {sorted(crossing)}"


def test_scan_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from hq.stats import build_stats\n"
        "def f():\n    import form_lambda.views\n    from drill_sender.services import send\n"
    )
    assert imported_packages(source) == {"hq", "form_lambda", "drill_sender"}


def test_every_product_package_is_scanned() -> None:
    scanned = {p.relative_to(PROJECT_ROOT).parts[0] for p in product_modules()}
    assert scanned == set(ALLOWED)


SIZE_CHECKED = (*ALLOWED, "scripts", "theme/hooks")
MAX_LINES = 400


@pytest.mark.parametrize("folder", SIZE_CHECKED)
def test_no_product_module_is_over_400_lines(folder: str) -> None:
    sizes = {
        str(p.relative_to(PROJECT_ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (PROJECT_ROOT / folder).rglob("*.py")
    }
    assert sizes, f"no modules found under {folder}"
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
