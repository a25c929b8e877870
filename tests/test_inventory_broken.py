"""Broken inventories, one mistake each: the message names file, entry and field; nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from govnet.cli import main
from tests.conftest import tree_snapshot
from tests.mini import mini_files, write_inventory

Files = dict[str, dict[str, Any]]


def dev(files: Files, name: str) -> dict[str, Any]:
    return next(d for d in files["network.yaml"]["devices"] if d["name"] == name)


def site(files: Files, id_: str) -> dict[str, Any]:
    return next(s for s in files["network.yaml"]["sites"] if s["id"] == id_)


def link(files: Files, index: int) -> dict[str, Any]:
    return files["network.yaml"]["links"][index]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Callable[[Files], None]
    file: str
    entry: str
    field: str | None
    words: str  # a fragment of the message that says what is wrong
    text_edit: Callable[[str], str] | None = None  # edits network.yaml text after dumping


def _set(getter: Callable[[Files], dict[str, Any]], key: str, value: Any) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        getter(files)[key] = value

    return mutate


def _drop(getter: Callable[[Files], dict[str, Any]], key: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        del getter(files)[key]

    return mutate


def _append_device_copy(files: Files) -> None:
    clone = dict(dev(files, "cpe-tyt"))
    clone["mgmt_ip"] = "198.18.0.99"
    files["network.yaml"]["devices"].append(clone)


def _append_link_reusing_interface(files: Files) -> None:
    files["network.yaml"]["links"].append(
        {"a": "hub-a:eth4", "b": "core-a:eth4", "capacity_mbps": 100, "medium": "fiber"}
    )


def _drop_secret(files: Files) -> None:
    files["province.yaml"]["credentials"][1]["auth_key"] = {"env": "MINI_NOT_SET_ANYWHERE"}


def _unknown_section(files: Files) -> None:
    files["network.yaml"]["device"] = files["network.yaml"].pop("devices")


def _agency_dup(files: Files) -> None:
    clone = dict(files["network.yaml"]["agencies"][0])
    clone["lan_prefix"] = "198.19.0.32/28"
    files["network.yaml"]["agencies"].append(clone)


CASES = [
    Case(
        "yaml-syntax",
        lambda f: None,
        "network.yaml",
        "",
        None,
        "YAML syntax error",
        text_edit=lambda t: t.replace("- id: hub-bac", "- id: [hub-bac", 1),
    ),
    Case(
        "duplicate-yaml-key",
        lambda f: None,
        "network.yaml",
        "",
        None,
        "duplicate key 'role'",
        text_edit=lambda t: t.replace("  role: hub\n", "  role: hub\n  role: core\n", 1),
    ),
    Case(
        "unknown-key",
        _set(lambda f: dev(f, "hub-a"), "mgmt_pi", "198.18.0.50"),
        "network.yaml",
        "devices[1] 'hub-a'",
        "mgmt_pi",
        "did you mean 'mgmt_ip'",
    ),
    Case("unknown-section", _unknown_section, "network.yaml", "", "device", "unknown section 'device'"),
    Case(
        "duplicate-device-name",
        _append_device_copy,
        "network.yaml",
        "devices[4] 'cpe-tyt'",
        "name",
        "already used by devices[3]",
    ),
    Case(
        "duplicate-mgmt-ip",
        _set(lambda f: dev(f, "cpe-tyt"), "mgmt_ip", "198.18.0.11"),
        "network.yaml",
        "devices[3] 'cpe-tyt'",
        "mgmt_ip",
        "198.18.0.11 is already used by devices[1] 'hub-a'",
    ),
    Case(
        "link-unknown-device",
        _set(lambda f: link(f, 4), "b", "cpe-tyy:ether1"),
        "network.yaml",
        "links[4] 'hub-a:eth4--cpe-tyy:ether1'",
        "b",
        "unknown device 'cpe-tyy'",
    ),
    Case(
        "link-unknown-interface",
        _set(lambda f: link(f, 4), "b", "cpe-tyt:ether9"),
        "network.yaml",
        "links[4] 'hub-a:eth4--cpe-tyt:ether9'",
        "b",
        "has no interface 'ether9'",
    ),
    Case(
        "interface-two-links",
        _append_link_reusing_interface,
        "network.yaml",
        "links[5] 'hub-a:eth4--core-a:eth4'",
        "a",
        "hub-a:eth4 is already used by links[4]",
    ),
    Case(
        "agency-unknown-cpe",
        _set(lambda f: f["network.yaml"]["agencies"][1], "cpe", "cpe-nowhere"),
        "network.yaml",
        "agencies[1] 'tyt-mot'",
        "cpe",
        "unknown CPE 'cpe-nowhere'",
    ),
    Case(
        "agency-cpe-not-a-cpe",
        _set(lambda f: f["network.yaml"]["agencies"][1], "cpe", "hub-a"),
        "network.yaml",
        "agencies[1] 'tyt-mot'",
        "cpe",
        "is a hub, not a cpe",
    ),
    Case(
        "site-no-coordinates",
        _drop(lambda f: site(f, "tram-y-te"), "lat"),
        "network.yaml",
        "sites[3] 'tram-y-te'",
        "lat",
        "required field is missing",
    ),
    Case(
        "site-outside-province",
        _set(lambda f: site(f, "tram-y-te"), "lon", 108.3),
        "network.yaml",
        "sites[3] 'tram-y-te'",
        "lat",
        "lies outside the province",
    ),
    Case(
        "site-unknown-district",
        _set(lambda f: site(f, "tram-y-te"), "district", "nam"),
        "network.yaml",
        "sites[3] 'tram-y-te'",
        "district",
        "unknown district 'nam'",
    ),
    Case(
        "mgmt-outside-subnet",
        _set(lambda f: dev(f, "cpe-tyt"), "mgmt_ip", "198.18.5.13"),
        "network.yaml",
        "devices[3] 'cpe-tyt'",
        "mgmt_ip",
        "outside its subnet",
    ),
    Case(
        "link-ip-outside-subnet",
        _set(lambda f: link(f, 0), "b_ip", "198.18.2.9/31"),
        "network.yaml",
        "links[0] 'core-a:eth1--hub-a:eth1'",
        "b_ip",
        "outside its subnet",
    ),
    Case(
        "lan-outside-subnet",
        _set(lambda f: f["network.yaml"]["agencies"][0], "lan_prefix", "198.19.5.0/28"),
        "network.yaml",
        "agencies[0] 'ubnd-bac'",
        "lan_prefix",
        "outside its subnet",
    ),
    Case(
        "unknown-role",
        _set(lambda f: dev(f, "hub-a"), "role", "router"),
        "network.yaml",
        "devices[1] 'hub-a'",
        "role",
        "'router'",
    ),
    Case(
        "unknown-platform",
        _set(lambda f: dev(f, "cpe-ubnd"), "platform", "cisco_iso"),
        "network.yaml",
        "devices[2] 'cpe-ubnd'",
        "platform",
        "did you mean 'cisco_ios'",
    ),
    Case(
        "secret-missing",
        _drop_secret,
        "province.yaml",
        "credentials[1] 'v3'",
        "auth_key",
        "no value found for environment variable MINI_NOT_SET_ANYWHERE",
    ),
    Case(
        "profile-wrong-credential-kind",
        _set(lambda f: f["province.yaml"]["snmp_profiles"][0], "credential", "v2"),
        "province.yaml",
        "snmp_profiles[0] 'default'",
        "credential",
        "needs a snmp_v3 credential",
    ),
    Case(
        "device-unknown-site",
        _set(lambda f: dev(f, "cpe-tyt"), "site", "tram-y-tee"),
        "network.yaml",
        "devices[3] 'cpe-tyt'",
        "site",
        "did you mean 'tram-y-te'",
    ),
    Case(
        "link-unknown-duct",
        _set(lambda f: link(f, 1), "ducts", ["d3"]),
        "network.yaml",
        "links[1] 'core-a:eth2--hub-a:eth2'",
        "ducts",
        "unknown duct 'd3'",
    ),
    Case(
        "bgp-without-asn",
        _drop(lambda f: dev(f, "cpe-ubnd"), "asn"),
        "network.yaml",
        "links[2] 'hub-a:eth3--cpe-ubnd:GigabitEthernet0/0/0'",
        "protocol",
        "has no 'asn'",
    ),
    Case(
        "malformed-endpoint",
        _set(lambda f: link(f, 4), "a", "hub-a-eth4"),
        "network.yaml",
        "links[4] 'hub-a-eth4--cpe-tyt:ether1'",
        "a",
        "is not 'device:interface'",
    ),
    Case(
        "duplicate-agency-id",
        _agency_dup,
        "network.yaml",
        "agencies[2] 'ubnd-bac'",
        "id",
        "already used by agencies[0]",
    ),
    Case(
        "bad-capacity",
        _set(lambda f: link(f, 2), "capacity_mbps", 0),
        "network.yaml",
        "links[2] 'hub-a:eth3--cpe-ubnd:GigabitEthernet0/0/0'",
        "capacity_mbps",
        "greater than 0",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_inventory_is_refused_with_file_entry_and_field(
    case: Case,
    tmp_path: Path,
    mini_secrets: dict[str, str],
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = mini_files()
    case.mutate(files)
    root = write_inventory(tmp_path / "inv", files)
    if case.text_edit is not None:
        path = root / "network.yaml"
        edited = case.text_edit(path.read_text(encoding="utf-8"))
        assert edited != path.read_text(encoding="utf-8"), "the text edit must change the file"
        path.write_text(edited, encoding="utf-8")
    before = tree_snapshot(tmp_path, isolated_home)

    code = main(["--inventory", str(root), "inventory", "validate"])

    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if case.words in line]
    assert lines, f"no line says {case.words!r}:\n{err}"
    line = lines[0]
    assert case.file in line
    assert case.entry in line
    if case.field is not None:
        assert f"'{case.field}'" in line
    if case.id.startswith(("yaml", "duplicate-yaml")):
        assert "network.yaml:" in line  # with a line number
        number = line.split("network.yaml:", 1)[1].split(":", 1)[0]
        assert number.isdigit() and int(number) > 1
    assert tree_snapshot(tmp_path, isolated_home) == before, "a refused inventory must write nothing"


def test_every_problem_is_reported_not_only_the_first(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = mini_files()
    dev(files, "hub-a")["role"] = "router"
    dev(files, "cpe-tyt")["mgmt_ip"] = "198.18.0.10"
    site(files, "tram-y-te")["lon"] = 120.0
    files["network.yaml"]["agencies"][1]["cpe"] = "ghost"
    root = write_inventory(tmp_path / "inv", files)
    assert main(["--inventory", str(root), "inventory", "validate"]) == 2
    err = capsys.readouterr().err
    for words in ("'router'", "already used", "outside the province", "unknown CPE 'ghost'"):
        assert words in err
    assert "4 problem(s)" in err  # no cascade: links to the broken hub-a are not "unknown device"


def test_validate_json_lists_problems(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    files = mini_files()
    dev(files, "hub-a")["platform"] = "ciscoios"
    root = write_inventory(tmp_path / "inv", files)
    assert main(["--inventory", str(root), "inventory", "validate", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is False
    assert doc["problems"][0]["field"] == "platform"
    assert doc["problems"][0]["file"] == "network.yaml"


def test_secrets_file_inside_the_inventory_is_refused(
    mini_inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inside = mini_inventory / "secrets.txt"
    inside.write_text("mini-ssh: x\n", encoding="utf-8")
    monkeypatch.setenv("GOVNET_SECRETS", str(inside))
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 2
    assert "lies inside the inventory directory" in capsys.readouterr().err


def test_missing_directory_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(tmp_path / "nope"), "inventory", "validate"]) == 2
    assert "no such inventory directory" in capsys.readouterr().err
