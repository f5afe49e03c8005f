"""template.yaml as data: a YAML loader that keeps CloudFormation's short tags (!Ref, !Sub, ...)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from campaign_core.settings import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "template.yaml"


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict[str, Any]:
    """Any CloudFormation template (e.g. template-edge.yaml) as data."""
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    return loaded


@cache
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def sub_text(value: Any) -> str:
    """The text of a plain string or of !Sub."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    return str(value)
