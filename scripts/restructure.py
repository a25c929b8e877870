#!/usr/bin/env python3
"""One import root for govnet (issue #13, item 1), as a re-appliable codemod.

Run from the repository root, on any later version of the tree:

    python3 scripts/restructure.py            # apply (idempotent: a second run changes nothing)
    python3 scripts/restructure.py --check    # say what it would change, change nothing (exit 1 if any)

What it does, each step only when still needed, printing every change:

1. Moves (``git mv``): the shared base ``govnet/`` to ``core/`` (installed as ``govnet``, so that
   no source folder named ``govnet`` hides the mapping); the NAPALM driver ``tasks/napalm_frr.py``
   to ``napalm_frr/driver.py`` and its device agent ``lab/device/govnet_cfg.py`` to
   ``napalm_frr/govnet_cfg.py``: ``napalm_frr`` (the module NAPALM's ``get_network_driver("frr")``
   imports) becomes the driver package itself, named for what it drives.
2. Rewrites every reference to the six packages ``inventory``, ``tasks``, ``topology``,
   ``monitor``, ``api``, ``lab`` to ``govnet.<package>``: import statements (found with ``ast``,
   function-level ones included), and, in strings, comments and docs, dotted names that start with
   one of their real modules (``"monitor.engine.time"``, ``python -m inventory.samplegen``,
   ``inventory.nornir_plugin:GovnetInventory``) and whole-line import statements inside strings of
   code. Python code itself (a local ``lab``, ``monitor.scraper`` on a variable) is never touched,
   and neither are bare words (``inventory`` in prose, dict keys), YAML data (its comments are
   rewritten), templates, HTML or JS.
   Paths to the moved files (``govnet/safety.py``, ``lab/device/govnet_cfg.py``) follow them.
   A line holding ``restructure: keep`` is left as it is.
3. Makes ``import inventory`` (and the five others, and ``import core``) fail: each mapped
   package's ``__init__.py`` refuses to be imported under any name but its ``govnet.`` one.
4. Edits pyproject.toml: setuptools ``package-dir`` mapping and the explicit package list
   (computed from the folders holding an ``__init__.py``), package data (the NOC page, the sample
   inventory, the templates, py.typed), entry points, pytest, mypy and ruff settings.

Standard library only; deterministic (sorted walks); run ``ruff check --fix . && ruff format .``
afterwards (the script does it when ruff is in .venv/bin or on PATH) since import order changes
with the new names.
"""

from __future__ import annotations

import argparse
import ast
import io
import os
import re
import shutil
import subprocess
import sys
import tokenize
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT_PACKAGE = "govnet"
BASE_DIR = "core"
PACKAGES = ("inventory", "tasks", "topology", "monitor", "api", "lab")
# Folders made after the restructure, mapped under the root; no old import name to rewrite.
LATER_PACKAGES = ("cli",)  # the command line (docs/layers.md, row 2)
DRIVER = "napalm_frr"
# Module renames beyond "X -> govnet.X" (longest first wins).
SPECIAL_MODULES = {
    "tasks.napalm_frr": "napalm_frr.driver",
    "lab.device.govnet_cfg": "napalm_frr.govnet_cfg",
    "lab.device": "napalm_frr",
}
# File moves: (old, new); a folder move is a whole-tree git mv.
MOVES = (
    ("govnet", BASE_DIR),
    ("tasks/napalm_frr.py", "napalm_frr/driver.py"),
    ("lab/device/govnet_cfg.py", "napalm_frr/govnet_cfg.py"),
)
REMOVED = ("lab/device/__init__.py",)
PATH_RENAMES = (
    ("tasks/napalm_frr.py", "napalm_frr/driver.py"),
    ("lab/device/govnet_cfg.py", "napalm_frr/govnet_cfg.py"),
    ("lab/device/", "napalm_frr/"),
)
KEEP_MARK = "restructure: keep"
WHEEL_MARKER = "wheel: builds the wheel and installs it in a fresh venv (30-90 s; runs in CI)"
TEXT_SUFFIXES = {".md", ".rst", ".txt", ".sh", ".toml", ".cfg", ".ini"}
TEXT_NAMES = {".ci/run", ".importlinter"}
SELF = "scripts/restructure.py"

