"""Reads the YAML data HQ edits under `content/` (seminars, chambers, banners, ...)."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader is several times faster than the pure-Python one; both are "safe".
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_cache: dict[Path, tuple[tuple[int, int], Any]] = {}
_lock = threading.Lock()


def load_yaml(content_dir: Path, name: str) -> Any:
    """Parsed `<content_dir>/<name>.yml`, read again only when the file changed.

    The site build reads the same files for many pages and a server reads them per request;
    callers get their own copy, so one caller's change never leaks into another's data.
    """
    path = content_dir / f"{name}.yml"
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(path)
    if cached is None or cached[0] != stamp:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader (CSafeLoader when built)
        with _lock:
            _cache[path] = (stamp, data)
    else:
        data = cached[1]
    return copy.deepcopy(data)
