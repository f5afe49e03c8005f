"""Benchmarks, each as a ratio to a baseline measured in the same run (`make bench`).

Absolute times depend on the machine; a ratio to a plain reference run beside it does not (much).
A benchmark is a function registered with `@benchmark(name, goal=...)`: it gets the run's options and
returns a `Measurement` (median of the measured thing and median of its baseline). Add new ones in this
module or in a module that imports `benchmark` from here and is listed in `BENCH_MODULES`.

    python -m bench                   # every benchmark, 5 repetitions
    python -m bench --repeat 9 site   # only those whose name contains "site"
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mkdocs.utils.yaml import yaml_load

from campaign_core.settings import PROJECT_ROOT

# Modules holding further `@benchmark` functions (imported before a run), e.g. "bench.forms".
BENCH_MODULES: list[str] = [
    "bench.forms",
    "bench.aws",
    "bench.drill",
    "bench.hq",
    "bench.history",
]


@dataclass(frozen=True)
class Options:
    repeat: int
    workdir: Path  # a scratch directory for this run, removed afterwards


@dataclass(frozen=True)
class Measurement:
    measured: float  # median of the thing under test (seconds unless `unit` says otherwise)
    baseline: float  # median of the reference, measured in the same run (or a fixed limit)
    detail: str = ""
    unit: str = "s"

    @property
    def ratio(self) -> float:
        return self.measured / self.baseline


@dataclass(frozen=True)
class Benchmark:
    name: str
    goal: float  # the highest acceptable ratio
    run: Callable[[Options], Measurement]


_BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(
    name: str, *, goal: float
) -> Callable[[Callable[[Options], Measurement]], Callable[[Options], Measurement]]:
    def register(func: Callable[[Options], Measurement]) -> Callable[[Options], Measurement]:
        if name in _BENCHMARKS:
            raise RuntimeError(f"benchmark {name!r} registered twice")
        _BENCHMARKS[name] = Benchmark(name, goal, func)
        return func

    return register


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def interleaved(measured: Callable[[], object], baseline: Callable[[], object], repeat: int) -> Measurement:
    """Medians of both, run alternately so drifts in machine load hit both alike (after one warm-up each)."""
    measured()
    baseline()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(timed(measured))
        theirs.append(timed(baseline))
    spread = f"ours {min(ours):.2f}–{max(ours):.2f} s, baseline {min(theirs):.2f}–{max(theirs):.2f} s"
    return Measurement(statistics.median(ours), statistics.median(theirs), spread)


# -- site build ----------------------------------------------------------------------------------------


def mkdocs_build(config_file: Path, site_dir: Path) -> Callable[[], None]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "--quiet",
        "-f",
        str(config_file),
        "-d",
        str(site_dir),
    ]

    def build() -> None:
        # Run from the config's folder, as `make site` does (hooks import the project from there).
        result = subprocess.run(  # noqa: S603  (fixed command, no shell)
            command, cwd=config_file.parent, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"mkdocs build failed for {config_file}:\n{result.stdout}\n{result.stderr}")

    return build


def plain_config(project_config: dict[str, Any], docs_dir: Path, site_dir: Path) -> dict[str, Any]:
    """The project's configuration without its hooks, theme overrides and plugins beyond search:
    what a plain Material site of the same Markdown costs to build."""
    config = {key: value for key, value in project_config.items() if key not in ("hooks", "plugins")}
    theme = dict(config.get("theme") or {})
    theme.pop("custom_dir", None)
    theme["name"] = "material"
    searches = [
        plugin
        for plugin in project_config.get("plugins") or []
        if plugin == "search" or (isinstance(plugin, dict) and "search" in plugin)
    ]
    config.update(
        theme=theme,
        plugins=searches or ["search"],
        docs_dir=str(docs_dir),
        site_dir=str(site_dir),
        strict=False,  # unexpanded shortcodes are HTML comments there; nothing to validate
    )
    return config


@benchmark("site build vs plain mkdocs build", goal=1.2)
def site_build(options: Options) -> Measurement:
    with (PROJECT_ROOT / "mkdocs.yml").open(encoding="utf-8") as handle:
        project_config: dict[str, Any] = yaml_load(handle)
    plain_dir = options.workdir / "plain"
    docs_copy = plain_dir / "docs"
    shutil.copytree(PROJECT_ROOT / str(project_config.get("docs_dir", "docs")), docs_copy)
    plain_file = plain_dir / "mkdocs.yml"
    plain_file.write_text(
        yaml.safe_dump(plain_config(project_config, docs_copy, plain_dir / "site"), allow_unicode=True),
        encoding="utf-8",
    )
    ours = mkdocs_build(PROJECT_ROOT / "mkdocs.yml", options.workdir / "site")
    plain = mkdocs_build(plain_file, plain_dir / "site")
    return interleaved(ours, plain, options.repeat)


# -- runner ---------------------------------------------------------------------------------------------


def run(names: list[str], repeat: int) -> int:
    for module in BENCH_MODULES:
        importlib.import_module(module)
    chosen = [b for b in _BENCHMARKS.values() if not names or any(n in b.name for n in names)]
    if not chosen:
        print(f"no benchmark matches {names}; known: {sorted(_BENCHMARKS)}")
        return 2
    width = max(len(b.name) for b in chosen)
    header = f"{'benchmark':<{width}}  {'ours':>10}  {'baseline':>10}  {'ratio':>7}  {'goal':>8}"
    rows = []
    missed = 0
    for bench in chosen:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            result = bench.run(Options(repeat=repeat, workdir=Path(scratch)))
        ok = result.ratio <= bench.goal
        missed += not ok
        goal = f"≤ {bench.goal:.2f}×"
        ours, base = (f"{value:.2f} {result.unit}" for value in (result.measured, result.baseline))
        rows.append(
            f"{bench.name:<{width}}  {ours:>10}  {base:>10}"
            f"  {result.ratio:>6.2f}×  {goal:>8}  {'ok' if ok else 'MISS'}"
            + (f"  ({result.detail})" if result.detail else "")
        )
    print(f"median of {repeat} runs each, after one warm-up\n{header}")
    print("\n".join(rows))
    return 1 if missed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", help="run only benchmarks whose name contains one of these")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per side (median is reported)")
    args = parser.parse_args(argv)
    return run(args.names, max(1, args.repeat))
