"""Benchmarks of the Lambda functions: cold import of each entry module, and the package size.

The package is laid out as `scripts/deploy` lays it (staged source, the pinned requirements,
bytecode precompiled) in a scratch folder, with boto3 as the runtime brings it, all with the Lambda
runtime's Python (3.13, the venv `make bench` sets up; this interpreter when it is missing). Each
import runs in a fresh interpreter without any site-packages (`python -S`), timed inside the process
(interpreter start-up excluded), alternating with the baseline `import flask, boto3` from the same
folder. The size (a function's code plus the dependency layer, which is what Lambda's limit counts)
is compared with that limit for unzipped packages (250 MB).
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from bench.core import Measurement, Options, benchmark
from campaign_core.settings import PROJECT_ROOT
from scripts.lambda_package import (
    ENTRY_MODULES,
    RUNTIME_PROVIDED,
    precompile,
    stage_lambda_source,
)

BASELINE = "flask, boto3"
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
_ENV = {
    "CAMPAIGN_STORE": "dynamodb",
    "CAMPAIGN_MAIL": "ses",
    "CAMPAIGN_SECRET_PARAMETER": "/security-drill/bench/secret-key",
    "CAMPAIGN_DATA_DIR": str(Path(tempfile.gettempdir()) / "campaign-bench"),
    "AWS_DEFAULT_REGION": "ap-northeast-1",
}


RUNTIME_VENV_PYTHON = PROJECT_ROOT / ".cache" / "py313-venv" / "bin" / "python"
_COPY_REQUIREMENTS = (
    "import sys; from pathlib import Path; from scripts.lambda_package import copy_installed_requirements; "
    "copy_installed_requirements(Path(sys.argv[1]), with_runtime=True)"
)


@cache
def runtime_python() -> str:
    """The Lambda runtime's Python (python3.13 in template.yaml), which the entries import under."""
    return str(RUNTIME_VENV_PYTHON) if RUNTIME_VENV_PYTHON.is_file() else sys.executable


@cache
def runtime_version() -> str:
    found = subprocess.run(  # noqa: S603  (fixed command, no shell)
        [runtime_python(), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return found.stdout.strip()


@cache
def package() -> Path:
    """One staged package per bench run (source + requirements side by side, as in the zip)."""
    root = Path(tempfile.mkdtemp(prefix="bench-lambda-"))
    atexit.register(shutil.rmtree, root, True)
    site_dir = PROJECT_ROOT / "site"
    if not (site_dir / "index.html").is_file():
        raise RuntimeError("build the site first (make bench does)")
    stage_lambda_source(site_dir, root, deps=root / "layer-requirements")
    # The requirements as that Python installed them (its own compiled wheels).
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    copy = [runtime_python(), "-c", _COPY_REQUIREMENTS, str(root / "deps")]
    subprocess.run(copy, cwd=PROJECT_ROOT, env=env, check=True)  # noqa: S603  (fixed command, no shell)
    precompile(root, runtime_python())
    return root


def import_seconds(root: Path, modules: str) -> float:
    code = (
        "import sys, time\n"
        f"sys.path[:0] = [{str(root)!r}, {str(root / 'deps')!r}]\n"
        "start = time.perf_counter()\n"
        f"import {modules}\n"
        "print(time.perf_counter() - start)\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), **_ENV}
    result = subprocess.run(  # noqa: S603  (fixed command, no shell)
        [runtime_python(), "-S", "-c", code], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"import {modules} failed:\n{result.stderr}")
    return float(result.stdout.strip())


def cold_import(module: str, repeat: int) -> Measurement:
    root = package()
    import_seconds(root, module)  # warm the file cache once for both
    import_seconds(root, BASELINE)
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(import_seconds(root, module))
        theirs.append(import_seconds(root, BASELINE))
    spread = f"{min(ours) * 1000:.0f}–{max(ours) * 1000:.0f} ms"
    detail = f"vs import {BASELINE}, Python {runtime_version()}; ours {spread}"
    return Measurement(statistics.median(ours), statistics.median(theirs), detail)


def _register(module: str) -> None:
    @benchmark(f"cold import {module}", goal=1.15)
    def run(options: Options) -> Measurement:
        return cold_import(module, options.repeat)


for _module in ENTRY_MODULES:
    _register(_module)


def package_bytes(root: Path) -> tuple[int, int, dict[str, int]]:
    """(unzipped bytes, zipped bytes, the largest top-level entries) of the function package:
    the staged source and the requirements, without the boto3 the runtime brings."""
    runtime_dirs = {name.replace("-", "_") for name in RUNTIME_PROVIDED}
    files: list[tuple[Path, str]] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(root)
        parts = relative.parts[1:] if relative.parts[0] == "deps" else relative.parts
        if parts[0] in runtime_dirs or parts[0].split("-")[0] in runtime_dirs:
            continue
        files.append((path, "/".join(parts)))
    unzipped = sum(p.stat().st_size for p, _ in files)
    by_top: dict[str, int] = {}
    for path, name in files:
        top = name.split("/")[0]
        by_top[top] = by_top.get(top, 0) + path.stat().st_size
    largest = dict(sorted(by_top.items(), key=lambda item: -item[1])[:3])
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, name in files:
                archive.write(path, name)
        handle.seek(0, os.SEEK_END)
        zipped = handle.tell()
    return unzipped, zipped, largest


@benchmark("Lambda package size (MB, not s) vs the 250 MB unzipped limit", goal=1.0)
def package_size(options: Options) -> Measurement:
    unzipped, zipped, largest = package_bytes(package())
    mb = 1024 * 1024
    biggest = ", ".join(f"{name} {size / mb:.1f}" for name, size in largest.items())
    detail = f"{unzipped / mb:.1f} MB unzipped, {zipped / mb:.1f} MB zipped; largest: {biggest} MB"
    return Measurement(unzipped / mb, LAMBDA_UNZIPPED_LIMIT / mb, detail)