DRIVER_INIT = '''"""A NAPALM driver for FRRouting, with the device agent it drives.

``napalm.get_network_driver("frr")`` imports this package and takes the NetworkDriver subclass it
finds here: :class:`napalm_frr.driver.FrrDriver`. ``govnet_cfg.py`` is the configuration agent the
driver talks to on the device (installed on every lab router as ``govnet-cfg``).
"""

from napalm_frr.driver import FrrDriver

__all__ = ["FrrDriver"]
'''

GUARD = (
    'if __name__ != "{name}":  # one import root: see scripts/restructure.py\n'
    '    raise ImportError(f"{{__name__}} is installed as {name}: import it by that name")\n'
)


class Log:
    def __init__(self, check: bool) -> None:
        self.check = check
        self.changes: list[str] = []
        self.manual: list[str] = []

    def did(self, what: str) -> None:
        self.changes.append(what)
        print(("would: " if self.check else "") + what)

    def must(self, what: str) -> None:
        self.manual.append(what)
        print(f"MANUAL: {what}", file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# git and files


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


def tracked() -> list[str]:
    return sorted(p for p in git("ls-files", "-z").split("\0") if p and Path(p).exists())


def remove_if_only_ignored(folder: Path, log: Log) -> None:
    """A moved folder keeps its __pycache__ (ignored files); an empty shell of it goes too."""
    if not folder.is_dir():
        return
    left = [p for p in folder.rglob("*") if p.is_file()]
    if any(not (p.suffix == ".pyc" or "__pycache__" in p.parts) for p in left):
        log.must(f"{folder}/ still holds files after the move: {sorted(map(str, left))[:5]}")
        return
    if not log.check:
        shutil.rmtree(folder)
    log.did(f"removed the leftover folder {folder}/ (only caches)")


def move_files(log: Log) -> None:
    for old, new in MOVES:
        src, dst = Path(old), Path(new)
        if not src.exists():
            continue
        if src.is_dir() and not any(git("ls-files", old).split()):
            remove_if_only_ignored(src, log)
            continue
        if dst.exists() and (dst.is_file() or any(dst.iterdir())):
            log.must(f"both {old} and {new} exist: merge them by hand")
            continue
        if not log.check:
            dst.parent.mkdir(parents=True, exist_ok=True)
            git("mv", old, new)
            remove_if_only_ignored(src, log)
        log.did(f"git mv {old} {new}")
    for old in REMOVED:
        path = Path(old)
        if not path.exists():
            continue
        body = path.read_text(encoding="utf-8")
        if ast.parse(body).body and not _only_docstring(body):
            log.must(f"{old} holds code: move it by hand")
            continue
        if not log.check:
            git("rm", "-q", "-f", old)
            remove_if_only_ignored(path.parent, log)
        log.did(f"git rm {old}")
    init = Path(DRIVER, "__init__.py")
    if Path(DRIVER, "driver.py").exists() and "from napalm_frr.driver import" not in init.read_text(
        encoding="utf-8"
    ):
        if not log.check:
            init.write_text(DRIVER_INIT, encoding="utf-8")
        log.did(f"{init}: the driver package exports napalm_frr.driver.FrrDriver")


def _only_docstring(body: str) -> bool:
    tree = ast.parse(body)
    return all(isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) for s in tree.body)


# ---------------------------------------------------------------------------------------------
# the names


def package_dirs() -> dict[str, str]:
    """Import name -> folder, for every package of the distribution."""
    mapping = {ROOT_PACKAGE: BASE_DIR}
    mapping.update({f"{ROOT_PACKAGE}.{p}": p for p in PACKAGES})
    mapping.update({f"{ROOT_PACKAGE}.{p}": p for p in LATER_PACKAGES if Path(p).is_dir()})
    mapping[DRIVER] = DRIVER
    return mapping


