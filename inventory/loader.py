"""Load an inventory directory, check everything, and report every problem at once.

Each ``*.yaml`` file under the directory is a mapping whose keys are sections (``province``,
``subnets``, ``credentials``, ``snmp_profiles``, ``ducts``, ``sites``, ``devices``,
``agencies``, ``links``); a section may be spread over several files (one per district, say).
Loading never writes anything, except a generated value for a ``SecretRef`` that asks for one.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from govnet.errors import InventoryError
from govnet.inventory.checks import build_network
from govnet.inventory.models import CREDENTIAL_KINDS, SECTIONS, Strict
from govnet.inventory.network import Network
from govnet.inventory.parsed import Entry, Parsed
from govnet.inventory.problems import Problem
from govnet.inventory.text import shown
from govnet.inventory.yamlfile import LocatedDict, UnreadableFileError, YamlSyntaxError, load_yaml

_HINTS = {
    "lat": "give the site's WGS84 latitude in decimal degrees (e.g. 11.53)",
    "lon": "give the site's WGS84 longitude in decimal degrees (e.g. 106.88)",
    "role": "use one of core, hub, cpe, bts_router, wifi_ap, wifi_controller",
}


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc)


def problem_from_error(model: type[BaseModel], label: str, file: str, raw: LocatedDict, err: Any) -> Problem:
    """Turn one pydantic error into a :class:`Problem` with friendly wording and a fix."""
    loc: tuple[int | str, ...] = err["loc"]
    field = _field_path(loc) if loc else None
    line = raw.key_lines.get(str(loc[0]), raw.line) if loc else raw.line
    kind = err["type"]
    hint: str | None = None
    if kind == "extra_forbidden":
        message = f"unknown key '{shown(loc[-1])}'"
        allowed = _model_keys(model, loc)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif allowed:
            hint = f"allowed keys: {', '.join(allowed)}"
        parent: Any = raw
        for part in loc[:-1]:
            if isinstance(parent, dict):
                parent = parent.get(str(part))
            elif isinstance(parent, list) and isinstance(part, int) and part < len(parent):
                parent = parent[part]
            else:
                parent = None
        if isinstance(parent, LocatedDict):
            line = parent.key_lines.get(str(loc[-1]), line)
    elif kind == "missing":
        message = "required field is missing"
        hint = _HINTS.get(str(loc[-1]), f"add '{loc[-1]}'")
    else:
        message = str(err["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if kind in {"enum", "literal_error"}:
            message = f"{message}, got '{shown(err.get('input'))}'"
    return Problem(file, line, label, field, message, hint)


def _model_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``loc`` (descending into nested models)."""
    current: type[BaseModel] = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            return []
        annotation = info.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return []
        current = candidates[0]
    return sorted(current.model_fields)


def _validate(
    model: type[Strict], raw: LocatedDict, label: str, file: str
) -> tuple[BaseModel | None, list[Problem]]:
    try:
        return model.model_validate(dict(raw)), []
    except ValidationError as exc:
        return None, [
            problem_from_error(model, label, file, raw, err) for err in exc.errors(include_url=False)
        ]


