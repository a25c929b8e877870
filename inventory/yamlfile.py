"""Read YAML files while remembering where each mapping came from.

Error messages about an inventory must name the file and the line, so the loader builds
:class:`LocatedDict` objects: ordinary dicts that also know the line of the mapping and of
each of its keys. Duplicate keys in one mapping are an error (PyYAML silently keeps the last).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govnet.errors import GovnetError


class LocatedDict(dict[str, Any]):
    """A dict from YAML that remembers its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines = {}


class YamlSyntaxError(GovnetError):
    """A YAML file could not be parsed; carries the 1-based line and column."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when built


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader whose mappings are :class:`LocatedDict` and which rejects duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool):
            raise YamlSyntaxError(
                "a mapping key must be a plain scalar",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
        skey = str(key)
        if skey in result:
            raise YamlSyntaxError(
                f"duplicate key '{skey}' in one mapping (first on line {result.key_lines[skey]})",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
        result[skey] = loader.construct_object(value_node, deep=True)
        result.key_lines[skey] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise :class:`YamlSyntaxError` with the line of a syntax error.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_text("a: 1\\nb:\\n  c: 2\\n")
    >>> doc = load_yaml(p)
    >>> doc.key_lines["b"], doc["b"].line
    (2, 3)
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(f"the file is not UTF-8 text ({exc.reason})", 1, 1) from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        what = exc.problem or str(exc)
        if exc.context:
            what = f"{what} ({exc.context})"
        raise YamlSyntaxError(f"YAML syntax error: {what}", line, column) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML error: {exc}", 1, 1) from exc


def dump_yaml(data: Any) -> str:
    """Dump plain data as block-style YAML that keeps Vietnamese letters readable."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120)
