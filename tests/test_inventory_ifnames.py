"""Interface names are the device's own, checked against its platform's naming (issue #17 item 1)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from govnet.cli import main
from govnet.inventory.ifnames import interface_problem
from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.lab import aliases
from govnet.tasks.render import render_device
from tests.mini import mini_files, write_inventory

GOOD = {
    "cisco_ios": ["GigabitEthernet0/1", "GigabitEthernet0/0/[0-3]", "TenGigabitEthernet1/0/1", "Loopback0"],
    "huawei_vrp": ["GE0/0/[0-3]", "GigabitEthernet0/0/1", "XGigabitEthernet0/0/1", "10GE1/0/1", "Eth-Trunk1"],
    "mikrotik_routeros": ["ether[1-5]", "sfp-sfpplus1", "combo1", "wlan1"],
    "juniper_junos": ["ge-0/0/[0-3]", "xe-0/0/0", "ae0"],
    "frr": ["eth[1-4]", "lan0"],
}
BAD = [
    ("cisco_ios", "Gi0/1", "write the full name 'GigabitEthernet0/1'"),
    ("cisco_ios", "eth1", "write the full name 'Ethernet1'"),
    ("cisco_ios", "LoopBack0", "cisco_ios calls it 'Loopback0'"),
    ("cisco_ios", "ether1", "cisco_ios has no interface type 'ether'"),
    ("huawei_vrp", "GE0/1", "'0/1' is not how huawei_vrp numbers a GE interface"),
    ("huawei_vrp", "Loopback0", "huawei_vrp calls it 'LoopBack0'"),
    ("mikrotik_routeros", "eth1", "not a RouterOS port name"),
    ("juniper_junos", "GigabitEthernet0/1", "not a Junos interface name"),
    ("frr", "GigabitEthernet0/0/1", "a Linux interface name has at most 15 characters"),
]


def _cpe_files(platform: str, interfaces: list[str]) -> dict[str, dict[str, object]]:
    files = mini_files()
    devices = files["network.yaml"]["devices"]
    assert isinstance(devices, list)
    cpe = next(d for d in devices if d["name"] == "cpe-tyt")
    cpe.update(platform=platform, interfaces=interfaces)
    links = files["network.yaml"]["links"]
    assert isinstance(links, list)
    first = interfaces[0]
    stem = re.match(r"^(.*?)\[(\d+)-\d+\](.*)$", first)
    port = f"{stem[1]}{stem[2]}{stem[3]}" if stem else first
    for lk in links:
        if lk["b"].startswith("cpe-tyt:"):
            lk["b"] = f"cpe-tyt:{port}"
    return files


@pytest.mark.parametrize("platform", sorted(GOOD))
def test_each_platform_s_own_names_and_ranges_are_accepted(
    tmp_path: Path, mini_secrets: dict[str, str], platform: str
) -> None:
    root = write_inventory(tmp_path / "inv", _cpe_files(platform, GOOD[platform]))
    net = load_inventory(root)
    names = net.devices["cpe-tyt"].interfaces
    assert len(names) > len(GOOD[platform])  # the ranges were expanded
    assert all(interface_problem(platform, n) is None for n in names)


@pytest.mark.parametrize("platform,name,words", BAD, ids=[f"{p}-{n}" for p, n, _ in BAD])
def test_a_name_of_another_platform_is_refused_naming_file_entry_and_field(
    tmp_path: Path,
    mini_secrets: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    platform: str,
    name: str,
    words: str,
) -> None:
    root = write_inventory(tmp_path / "inv", _cpe_files(platform, [name]))
    assert main(["--inventory", str(root), "inventory", "validate"]) == 2
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "cpe-tyt" in line and "interfaces" in line)
    assert re.match(r"^\s*network\.yaml:\d+: devices\[3\] 'cpe-tyt': field 'interfaces': ", line), line
    assert f"'{name}' is not a {platform} interface name" in line and words in line


def test_the_sample_s_vendor_devices_use_their_own_names(net: Network) -> None:
    vendors = {d.name: d for d in net.devices.values() if d.platform != "frr"}
    assert {d.platform for d in vendors.values()} == {"cisco_ios", "huawei_vrp", "mikrotik_routeros"}
    for dev in vendors.values():
        for name in dev.interfaces:
            assert interface_problem(dev.platform, name) is None, (dev.name, name)
            assert not name.startswith("eth") or dev.platform == "mikrotik_routeros"
    for lk in net.links:
        for device, interface in ((lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface)):
            assert interface in net.devices[device].interfaces


# What names a port in each vendor's syntax: IOS/VRP 'interface X', RouterOS 'default-name="X"'
# and 'interface="X"' (RouterOS strings are quoted; the sample's names need no escapes).
_PORT_WORDS = re.compile(r'^interface (\S+)$|default-name="?([^"\s]+)"?|interface="?([^"\s]+)"?', re.M)


def test_every_vendor_config_of_the_sample_names_only_the_device_s_own_ports(net: Network) -> None:
    seen = 0
    for dev in net.devices.values():
        if dev.platform == "frr":
            continue
        text = render_device(net, dev.name)
        named = {next(g for g in m.groups() if g) for m in _PORT_WORDS.finditer(text)}
        logical = {"Loopback0", "LoopBack0", "loopback0"}
        assert named - logical, dev.name
        assert named - logical <= set(dev.interfaces), (dev.name, named - set(dev.interfaces))
        seen += 1
    assert seen == 49  # 21 Cisco CPEs, 6 Huawei BTS routers, 22 MikroTik APs


def test_a_vendor_cpe_without_a_free_port_for_its_lan_is_refused_naming_it(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = _cpe_files("mikrotik_routeros", ["ether1"])  # its only port is its uplink
    root = write_inventory(tmp_path / "inv", files)
    out = tmp_path / "out"
    assert main(["--inventory", str(root), "config", "render", str(out)]) == 1
    err = capsys.readouterr().err
    assert "device 'cpe-tyt': no interface left for the LAN of agency 'tyt-mot'" in err
    assert not (out / "cpe-tyt.conf").exists() and (out / "cpe-ubnd.conf").exists()


def test_the_containerlab_twin_keeps_the_alias_table(net: Network, tmp_path: Path) -> None:
    assert main(["lab", "export-clab", str(tmp_path / "clab")]) == 0
    table = aliases.load(tmp_path / "clab")
    topology = yaml.safe_load((tmp_path / "clab" / "govnet-small.clab.yml").read_text(encoding="utf-8"))
    back = set()
    for link in topology["topology"]["links"]:
        (a, ai), (b, bi) = (end.split(":", 1) for end in link["endpoints"])
        back.add((a, table.to_vendor(a, ai), b, table.to_vendor(b, bi)))
    nodes = set(topology["topology"]["nodes"])
    source = {
        (lk.a_device, lk.a_interface, lk.b_device, lk.b_interface)
        for lk in net.links
        if lk.a_device in nodes and lk.b_device in nodes
    }
    assert back == source and any("/" in i for _, i, _, _ in back | {(b, bi, a, ai) for a, ai, b, bi in back})
