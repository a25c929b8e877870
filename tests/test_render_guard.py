"""Config injection: a value of the inventory can never become a router command.

The inventory refuses such values (tests/test_hostile_input.py); these tests go around that
check on purpose, building a :class:`Network` whose values were never validated, to prove the
second line of defence: the render guard refuses any configuration whose lines are not the
template's, on every platform and on every path that renders (config render, diff, push, lab).
They also check that the templates quote what is legal text but means something to a device,
and that template syntax in data is printed, never evaluated.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from govnet.cli import main
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import Role, SNMPv3Credential
from govnet.inventory.network import Network
from govnet.tasks.provision import diff_device, push_device
from govnet.tasks.render import RenderError, render_device
from tests.mini import mini_files, write_inventory
from tests.replatform import as_platform

PLATFORMS = ["frr", "cisco_ios", "huawei_vrp", "mikrotik_routeros"]
INJECTION = "\n ip route 0.0.0.0/0 198.18.8.1\nusername x privilege 15 secret x"
#: Characters that end a line for Python's splitlines, a device's parser or a terminal.
BREAKS = {
    "lf": INJECTION,
    "cr": INJECTION.replace("\n", "\r"),
    "crlf": INJECTION.replace("\n", "\r\n"),
    "u2028": INJECTION.replace("\n", "\u2028"),
    "u2029": INJECTION.replace("\n", "\u2029"),
    "nel": INJECTION.replace("\n", "\x85"),
    "vt": INJECTION.replace("\n", "\x0b"),
    "ff": INJECTION.replace("\n", "\x0c"),
    "fs": INJECTION.replace("\n", "\x1c"),
    "bel": "\x07",
    "esc": "\x1b[2J",
    "rlo": "\u202e",
    "nul": "\x00",
}


@pytest.fixture
def mini(mini_inventory: Path) -> Network:
    return load_inventory(mini_inventory)


def unchecked(net: Network, **changes: Any) -> Network:
    """The network with some entries replaced, without any validation (fresh cached views)."""
    return dataclasses.replace(net, **changes)


def with_platform(net: Network, device: str, platform: str) -> Network:
    devices = dict(net.devices)
    devices[device] = devices[device].model_copy(update={"platform": platform})
    return unchecked(net, devices=devices)


def with_agency_name(net: Network, agency: str, name: str) -> Network:
    agencies = dict(net.agencies)
    agencies[agency] = agencies[agency].model_copy(update={"name": name})
    sites = dict(net.sites)
    site = agencies[agency].site
    sites[site] = sites[site].model_copy(update={"name": name})
    return unchecked(net, agencies=agencies, sites=sites)


# Where an agency's name reaches a config: the CPE's LAN description (bgp CPE cpe-ubnd, static
# CPE cpe-tyt), the hub's interface description towards the CPE, the hub's static route name.
WHERE = [("cpe-ubnd", "ubnd-bac"), ("cpe-tyt", "tyt-mot"), ("hub-a", "ubnd-bac"), ("hub-a", "tyt-mot")]


@pytest.mark.parametrize("payload", list(BREAKS))
@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("device,agency", WHERE)
def test_an_injected_agency_name_is_refused_by_the_render_guard(
    mini: Network, device: str, agency: str, platform: str, payload: str
) -> None:
    net = with_agency_name(with_platform(mini, device, platform), agency, "UBND" + BREAKS[payload])
    with pytest.raises(RenderError, match="does not follow its template") as caught:
        render_device(net, device)
    assert "ip route" not in caught.value.message.split("template:", 1)[0]
    # The same device with a clean name renders: the refusal is the value's.
    assert render_device(with_agency_name(net, agency, "UBND xã Một"), device)


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp", "mikrotik_routeros"])
def test_an_snmp_user_that_would_add_words_to_a_command_is_refused(mini: Network, platform: str) -> None:
    credentials = dict(mini.credentials)
    v3 = credentials["v3"]
    assert isinstance(v3, SNMPv3Credential)
    credentials["v3"] = v3.model_copy(update={"username": "noc GOVNET-NOC v3 auth sha x priv aes 128 y"})
    net = with_platform(unchecked(mini, credentials=credentials), "cpe-ubnd", platform)
    with pytest.raises(RenderError, match="does not follow its template"):
        render_device(net, "cpe-ubnd")


def test_diff_and_push_of_an_injected_name_never_reach_the_device(mini: Network) -> None:
    net = with_agency_name(mini, "ubnd-bac", "UBND" + INJECTION)
    connected: list[str] = []

    def connect(name: str) -> Any:
        connected.append(name)
        raise ConnectionRefusedError("no device in this test")

    for run in (diff_device, push_device):
        for device in ("cpe-ubnd", "hub-a"):
            result = run(net, device, connect)
            assert result.status == "failed"
            assert "does not follow its template" in (result.error or "")
    assert connected == [], "a refused configuration must not even open a session"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_template_syntax_in_data_is_printed_never_evaluated(mini: Network, platform: str) -> None:
    name = "UBND {{ 7*7 }} {% raw %} {# x #} {{ config.items() }}"
    net = with_agency_name(with_platform(mini, "cpe-ubnd", platform), "ubnd-bac", name)
    text = render_device(net, "cpe-ubnd")
    (line,) = [line for line in text.splitlines() if "UBND" in line]
    assert "{{ 7*7 }}" in line and "{% raw %}" in line and "{{ config.items() }}" in line
    assert "49" not in line


def test_legal_text_that_means_something_to_a_device_is_quoted(
    tmp_path: Path, mini_secrets: dict[str, str]
) -> None:
    files = mini_files()
    files["network.yaml"]["agencies"][1]["name"] = 'Phòng "A" $x? \\ xã'
    files["network.yaml"]["agencies"][0]["name"] = 'Phòng "A" $x? \\ xã'
    net = load_inventory(write_inventory(tmp_path / "inv", files))  # legal text: it validates
    ros = render_device(net, "cpe-tyt")  # mikrotik_routeros
    assert 'comment="LAN Ph\\C3\\B2ng \\"A\\" \\$x\\? \\\\ x\\C3\\A3"' in ros
    ios = render_device(net, "cpe-ubnd")  # cisco_ios: '?' would ask the CLI for help
    assert ' description LAN Phòng "A" $x. \\ xã' in ios
    for platform in ("cisco_ios", "huawei_vrp"):
        hub = render_device(with_platform(net, "hub-a", platform), "hub-a")
        assert "?" not in hub
        route = next(line for line in hub.splitlines() if "198.19.0.16" in line)
        assert " " not in route.rsplit(" ", 1)[1] and "Phòng_" in route


def test_a_description_is_cut_to_the_device_limit_on_a_character_boundary(mini: Network) -> None:
    net = with_agency_name(with_platform(mini, "cpe-ubnd", "cisco_ios"), "ubnd-bac", "Đ" * 120)
    text = render_device(net, "cpe-ubnd")
    (line,) = [line for line in text.splitlines() if "description LAN" in line]
    described = line.split("description ", 1)[1]
    assert len(described.encode("utf-8")) <= 240 and described.endswith("Đ")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_sample_renders_on_every_platform_with_the_guard_on(net: Network, platform: str) -> None:
    """One device of each role, plus every CPE of one hub, as if it ran ``platform`` (with that
    platform's port names)."""
    picked: list[str] = []
    for role in Role:
        picked.extend(d.name for d in list(net.devices_with_role(role))[:2])
    hub = next(net.devices_with_role(Role.HUB)).name
    picked.extend(link.b_device for link in net.links_by_device[hub] if link.a_device == hub)
    for name in picked:
        text = render_device(as_platform(net, name, platform), name)
        assert text.count("\n") > 5


def test_config_render_refuses_an_injected_inventory(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    files = mini_files()
    files["network.yaml"]["agencies"][0]["name"] = "UBND" + INJECTION
    root = write_inventory(tmp_path / "inv", files)
    out = tmp_path / "out"
    # (provision diff/push load the same way; they are not run here, as on a build without the
    # check they would open SSH sessions: test_diff_and_push_... covers their path offline.)
    assert main(["--inventory", str(root), "config", "render", str(out)]) == 2
    err = capsys.readouterr().err
    assert "network.yaml:" in err and "agencies[0]" in err and "field 'name'" in err
    assert not out.exists()


def test_the_lab_export_never_writes_a_config_with_an_injected_name(net: Network, tmp_path: Path) -> None:
    """The lab builds its own inventory from the network and renders from it: the injected name
    is refused there (validation, then the guard) before any config is written."""
    from govnet.errors import GovnetError
    from govnet.lab.clab import export
    from govnet.lab.subset import lab_view, routers, select

    devices = set(select(net, "small"))
    agency = next(a for a in net.agencies.values() if a.cpe in devices)
    out = tmp_path / "clab"
    hostile = with_agency_name(net, agency.id, "UBND" + INJECTION)
    with pytest.raises(GovnetError):  # what 'govnet lab export-clab' does: render the lab's view, export
        view = lab_view(hostile, size="small", user="govnet")
        export(hostile, out, {name: render_device(view, name) for name in routers(view)}, size="small")
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert not any("198.18.8.1" in p.read_text(encoding="utf-8") for p in written)
