"""Reads the YAML data HQ edits under `content/` (seminars, chambers, consent, organisation, ...).

One cache for every reader (the site build, the forms app, the drill sender), keyed by the file and
its modification stamp: a file is parsed again only when it changed. `load` returns a typed view
built by a parser, cached beside the parsed YAML; `load_yaml` returns a private copy of the raw
data for callers that read plain mappings. The typed views of the shared files are in
`campaign_core.content`; each app keeps the parsers of the files only it reads.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Stamp = tuple[int, int]

_raw: dict[Path, tuple[Stamp, Any]] = {}
_typed: dict[tuple[Path, Callable[..., Any], tuple[Hashable, ...]], tuple[Stamp, Any]] = {}
_lock = threading.Lock()


def _stamp(path: Path) -> Stamp:
    stat = path.stat()
    return (stat.st_mtime_ns, stat.st_size)


def _parsed(path: Path, stamp: Stamp) -> Any:
    """The parsed file, shared: callers copy it or build immutable objects from it."""
    with _lock:
        cached = _raw.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    import yaml  # PyYAML: on the first read, not when an app starts

    # libyaml's loader is several times faster than the pure-Python one; both are "safe".
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)  # noqa: S506 - a SafeLoader (CSafeLoader when built)
    with _lock:
        _raw[path] = (stamp, data)
    return data


def load_yaml(content_dir: Path, name: str) -> Any:
    """Parsed `<content_dir>/<name>.yml`, read again only when the file changed.

    The site build reads the same files for many pages and a server reads them per request;
    callers get their own copy, so one caller's change never leaks into another's data.
    """
    path = content_dir / f"{name}.yml"
    return copy.deepcopy(_parsed(path, _stamp(path)))


def load(content_dir: Path, name: str, parse: Callable[..., T], *args: Hashable) -> T:
    """`parse(data, *args)` of `<content_dir>/<name>.yml`, once per version of the file.

    The result is shared by every caller, so `parse` must build immutable objects (frozen
    dataclasses, tuples); it gets its own copy of the YAML data. A missing file raises
    FileNotFoundError.
    """
    path = content_dir / f"{name}.yml"
    stamp = _stamp(path)
    key = (path, parse, args)
    with _lock:
        cached = _typed.get(key)
    if cached is not None and cached[0] == stamp:
        value: T = cached[1]
        return value
    value = parse(copy.deepcopy(_parsed(path, stamp)), *args)
    with _lock:
        _typed[key] = (stamp, value)
    return value