def _parse_file(
    root: Path, path: Path, entries: list[Entry], problems: list[Problem], broken: dict[str, set[str]]
) -> None:
    rel = str(path.relative_to(root))
    try:
        doc = load_yaml(path)
    except UnreadableFileError as exc:
        message = exc.message.removeprefix(f"{path} ")
        problems.append(Problem(rel, None, None, None, f"the inventory file {message}", exc.hint))
        return
    except YamlSyntaxError as exc:
        problems.append(
            Problem(
                rel, exc.line, None, None, f"{exc.message} (column {exc.column})", "correct the YAML syntax"
            )
        )
        return
    if doc is None:
        return
    if not isinstance(doc, LocatedDict):
        problems.append(
            Problem(
                rel,
                1,
                None,
                None,
                "the file must be a mapping of sections",
                f"use keys among {', '.join(SECTIONS)}",
            )
        )
        return
    for section, value in doc.items():
        line = doc.key_lines[section]
        if section not in SECTIONS:
            close = difflib.get_close_matches(section, list(SECTIONS), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"sections are {', '.join(SECTIONS)}"
            problems.append(Problem(rel, line, None, section, f"unknown section '{section}'", hint))
            continue
        items = [value] if section == "province" else value
        if section == "province" and not isinstance(value, LocatedDict):
            problems.append(Problem(rel, line, "province", None, "'province' must be a mapping", None))
            continue
        if section != "province" and not isinstance(value, list):
            problems.append(
                Problem(
                    rel,
                    line,
                    section,
                    None,
                    f"'{section}' must be a list of entries",
                    "start each entry with '- '",
                )
            )
            continue
        for index, raw in enumerate(items):
            label = f"{section}[{index}]"
            if not isinstance(raw, LocatedDict):
                problems.append(Problem(rel, line, label, None, "each entry must be a mapping of keys", None))
                continue
            model: type[Strict] | None = SECTIONS[section][0]
            if model is None:  # credentials: dispatch on kind
                kind = raw.get("kind")
                model = CREDENTIAL_KINDS.get(str(kind)) if kind is not None else None
                if model is None:
                    tmp = Entry(section, index, rel, raw.line, raw, Strict())
                    problems.append(
                        Problem(
                            rel,
                            raw.key_lines.get("kind", raw.line),
                            tmp.label,
                            "kind",
                            f"unknown credential kind {kind!r}"
                            if kind is not None
                            else "required field is missing",
                            f"use one of {', '.join(CREDENTIAL_KINDS)}",
                        )
                    )
                    continue
            stub = Entry(section, index, rel, raw.line, raw, Strict())
            parsed, found = _validate(model, raw, stub.label, rel)
            problems.extend(found)
            if parsed is not None:
                entries.append(Entry(section, index, rel, raw.line, raw, parsed))
            elif isinstance(raw.get(SECTIONS[section][1]), str):
                # Remember the name, so references to an entry that is itself broken do not
                # add a second, misleading "unknown ..." problem.
                broken.setdefault(section, set()).add(raw[SECTIONS[section][1]])


_SUFFIXES = {".yaml", ".yml"}


def inventory_files(root: Path, problems: list[Problem] | None = None) -> list[Path]:
    """Every path of an inventory directory named ``*.yaml`` / ``*.yml``, in a stable order.

    Nothing is left out for being odd: a dangling symbolic link, a link loop, a FIFO or a
    directory with such a name is returned too, so that reading it names it in an error instead
    of the inventory silently losing its entries. Symbolic links to directories are followed
    (each real directory once); a directory that cannot be listed is a problem appended to
    ``problems`` (raised as :class:`InventoryError` when no list is given).
    """
    found: list[Path] = []
    walk_problems: list[Problem] = []
    seen: set[str] = set()

    def failed(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        rel = str(where.relative_to(root)) if where.is_relative_to(root) else str(where)
        walk_problems.append(
            Problem(
                rel or ".",
                None,
                None,
                None,
                f"the inventory directory cannot be listed: {exc.strerror or exc}",
                "give the user running govnet read access to it, or remove it",
            )
        )

    for folder, dirs, files in os.walk(root, onerror=failed, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a link back to a directory already read
            dirs[:] = []
            continue
        seen.add(real)
        here = Path(folder)
        for name in [*files, *dirs]:
            if Path(name).suffix in _SUFFIXES:
                found.append(here / name)
        dirs[:] = sorted(d for d in dirs if Path(d).suffix not in _SUFFIXES)
    if walk_problems:
        if problems is None:
            raise InventoryError(walk_problems, summary=f"cannot list the inventory at {root}")
        problems.extend(walk_problems)
    return sorted(found)


def parse_directory(root: Path) -> Parsed:
    """Parse every file; return the entries that passed their own schema and all problems."""
    broken: dict[str, set[str]] = {}
    entries: list[Entry] = []
    problems: list[Problem] = []
    if not root.is_dir():
        raise InventoryError(
            [Problem(str(root), None, None, None, "no such inventory directory", "pass --inventory DIR")],
            summary=f"cannot load the inventory at {root}",
        )
    files = inventory_files(root, problems)
    if not files and not problems:
        raise InventoryError(
            [
                Problem(
                    str(root),
                    None,
                    None,
                    None,
                    "the directory holds no .yaml file",
                    "point --inventory at one that does",
                )
            ],
            summary=f"cannot load the inventory at {root}",
        )
    for path in files:
        _parse_file(root, path, entries, problems, broken)
    return Parsed(entries, problems, broken)


def load_inventory(path: Path | str, secrets_path: Path | None = None) -> Network:
    """Load, check and return the network; raise :class:`InventoryError` listing every problem."""
    root = Path(path)
    return build_network(root, parse_directory(root), secrets_path)