def known_modules() -> set[str]:
    """Dotted names (old spelling) of every module and subpackage of the six packages."""
    names = set(PACKAGES) | set(SPECIAL_MODULES)
    for pkg in PACKAGES:
        for path in sorted(Path(pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.add(".".join(parts))
    return names


def new_name(dotted: str) -> str | None:
    """The new spelling of an old dotted module name (maybe with attributes after it)."""
    for old in sorted(SPECIAL_MODULES, key=len, reverse=True):
        if dotted == old or dotted.startswith(old + "."):
            return SPECIAL_MODULES[old] + dotted[len(old) :]
    top = dotted.split(".", 1)[0]
    if top in PACKAGES:
        return f"{ROOT_PACKAGE}.{dotted}"
    return None


class TextRules:
    """Rewrites inside strings, comments and documents."""

    def __init__(self) -> None:
        modules = known_modules()
        # submodules only: a bare "inventory" is a word, "inventory.models" is a module name
        dotted = sorted((m for m in modules if "." in m), key=len, reverse=True)
        self.dotted = re.compile(
            r"(?<![\w./-])(" + "|".join(re.escape(m) for m in dotted) + r")(?!\w)((?:\.\w+)*)"
        )
        pkgs = "|".join(PACKAGES)
        self.code_from = re.compile(rf"^(\s*from\s+)((?:{pkgs})(?:\.\w+)*)(\s+import\s)", re.M)
        self.code_import = re.compile(rf"^(\s*)import\s+({pkgs})\s*$", re.M)
        self.code_import_dotted = re.compile(rf"^(\s*import\s+)((?:{pkgs})(?:\.\w+)+)(\s+as\s+\w+\s*)$", re.M)
        self.base_path = re.compile(rf"(?<![\w./~@-]){ROOT_PACKAGE}/((?:[\w.-]+/)*[\w.-]*)")
        self.moved_paths = [(re.compile(rf"(?<![\w./-]){re.escape(a)}"), b) for a, b in PATH_RENAMES]

    def _dotted(self, m: re.Match[str]) -> str:
        head, rest = m.group(1), m.group(2)
        # "monitor.engine.run": the module is the longest known prefix (the regex took it)
        return (new_name(head) or head) + rest

    def _base_path(self, m: re.Match[str]) -> str:
        rest = m.group(1)
        if rest == "":
            return f"{BASE_DIR}/"
        first = rest.split("/", 1)[0]
        if Path(BASE_DIR, first).exists() and not Path(ROOT_PACKAGE, first).exists():
            return f"{BASE_DIR}/{rest}"
        return m.group(0)

    def apply(self, text: str, *, code_lines: bool = True, paths: bool = True) -> str:
        """Rewrite module names and moved files' paths in text; with paths, also "govnet/x" paths
        (which in a string the code uses may be a path inside the installed package)."""
        out = []
        for original in text.splitlines(keepends=True):
            line = original
            if KEEP_MARK in line:
                out.append(line)
                continue
            if code_lines:
                line = self.code_from.sub(
                    lambda m: m.group(1) + (new_name(m.group(2)) or "") + m.group(3), line
                )
                line = self.code_import.sub(
                    lambda m: f"{m.group(1)}from {ROOT_PACKAGE} import {m.group(2)}", line
                )
                line = self.code_import_dotted.sub(
                    lambda m: m.group(1) + (new_name(m.group(2)) or "") + m.group(3), line
                )
            line = self.dotted.sub(self._dotted, line)
            if paths:
                line = self.base_path.sub(self._base_path, line)
            for pattern, new in self.moved_paths:  # unambiguous: files that moved
                line = pattern.sub(new, line)
            out.append(line)
        return "".join(out)


# ---------------------------------------------------------------------------------------------
# Python sources


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _char_col(lines: list[str], lineno: int, byte_col: int) -> int:
    return len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8"))


def _import_edits(source: str, tree: ast.AST, path: str, log: Log) -> list[tuple[int, int, str]]:
    lines = source.splitlines(keepends=True)
    offsets = _line_offsets(source)

    def pos(lineno: int, byte_col: int) -> int:
        return offsets[lineno - 1] + _char_col(lines, lineno, byte_col)

    edits: list[tuple[int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or KEEP_MARK in lines[node.lineno - 1]:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            target = new_name(node.module)
            if target is None:
                continue
            start = pos(node.lineno, node.col_offset)
            m = re.compile(r"from\s+([\w.]+)").match(source, start)
            if m is None or m.group(1) != node.module:
                log.must(f"{path}:{node.lineno}: cannot read 'from {node.module}': rewrite it by hand")
                continue
            moved = [a.name for a in node.names if f"{node.module}.{a.name}" in SPECIAL_MODULES]
            if moved:
                log.must(f"{path}:{node.lineno}: 'from {node.module} import {moved[0]}' names a moved module")
                continue
            edits.append((m.start(1), m.end(1), target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                target = new_name(alias.name)
                if target is None:
                    continue
                a_start = pos(alias.lineno, alias.col_offset)
                a_end = pos(alias.end_lineno or alias.lineno, alias.end_col_offset or 0)
                if alias.asname and "." in alias.name:
                    m = re.compile(re.escape(alias.name).replace(r"\.", r"\s*\.\s*")).match(source, a_start)
                    if m is None:
                        log.must(f"{path}:{alias.lineno}: cannot read 'import {alias.name}'")
                        continue
                    edits.append((m.start(), m.end(), target))
                elif len(node.names) == 1 and "." not in alias.name:
                    # "import inventory [as x]" -> "from govnet import inventory [as x]"
                    parent, _, leaf = target.rpartition(".")
                    stmt_start = pos(node.lineno, node.col_offset)
                    text = f"from {parent} import {leaf}" + (f" as {alias.asname}" if alias.asname else "")
                    edits.append((stmt_start, a_end, text))
                elif "." in alias.name and not alias.asname:
                    # "import tasks.rollout" binds "tasks": becomes "import govnet.tasks.rollout as
                    # tasks_rollout", and each "tasks.rollout" in its scope becomes "tasks_rollout"
                    renamed = _rename_dotted_import(node, alias.name, tree, pos)
                    if renamed is None:
                        log.must(
                            f"{path}:{node.lineno}: 'import {alias.name}' binds the old top-level name and "
                            f"its uses are not all '{alias.name}...': rewrite it by hand"
                        )
                        continue
                    local, spans = renamed
                    edits.append((a_start, a_end, f"{target} as {local}"))
                    edits.extend((start, end, local) for start, end in spans)
                else:
                    log.must(
                        f"{path}:{node.lineno}: 'import {alias.name}' binds the old top-level name; "
                        f"write 'import {target} as ...' or 'from ... import' by hand"
                    )
    return edits


def _dotted_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted_of(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _rename_dotted_import(
    stmt: ast.Import, dotted: str, tree: ast.AST, pos: Callable[[int, int], int]
) -> tuple[str, list[tuple[int, int]]] | None:
    """The local name and the spans of its uses, or None when a use is not 'dotted...'."""
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    scope: ast.AST = stmt
    while scope in parents and not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        scope = parents[scope]
    top, local = dotted.split(".", 1)[0], dotted.replace(".", "_")
    names = [n for n in ast.walk(scope) if isinstance(n, ast.Name)]
    if any(n.id == local for n in names):
        return None
    uses = [n for n in names if n.id == top]
    chains = [n for n in ast.walk(scope) if isinstance(n, ast.Attribute) and _dotted_of(n) == dotted]
    if len(chains) != len(uses):
        return None
    spans = [
        (pos(n.lineno, n.col_offset), pos(n.end_lineno or n.lineno, n.end_col_offset or 0)) for n in chains
    ]
    return local, spans


def _fstring_outside_braces(token: str, rewrite: Callable[[str], str]) -> str:
    """Rewrite the literal parts of an f-string token, never its replacement fields."""
    out, buf, depth, i = [], [], 0, 0
    while i < len(token):
        ch = token[i]
        if depth == 0 and ch == "{" and token[i : i + 2] == "{{":
            buf.append("{{")
            i += 2
            continue
        if ch == "{":
            if depth == 0:
                out.append(rewrite("".join(buf)))
                buf = []
            depth += 1
            out.append(ch)
        elif ch == "}" and depth > 0:
            depth -= 1
            out.append(ch)
        elif depth > 0:
            out.append(ch)
        else:
            buf.append(ch)
        i += 1
    out.append(rewrite("".join(buf)))
    return "".join(out)


def rewrite_python(path: str, source: str, rules: TextRules, log: Log) -> str:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        log.must(f"{path}: not valid Python ({exc}); skipped")
        return source
    edits = _import_edits(source, tree, path, log)
    lines = source.splitlines(keepends=True)
    # "govnet/safety.py" is rewritten to "core/safety.py" in docstrings and comments only: in a
    # string the code uses, "govnet/py.typed" may well be a path inside the installed package.
    docs = {
        (n.lineno, _char_col(lines, n.lineno, n.col_offset))
        for n in ast.walk(tree)
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
    }
    offsets = _line_offsets(source)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            continue
        (srow, scol), (erow, ecol) = tok.start, tok.end
        if any(KEEP_MARK in lines[r - 1] for r in range(srow, erow + 1)):
            continue
        text = tok.string
        if tok.type == tokenize.STRING:
            prefix = re.match(r"[A-Za-z]*", text)
            is_f = prefix is not None and "f" in prefix.group(0).lower()
            is_doc = (srow, scol) in docs

            def rewrite(part: str, is_doc: bool = is_doc) -> str:
                return rules.apply(part, paths=is_doc)

            new = _fstring_outside_braces(text, rewrite) if is_f else rewrite(text)
        else:
            new = rules.apply(text, code_lines=False)
        if new != text:
            edits.append((offsets[srow - 1] + scol, offsets[erow - 1] + ecol, new))
    if not edits:
        return source
    out = source
    for start, end, text in sorted(edits, reverse=True):
        out = out[:start] + text + out[end:]
    return out


def guard_init(path: Path, name: str, log: Log) -> None:
    source = path.read_text(encoding="utf-8")
    if f'__name__ != "{name}"' in source:
        return
    tree = ast.parse(source)
    # after the docstring and the leading imports, so that ruff's E402 holds
    insert_after = 0
    for i, stmt in enumerate(tree.body):
        is_doc = i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
        if is_doc or isinstance(stmt, ast.Import | ast.ImportFrom):
            insert_after = stmt.end_lineno or 0
        else:
            break
    lines = source.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    block = GUARD.format(name=name)
    head, tail = lines[:insert_after], lines[insert_after:]
    new = "".join(head) + ("\n" if head else "") + block + ("\n" if tail else "") + "".join(tail)
    if not log.check:
        path.write_text(new, encoding="utf-8")
    log.did(f"{path}: refuses to be imported as anything but {name}")


# ---------------------------------------------------------------------------------------------
# pyproject.toml (section-wise, keeping everything it does not own)


class Toml:
    def __init__(self, text: str) -> None:
        self.head: list[str] = []
        self.sections: list[tuple[str, list[str]]] = []
        current = self.head
        for line in text.splitlines(keepends=True):
            m = re.match(r"^\s*(\[\[?[^\]]+\]\]?)\s*(#.*)?$", line)
            if m:
                current = [line]
                self.sections.append((m.group(1), current))
            else:
                current.append(line)

    def text(self) -> str:
        return "".join(self.head) + "".join("".join(body) for _, body in self.sections)

    def find(self, header: str) -> list[str] | None:
        for name, body in self.sections:
            if name == header:
                return body
        return None

    def drop(self, header: str) -> bool:
        before = len(self.sections)
        self.sections = [(n, b) for n, b in self.sections if n != header]
        return len(self.sections) != before

    def put(self, header: str, entries: list[tuple[str, str]], after: str | None = None) -> None:
        """Set keys in a table (creating it, after another table when given)."""
        body = self.find(header)
        if body is None:
            body = [f"{header}\n"]
            index = len(self.sections)
            if after is not None:
                for i, (name, _) in enumerate(self.sections):
                    inner = name.strip("[]")
                    if inner == after or inner.startswith(after + "."):
                        index = i + 1
            if index > 0 and self.sections[index - 1][1] and self.sections[index - 1][1][-1].strip():
                self.sections[index - 1][1].append("\n")
            self.sections.insert(index, (header, body))
            if index < len(self.sections) - 1:
                body.append("\n")
        for key, value in entries:
            _set_key(body, key, value)


def _key_span(body: list[str], key: str) -> tuple[int, int] | None:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for i, line in enumerate(body):
        if pattern.match(line):
            depth, j = 0, i
            while True:
                depth += _bracket_depth(body[j])
                if depth <= 0 or j == len(body) - 1:
                    return i, j + 1
                j += 1
    return None


def _bracket_depth(line: str) -> int:
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line.split(" #", 1)[0])
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def _set_key(body: list[str], key: str, value: str) -> None:
    line = f"{key} = {value}\n"
    span = _key_span(body, key)
    if span is not None:
        body[span[0] : span[1]] = [line]
        return
    end = len(body)
    while end > 1 and not body[end - 1].strip():
        end -= 1
    body.insert(end, line)


def _toml_list(items: Iterable[str], indent: bool = False) -> str:
    items = list(items)
    if not indent:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"
    return "[\n" + "".join(f'    "{i}",\n' for i in items) + "]"


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def discover_packages() -> list[str]:
    names = []
    for name, folder in package_dirs().items():
        base = Path(folder)
        for init in sorted(base.rglob("__init__.py")):
            if "__pycache__" in init.parts:
                continue
            rel = init.parent.relative_to(base).parts
            names.append(".".join([name, *rel]))
    return sorted(set(names))


def edit_pyproject(rules: TextRules, log: Log) -> None:
    path = Path("pyproject.toml")
    original = path.read_text(encoding="utf-8")
    doc = Toml(rules.apply(original, code_lines=False))

    if doc.drop("[tool.setuptools.packages.find]"):
        log.did("pyproject.toml: dropped [tool.setuptools.packages.find] (it cannot map folders)")
    doc.put(
        "[tool.setuptools]",
        [("packages", _toml_list(discover_packages(), indent=True))],
        after="project",
    )
    doc.put(
        "[tool.setuptools.package-dir]",
        [(_key(k), f'"{v}"') for k, v in package_dirs().items()],
        after="tool.setuptools",
    )
    # package data: keys follow the packages; the NOC page and py.typed are data too
    data = doc.find("[tool.setuptools.package-data]")
    if data is not None:
        for i, line in enumerate(data):
            m = re.match(r'^(\s*)"?([\w.*]+)"?(\s*=.*)$', line, re.S)
            if m and m.group(2) in PACKAGES:
                data[i] = f"{m.group(1)}{_key(ROOT_PACKAGE + '.' + m.group(2))}{m.group(3)}"
    wanted = {
        f"{ROOT_PACKAGE}.api": ["static/*"],
        f"{ROOT_PACKAGE}.inventory": ["sample/*.yaml", "sample/*/*.yaml", "sample/*.csv"],
        f"{ROOT_PACKAGE}.tasks": ["templates/*/*.j2"],
        "*": ["py.typed"],
    }
    data = doc.find("[tool.setuptools.package-data]")
    for key, patterns in wanted.items():
        body = data or []
        span = _key_span(body, _key(key))
        have: list[str] = []
        if span is not None:
            have = re.findall(r'"([^"]+)"', "".join(body[span[0] : span[1]]).split("=", 1)[1])
        merged = have + [p for p in patterns if p not in have]
        if span is None or merged != have:
            doc.put("[tool.setuptools.package-data]", [(_key(key), _toml_list(merged))], "tool.setuptools")
            data = doc.find("[tool.setuptools.package-data]")

    # pytest: the tests only; the doctests are collected by importing govnet.* by name
    # (tests/test_doctests.py), never by path (which would import inventory/x.py as inventory.x)
    pytest_table = doc.find("[tool.pytest.ini_options]")
    if pytest_table is not None:
        doc.put("[tool.pytest.ini_options]", [("testpaths", '["tests"]')])
        span = _key_span(pytest_table, "addopts")
        if span is not None:
            line = "".join(pytest_table[span[0] : span[1]])
            fixed = re.sub(r"\s*--doctest-modules\b", "", line)
            pytest_table[span[0] : span[1]] = [fixed]
        span = _key_span(pytest_table, "markers")
        if span is not None and '"wheel:' not in "".join(pytest_table[span[0] : span[1]]):
            block = pytest_table[span[0] : span[1]]
            close = max(i for i, line in enumerate(block) if "]" in line)
            if block[close].strip() == "]":
                block.insert(close, f'    "{WHEEL_MARKER}",\n')
                pytest_table[span[0] : span[1]] = block
            else:
                log.must("pyproject.toml: add the pytest marker 'wheel' by hand")

    # mypy: the packages by their installed names, found through the strict editable install's
    # link tree (build/__editable__.*/govnet, on sys.path by a .pth file): mypy maps files to
    # modules by folder names, so it cannot check inventory/ as govnet.inventory from the folders;
    # tests/ is a package found from the repository root. (mypy takes packages or files, not both.)
    if doc.find("[tool.mypy]") is not None:
        mypy_table = doc.find("[tool.mypy]") or []
        span = _key_span(mypy_table, "files")
        if span is not None:
            del mypy_table[span[0] : span[1]]
        checked = [ROOT_PACKAGE, DRIVER] + (["tests"] if Path("tests/__init__.py").exists() else [])
        doc.put("[tool.mypy]", [("packages", _toml_list(checked))])
    # ruff (isort): the import root is first-party although no folder carries its name
    if doc.find("[tool.ruff.lint]") is not None or doc.find("[tool.ruff]") is not None:
        doc.put(
            "[tool.ruff.lint.isort]",
            [("known-first-party", _toml_list([ROOT_PACKAGE, DRIVER, "tests"]))],
            after="tool.ruff",
        )
    new = doc.text()
    if new != original:
        try:
            import tomllib

            tomllib.loads(new)
        except Exception as exc:  # a broken pyproject is never written
            log.must(f"pyproject.toml: the edit would not parse ({exc}); left unchanged")
            return
        if not log.check:
            path.write_text(new, encoding="utf-8")
        log.did(
            "pyproject.toml: package-dir mapping, packages, package data, entry points, pytest, mypy, ruff"
        )


# ---------------------------------------------------------------------------------------------


def rewrite_tree(rules: TextRules, log: Log) -> None:
    for rel in tracked():
        if rel in {SELF, "pyproject.toml"}:
            continue
        path = Path(rel)
        if path.suffix == ".py":
            source = path.read_text(encoding="utf-8")
            new = rewrite_python(rel, source, rules, log)
        elif path.suffix in {".yaml", ".yml"}:
            # data: only comment lines ("# Generated by `python -m inventory.samplegen`")
            source = path.read_text(encoding="utf-8")
            new = "".join(
                rules.apply(line, code_lines=False) if line.lstrip().startswith("#") else line
                for line in source.splitlines(keepends=True)
            )
        elif path.suffix in TEXT_SUFFIXES or rel in TEXT_NAMES:
            source = path.read_text(encoding="utf-8")
            new = rules.apply(source, code_lines=path.suffix in {".md", ".rst", ".sh"} or rel in TEXT_NAMES)
        else:
            continue
        if new != source:
            if not log.check:
                path.write_text(new, encoding="utf-8")
            log.did(f"{rel}: {_count_changed(source, new)} line(s) rewritten")


def _count_changed(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a.splitlines(), b.splitlines(), strict=False)) + abs(
        len(a.splitlines()) - len(b.splitlines())
    )


def special_edits(log: Log) -> None:
    """Code that finds the device agent by path: it now lives in the napalm_frr package."""
    for rel in tracked():
        if not rel.endswith(".py") or rel == SELF:
            continue
        path = Path(rel)
        source = path.read_text(encoding="utf-8")
        pattern = re.compile(r'Path\(\w+\.__file__\)\.parent\s*/\s*"device"\s*/\s*"govnet_cfg\.py"')
        if not pattern.search(source):
            if (
                '"govnet_cfg.py"' in source
                and rel != f"{DRIVER}/govnet_cfg.py"
                and "napalm_frr" not in source
            ):
                log.must(
                    f"{rel}: finds govnet_cfg.py by a path this script does not know; point it at napalm_frr/"
                )
            continue
        new = pattern.sub('Path(napalm_frr.__file__).parent / "govnet_cfg.py"', source)
        if not re.search(r"^import napalm_frr$", new, re.M):
            tree = ast.parse(source)
            last = max(
                (s.end_lineno or 0 for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)),
                default=0,
            )
            lines = new.splitlines(keepends=True)
            lines.insert(last, "import napalm_frr\n")
            new = "".join(lines)
        if not log.check:
            path.write_text(new, encoding="utf-8")
        log.did(f"{rel}: copies the device agent from the napalm_frr package")


def guard_packages(log: Log) -> None:
    for name, folder in package_dirs().items():
        if name == DRIVER:
            continue
        init = Path(folder, "__init__.py")
        if init.exists():
            guard_init(init, name, log)


def run_ruff(log: Log) -> None:
    ruff = shutil.which("ruff", path=os.pathsep.join([".venv/bin", os.environ.get("PATH", "")]))
    if ruff is None:
        print("ruff not found: run 'ruff check --fix . && ruff format .' yourself", file=sys.stderr)
        return
    for args in (["check", "--fix", "--select", "I", "--quiet", "."], ["format", "--quiet", "."]):
        proc = subprocess.run([ruff, *args], capture_output=True, text=True, check=False)
        if proc.stdout.strip():
            print(proc.stdout.strip())
    log.did("ruff: import order and formatting after the renames")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="change nothing, say what would change")
    parser.add_argument("--no-ruff", action="store_true", help="do not run ruff afterwards")
    args = parser.parse_args(argv)
    if not Path("pyproject.toml").is_file() or not Path(".git").exists():
        print("run me from the repository root", file=sys.stderr)
        return 2
    log = Log(args.check)
    move_files(log)
    if args.check and Path(ROOT_PACKAGE).is_dir() and git("ls-files", ROOT_PACKAGE).strip():
        print("(--check stops here: the rest depends on the moves)")
        return 1
    rules = TextRules()
    special_edits(log)
    rewrite_tree(rules, log)
    guard_packages(log)
    edit_pyproject(rules, log)
    if log.changes and not args.check and not args.no_ruff:
        run_ruff(log)
    print(f"{len(log.changes)} change(s); {len(log.manual)} left to do by hand")
    for item in log.manual:
        print(f"  MANUAL: {item}")
    if log.manual:
        return 3
    return 1 if args.check and log.changes else 0


if __name__ == "__main__":
    sys.exit(main())
