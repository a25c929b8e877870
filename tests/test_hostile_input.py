"""Hostile input: every free-text field of the inventory, of the CSV import and of the secrets.

The fields are not listed here by hand: the suite walks the pydantic models of
:data:`govnet.inventory.models.SECTIONS` (and every credential kind), nested models included, and
takes every field that holds a ``str`` (or a list of them), so a field added later is covered
without touching this file. Each is fed a line break, CR, NUL, BEL, U+2028, U+202E, a 10 kB
string and template syntax; each must be refused with file, line, entry and field named, in a
report that itself stays printable, and nothing may be written anywhere.
"""

from __future__ import annotations

import csv
import types
import typing
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from govnet.cli import main
from govnet.inventory.csv_import import OPTIONAL, REQUIRED
from govnet.inventory.models import CREDENTIAL_KINDS, SECTIONS, SecretRef
from govnet.inventory.yamlfile import dump_yaml
from tests.conftest import tree_snapshot
from tests.mini import mini_files, write_inventory

HOSTILE = {
    "newline": "UBND\n ip route 0.0.0.0/0 198.18.8.1\nusername x privilege 15 secret x",
    "cr": "UBND\r ip route 0.0.0.0/0 198.18.8.1",
    "nul": "UBND\x00x",
    "bel": "UBND\x07x",
    "u2028": "UBND\u2028 ip route 0.0.0.0/0 198.18.8.1",
    "u202e": "UBND \u202exã",
    "10kB": "x" * 10240,
    "jinja-expr": "UBND {{ 7*7 }}",
    "jinja-raw": "UBND {% raw %}",
}


@dataclass(frozen=True)
class Target:
    """One string field of the schema: the section, the entry's model, the path inside it."""

    section: str
    model: type[BaseModel]
    path: tuple[str | int, ...]
    is_list: bool

    @property
    def id(self) -> str:
        return f"{self.section}.{self.model.__name__}.{'.'.join(str(p) for p in self.path)}"


def _unwrap(annotation: Any) -> list[Any]:
    """The types an annotation allows (``X | None`` -> [X, NoneType]; Annotated unwrapped)."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in {typing.Union, types.UnionType}:
        return [a for arg in typing.get_args(annotation) for a in _unwrap(arg)]
    return [annotation]


def _is_str(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, str)


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def string_paths(
    model: type[BaseModel], prefix: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], bool]]:
    """Every path to a ``str`` (or ``list[str]``) field of a model, through nested models."""
    found: list[tuple[tuple[str | int, ...], bool]] = []
    for name, info in model.model_fields.items():
        for kind in _unwrap(info.annotation):
            if _is_str(kind):
                found.append(((*prefix, name), False))
            elif typing.get_origin(kind) is list:
                (item,) = typing.get_args(kind)
                if _is_str(item):
                    found.append(((*prefix, name), True))
                elif _is_model(item):
                    found.extend(string_paths(item, (*prefix, name, 0)))
            elif _is_model(kind):
                found.extend(string_paths(kind, (*prefix, name)))
    return found


def all_targets() -> list[Target]:
    targets = []
    for section, (model, _key) in SECTIONS.items():
        models = [model] if model is not None else list(CREDENTIAL_KINDS.values())
        for each in models:
            for path, is_list in string_paths(each):
                targets.append(Target(section, each, path, is_list))
    return targets


TARGETS = all_targets()


def test_the_suite_sees_every_free_text_field() -> None:
    """The walk finds the fields the issue names (a guard against a walk that finds nothing)."""
    ids = {t.id for t in TARGETS}
    for expected in (
        "agencies.Agency.name",
        "sites.Site.name",
        "sites.Site.commune",
        "sites.Site.address",
        "ducts.Duct.name",
        "province.Province.name",
        "province.Province.districts.0.name",
        "credentials.SNMPv3Credential.username",
        "credentials.SSHCredential.username",
        "credentials.SSHCredential.password.secret",
        "devices.Device.interfaces",
        "devices.Device.model",
        "devices.Device.serial",
        "links.Link.a",
    ):
        assert expected in ids, expected
    assert len(TARGETS) >= 40


def _locate(files: dict[str, dict[str, Any]], target: Target) -> tuple[str, int, dict[str, Any]]:
    """The file, index and entry of the mini inventory where the target's field lives."""
    for file, doc in files.items():
        if target.section not in doc:
            continue
        if target.section == "province":
            return file, 0, doc["province"]
        for index, entry in enumerate(doc[target.section]):
            kind = target.model.model_fields.get("kind") if target.section == "credentials" else None
            if kind is not None and entry.get("kind") not in typing.get_args(kind.annotation):
                continue
            return file, index, entry
    raise AssertionError(f"the mini inventory has no {target.section} entry of {target.model.__name__}")


