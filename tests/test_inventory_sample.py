"""The sample province: valid, big enough, inside the benchmarking range, and in step with its generator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

import pytest
import yaml

from govnet.cli import main
from govnet.errors import GovnetError
from govnet.inventory import sample_dir
from govnet.inventory.loader import inventory_files, load_inventory
from govnet.inventory.models import Device, Link, Province, Role, Site
from govnet.inventory.samplebuilder import plain
from govnet.inventory.samplefacts import FACTS, load_facts
from govnet.inventory.samplegen import build, build_models, write
from govnet.inventory.yamlfile import load_yaml

BENCH = IPv4Network("198.18.0.0/15")


def test_stats_json_meets_the_province_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    for key in ("agencies", "devices", "links", "districts", "bts_sites", "wifi_hotspots"):
        assert isinstance(stats[key], int)
    assert stats["agencies"] >= 310
    assert stats["bts_sites"] >= 5
    assert stats["wifi_hotspots"] >= 20
    assert stats["districts"] == 11
    assert stats["devices_by_role"]["core"] == 2
    assert stats["devices_by_role"]["hub"] == 11


def test_validate_exits_zero_through_the_console_script(isolated_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "inventory", "validate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_every_sample_address_is_in_the_benchmarking_range() -> None:
    network = load_inventory(sample_dir())
    for subnet in network.subnets.values():
        assert subnet.prefix.subnet_of(BENCH), subnet
    addresses: list[IPv4Address] = []
    for dev in network.devices.values():
        addresses.append(dev.mgmt_ip)
        if dev.loopback:
            addresses.append(dev.loopback)
    for link in network.links:
        assert link.a_ip is not None and link.b_ip is not None
        addresses += [link.a_ip.ip, link.b_ip.ip]
    addresses += [r.host for r in network.province.trap_receivers]
    assert all(a in BENCH for a in addresses)
    assert not any(a in IPv4Network("192.0.2.0/24") for a in addresses)


def test_sample_holds_the_shapes_the_issue_asks_for() -> None:
    network = load_inventory(sample_dir())
    names = {d.name for d in network.province.districts}
    assert {
        "Đồng Xoài",
        "Bình Long",
        "Phước Long",
        "Chơn Thành",
        "Bù Đăng",
        "Bù Đốp",
        "Bù Gia Mập",
        "Đồng Phú",
        "Hớn Quản",
        "Lộc Ninh",
        "Phú Riềng",
    } == names
    # Vietnamese names keep their diacritics.
    assert any(a.name == "Sở Thông tin và Truyền thông" for a in network.agencies.values())
    # Some CPEs are dual-homed, most single-homed.
    uplinks = [len(network.links_by_device[c.name]) for c in network.devices_with_role(Role.CPE)]
    assert 0 < sum(1 for n in uplinks if n > 1) < len(uplinks) / 4
    # Two "redundant" uplinks of one device, to different neighbours, run in one duct.
    shared = []
    for dev, links in network.links_by_device.items():
        for i, one in enumerate(links):
            for other in links[i + 1 :]:
                peers = {one.a_device, one.b_device, other.a_device, other.b_device} - {dev}
                if len(peers) == 2 and set(one.ducts) & set(other.ducts):
                    shared.append(dev)
    assert "hub-ct" in shared


def test_committed_sample_equals_the_generator_output() -> None:
    root = sample_dir()
    generated = build()
    on_disk = {str(p.relative_to(root)): p for p in inventory_files(root)}
    assert sorted(on_disk) == sorted(generated)
    for rel, data in generated.items():
        assert json.loads(json.dumps(load_yaml(on_disk[rel]))) == json.loads(json.dumps(data)), rel


def test_show_filters_by_role_and_district(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "show", "--role", "hub", "--json"]) == 0
    hubs = json.loads(capsys.readouterr().out)["devices"]
    assert len(hubs) == 11 and {d["role"] for d in hubs} == {"hub"}
    assert main(["inventory", "show", "--district", "bu-gia-map", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["devices"]
    assert rows and {d["district"] for d in rows} == {"bu-gia-map"}
    assert main(["inventory", "show", "--district", "atlantis"]) == 1
    assert "unknown district 'atlantis'" in capsys.readouterr().err


def test_sample_secrets_are_generated_outside_the_repository(isolated_home: Path) -> None:
    network = load_inventory(sample_dir())
    secrets_file = isolated_home / ".config" / "govnet" / "secrets.yaml"
    assert secrets_file.exists()
    assert secrets_file.stat().st_mode & 0o077 == 0
    values = network.secrets.plain_values()
    assert len(values) == 4
    repo = Path(__file__).resolve().parent.parent
    for path in repo.rglob("*.yaml"):
        if ".venv" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not any(v in text for v in values), path
    # A second load reuses them.
    assert load_inventory(sample_dir()).secrets.plain_values() == values


def test_the_generator_writes_the_committed_sample_byte_for_byte(tmp_path: Path) -> None:
    """The sample's facts live in samplefacts.yaml and the generator builds model objects: its
    output is still, byte for byte, what is committed (and what it wrote before that change)."""
    written = write(tmp_path)
    root = FACTS.with_name("sample")  # the committed sample, beside the facts
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(
        str(p.relative_to(root)) for p in inventory_files(root)
    )
    for path in written:
        committed = root / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), path.relative_to(tmp_path)


def test_the_generator_builds_the_inventorys_models() -> None:
    models = build_models()
    core = models["core.yaml"]
    assert all(isinstance(d, Device) for d in core["devices"])
    assert all(isinstance(s, Site) for s in core["sites"])
    assert all(isinstance(lk, Link) for lk in core["links"])
    assert isinstance(models["province.yaml"]["province"], Province)
    hub = next(d for d in core["devices"] if d.name == "hub-dx")
    assert len(hub.interfaces) == 96  # expanded by the model, written back as eth[1-96]
    assert plain(hub)["interfaces"] == ["eth[1-96]"]


def _facts_with(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(FACTS.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d["districts"][0].update(name="Đồng Xoài\ninterface eth0"), "districts.0.name"),
        (lambda d: d["districts"][1].update(id="Dong Phu; rm -rf /"), "districts.1.id"),
        (lambda d: d["bts"].append({"district": "zz", "name": "BTS X", "medium": "fiber"}), "zz"),
        (lambda d: d["provincial_agencies"][0].update(level="platinum"), "provincial_agencies.0.level"),
        (lambda d: d["ring_roads"].pop(), "ring_roads"),
        (lambda d: d.update(extra_section=[]), "extra_section"),
        (lambda d: d["provincial_agencies"][0].update(commune="Lộc Ninh"), "commune 'Lộc Ninh'"),
    ],
    ids=[
        "control-in-name",
        "id-not-a-slug",
        "unknown-district",
        "bad-level",
        "road-missing",
        "unknown-key",
        "commune-not-the-capitals",
    ],
)
def test_hostile_sample_facts_are_refused_naming_the_field(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], where: str
) -> None:
    path = _facts_with(tmp_path, edit)
    with pytest.raises(GovnetError) as caught:
        build(load_facts(path))
    assert str(path) in caught.value.message and where in caught.value.message


def test_a_facts_file_that_is_not_yaml_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text("province: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(GovnetError):
        load_facts(path)
