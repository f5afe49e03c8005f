"""Reads the YAML data HQ edits under `content/` (seminars, chambers, banners, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load_yaml(content_dir: Path, name: str) -> Any:
    path = content_dir / f"{name}.yml"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)