def _set(entry: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = entry
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


_REFUSED_IN_REPORTS = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def assert_printable_report(err: str) -> None:
    """The report is lines of printable text: no value's control character got through."""
    for line in err.split("\n"):
        bad = [c for c in line if unicodedata.category(c) in _REFUSED_IN_REPORTS]
        assert not bad, f"the report prints {bad!r}: {line[:200]!r}"


@pytest.mark.parametrize("value_id", list(HOSTILE))
@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_every_string_field_refuses_hostile_text(
    target: Target,
    value_id: str,
    tmp_path: Path,
    mini_secrets: dict[str, str],
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = mini_files()
    file, index, entry = _locate(files, target)
    value = HOSTILE[value_id]
    _set(entry, target.path, [value] if target.is_list else value)
    root = write_inventory(tmp_path / "inv", files)
    out = tmp_path / "rendered"
    before = tree_snapshot(tmp_path, isolated_home)

    assert main(["--inventory", str(root), "inventory", "validate"]) == 2
    if value_id == "newline":  # and the command that writes configs writes none
        assert main(["--inventory", str(root), "config", "render", str(out)]) == 2

    err = capsys.readouterr().err
    assert_printable_report(err)
    field = ".".join(str(p) for p in target.path)
    label = f"{target.section}[{index}]"
    lines = [
        line
        for line in err.splitlines()
        if f"{file}:" in line and label in line and (f"field '{field}'" in line or f"field '{field}." in line)
    ]
    assert lines, f"no problem names {file}, {label} and field {field!r}:\n{err[:3000]}"
    number = lines[0].split(f"{file}:", 1)[1].split(":", 1)[0]
    assert number.isdigit(), f"no line number in {lines[0]!r}"
    assert value not in err or value_id.startswith("jinja"), "the raw value is printed back"
    assert tree_snapshot(tmp_path, isolated_home) == before, "a refused inventory must write nothing"


# --------------------------------------------------------------------------- secrets


def secret_fields() -> list[tuple[str, int, str]]:
    """(credential name, index in the mini inventory, field) of every SecretRef field of every
    credential kind, found by walking the models."""
    found = []
    credentials = mini_files()["province.yaml"]["credentials"]
    for kind, model in CREDENTIAL_KINDS.items():
        index = next(i for i, c in enumerate(credentials) if c["kind"] == kind)
        for name, info in model.model_fields.items():
            if SecretRef in _unwrap(info.annotation):
                found.append((credentials[index]["name"], index, name))
    return found


SECRET_FIELDS = secret_fields()


def test_the_secret_walk_finds_every_secret() -> None:
    assert {f for _, _, f in SECRET_FIELDS} == {"password", "auth_key", "priv_key", "community"}


@pytest.mark.parametrize("value_id", list(HOSTILE))
@pytest.mark.parametrize("credential,index,field", SECRET_FIELDS)
def test_a_secret_value_that_would_become_syntax_is_refused(
    credential: str,
    index: int,
    field: str,
    value_id: str,
    tmp_path: Path,
    mini_secrets: dict[str, str],
    isolated_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = mini_files()
    key = files["province.yaml"]["credentials"][index][field]["secret"]
    value = "S3cr3t-" + HOSTILE[value_id]
    # From the secrets file (a NUL cannot be put in an environment variable) ...
    env_name = "GOVNET_SECRET_" + key.upper().replace("-", "_")
    monkeypatch.delenv(env_name)
    secrets = tmp_path / "outside" / "secrets.yaml"
    secrets.parent.mkdir()
    secrets.write_text(dump_yaml({key: value}), encoding="utf-8")
    root = write_inventory(tmp_path / "inv", files)
    before = tree_snapshot(tmp_path, isolated_home)

    assert main(["--inventory", str(root), "--secrets", str(secrets), "inventory", "validate"]) == 2
    err = capsys.readouterr().err
    assert_printable_report(err)
    wanted = "province.yaml:"
    lines = [line for line in err.splitlines() if wanted in line and f"credentials[{index}]" in line]
    assert any(f"field '{field}'" in line for line in lines), err
    assert "S3cr3t" not in err, "a secret value must never be printed"
    assert tree_snapshot(tmp_path, isolated_home) == before

    # ... and from the environment, where a value can hold anything but NUL.
    if "\x00" not in value:
        monkeypatch.setenv(env_name, value)
        assert main(["--inventory", str(root), "inventory", "validate"]) == 2
        err = capsys.readouterr().err
        assert any(
            f"field '{field}'" in line and f"credentials[{index}]" in line for line in err.splitlines()
        )
        assert "S3cr3t" not in err


def test_a_community_with_a_space_is_refused_but_a_password_may_hold_one(
    mini_secrets: dict[str, str],
    mini_inventory: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GOVNET_SECRET_MINI_SSH", "correct horse battery staple")
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 0
    monkeypatch.setenv("GOVNET_SECRET_MINI_COMMUNITY", "public RW")
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 2
    assert "a community or key is one word" in capsys.readouterr().err


# --------------------------------------------------------------------------- CSV import

GOOD_ROW = {
    "name": "UBND xã Hai",
    "type": "commune_committee",
    "district": "bac",
    "commune": "Xã Hai",
    "lat": "11.85",
    "lon": "106.65",
    "uplink_hub": "hub-a",
    "service_level": "silver",
    "id": "ubnd-hai",
}


def test_the_good_row_imports(mini_inventory: Path, tmp_path: Path) -> None:
    """The row the CSV cases break is itself fine (so each refusal is the hostile cell's)."""
    path = tmp_path / "good.csv"
    _write_csv(path, GOOD_ROW)
    assert (
        main(
            [
                "--inventory",
                str(mini_inventory),
                "inventory",
                "import-csv",
                str(path),
                "--into",
                str(mini_inventory),
            ]
        )
        == 0
    )


def _write_csv(path: Path, row: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(REQUIRED + OPTIONAL))
        writer.writeheader()
        writer.writerow(row)


@pytest.mark.parametrize("value_id", list(HOSTILE))
@pytest.mark.parametrize("column", REQUIRED + OPTIONAL)
def test_every_csv_column_refuses_hostile_text(
    column: str,
    value_id: str,
    mini_inventory: Path,
    tmp_path: Path,
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "bad.csv"
    _write_csv(path, {**GOOD_ROW, column: HOSTILE[value_id]})
    before = tree_snapshot(mini_inventory, isolated_home)
    code = main(
        [
            "--inventory",
            str(mini_inventory),
            "inventory",
            "import-csv",
            str(path),
            "--into",
            str(mini_inventory),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert_printable_report(err)
    assert any(
        line.strip().startswith("bad.csv:2: row 2") and f"field '{column}'" in line
        for line in err.splitlines()
    ), err
    assert tree_snapshot(mini_inventory, isolated_home) == before


def test_legal_text_with_markup_brackets_prints_as_text(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Brackets are legal in a name; the terminal report prints them, it does not style or crash."""
    files = mini_files()
    files["network.yaml"]["agencies"][0]["name"] = "[/x][b]Bắc"
    root = write_inventory(tmp_path / "inv", files)
    assert main(["--inventory", str(root), "inventory", "show"]) == 0
    assert "[/x][b]Bắc" in capsys.readouterr().out
    assert main(["--inventory", str(root), "inventory", "show", "--district", "[/x]"]) == 1
    assert "unknown district '[/x]'" in capsys.readouterr().err


def test_a_one_megabyte_name_is_refused_in_a_short_report(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = mini_files()
    files["network.yaml"]["agencies"][0]["name"] = "UBND " + "x" * (1 << 20)
    files["network.yaml"]["devices"][0]["name"] = "core-" + "a" * (1 << 20)
    root = write_inventory(tmp_path / "inv", files)
    assert main(["--inventory", str(root), "inventory", "validate"]) == 2
    err = capsys.readouterr().err
    assert "field 'name': String should have at most 120 characters" in err
    assert "field 'name': String should have at most 63 characters" in err
    assert len(err) < 5000, "the report repeats the value"
