"""Read YAML files while remembering where each mapping came from.

Error messages about an inventory must name the file and the line, so the loader builds
:class:`LocatedDict` objects: ordinary dicts that also know the line of the mapping and of
each of its keys. Duplicate keys in one mapping are an error (PyYAML silently keeps the last).
"""

from __future__ import annotations

import errno
import os
import stat
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


class UnreadableFileError(GovnetError):
    """A file that should be read is not a readable regular file; says what it is and what to do."""

    exit_code = 2


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    return "not a regular file"


def read_text(path: Path) -> str:
    """The UTF-8 text of a regular file, or :class:`UnreadableFileError` saying why not.

    Never blocks: the file is opened with ``O_NONBLOCK`` and its type checked on the open
    descriptor before any read, so a FIFO or device in its place is named, not read. A dangling
    symbolic link, a link loop, a permission or I/O error is an error with the path, never a
    skipped file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENOENT and path.is_symlink():
            raise UnreadableFileError(
                f"{path} is a symbolic link to '{os.readlink(path)}', which does not exist",
                hint="point the link at an existing file, or remove it",
            ) from exc
        if exc.errno == errno.ENOENT:
            raise UnreadableFileError(f"{path} does not exist", hint="check the path") from exc
        if exc.errno == errno.ELOOP:
            raise UnreadableFileError(
                f"{path} is a symbolic link that loops back on itself",
                hint="point the link at a real file, or remove it",
            ) from exc
        if exc.errno in {errno.EACCES, errno.EPERM}:
            raise UnreadableFileError(
                f"{path} cannot be read: {exc.strerror}",
                hint="give the user running govnet read access to it",
            ) from exc
        raise UnreadableFileError(
            f"{path} cannot be opened: {exc.strerror or exc}",
            hint="check the file and the disk it is on, or remove it",
        ) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise UnreadableFileError(
                f"{path} is {_kind(mode)}, not a regular file; govnet does not read it",
                hint="replace it with a regular file, or remove it",
            )
        chunks: list[bytes] = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise UnreadableFileError(
            f"{path} cannot be read: {exc.strerror or exc}",
            hint="check the file and the disk it is on; restore it from the repository",
        ) from exc
    finally:
        os.close(fd)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(f"the file is not UTF-8 text ({exc.reason})", 1, 1) from exc


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise :class:`YamlSyntaxError` with the line of a syntax error, or
    :class:`UnreadableFileError` when the path is not a readable regular file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = p.write_text("a: 1\\nb:\\n  c: 2\\n")
    >>> doc = load_yaml(p)
    >>> doc.key_lines["b"], doc["b"].line
    (2, 3)
    """
    text = read_text(path)
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
