"""govnet's Netmiko path (tasks/netmiko_send.py) against network OS simulators over SSH (issue #17
item 4): fakenos serving Cisco IOS and Huawei VRP CLIs on free loopback ports (tests/nos_sim.py),
real Netmiko sessions: configuration mode, lines sent, saved, and a rejected line failing its device
alone with the line named."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from govnet.inventory.loader import load_inventory
from govnet.inventory.models import SSHCredential
from govnet.inventory.network import Network, ResolvedSecrets
from govnet.tasks.netmiko_send import send_lines
from tests.nos_sim import DeviceState, free_port, simulators

LINES = {
    "cisco_ios": [
        "interface GigabitEthernet0/0/2",
        " description LAN",
        "ip route 198.19.0.0 255.255.255.240 Null0",
    ],
    "huawei_vrp": [
        "interface GE0/0/2",
        " description LAN",
        "ip route-static 198.19.0.0 255.255.255.240 NULL0",
    ],
    "mikrotik_routeros": [
        '/interface ethernet set [ find default-name=ether2 ] comment="LAN"',
        "/ip route add dst-address=198.19.0.0/28 gateway=198.18.2.8",
    ],
}
#: Netmiko logs in to RouterOS as user+ct511w4098h (terminal options in the user name)
ROUTEROS_LOGIN_SUFFIX = "+ct511w4098h"


@pytest.fixture
def sims(mini_inventory: Path) -> Iterator[tuple[Network, dict[str, DeviceState]]]:
    """The mini inventory's Cisco CPE and Cisco, Huawei and MikroTik twins of it, each a simulator
    on 127.0.0.1 (a free port each)."""
    net = load_inventory(mini_inventory)
    base = net.ssh_credential("cpe-ubnd")
    password = net.secrets.get(base.name, "password").get_secret_value()
    devices = dict(net.devices)
    credentials = dict(net.credentials)
    plan = {
        "sim-ios": "cisco_ios",
        "sim-vrp": "huawei_vrp",
        "sim-ios-2": "cisco_ios",
        "sim-ros": "mikrotik_routeros",
    }
    ports = {}
    for name, platform in plan.items():
        ports[name] = free_port()
        credentials[f"ssh-{name}"] = SSHCredential(
            name=f"ssh-{name}", kind="ssh", username=base.username, password=base.password, port=ports[name]
        )
        devices[name] = net.devices["cpe-ubnd"].model_copy(
            update={
                "name": name,
                "platform": platform,
                "mgmt_ip": IPv4Address("127.0.0.1"),
                "ssh_credential": f"ssh-{name}",
            }
        )
    secrets = dict(net.secrets.values)
    for name in plan:
        secrets[(f"ssh-{name}", "password")] = net.secrets.get(base.name, "password")
    sim_net = dataclasses.replace(
        net, devices=devices, credentials=credentials, secrets=ResolvedSecrets(secrets)
    )
    login = {
        n: base.username + (ROUTEROS_LOGIN_SUFFIX if p == "mikrotik_routeros" else "")
        for n, p in plan.items()
    }
    spec = {name: (plan[name], ports[name], login[name], password) for name in plan}
    with simulators(spec) as states:
        yield sim_net, states


@pytest.mark.parametrize("name", ["sim-ios", "sim-vrp"])
def test_lines_are_sent_in_config_mode_and_saved(
    sims: tuple[Network, dict[str, DeviceState]], name: str
) -> None:
    net, states = sims
    platform = net.devices[name].platform
    dry = send_lines(net, name, LINES[platform], commit=False)
    assert dry.status == "changed" and states[name].running == []  # dry run: nothing sent
    result = send_lines(net, name, LINES[platform], commit=True)
    assert result.status == "changed", result.error
    state = states[name]
    assert LINES[platform] == state.running  # as sent, nested lines indented
    assert state.saved == state.running
    enter = "configure terminal" if platform == "cisco_ios" else "system-view"
    assert enter in state.received
    again = send_lines(net, name, LINES[platform], commit=True)
    assert again.status == "unchanged"


def test_a_rejected_line_fails_that_device_alone_with_the_line_named(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    net, states = sims
    states["sim-ios"].reject = re.compile(r"^ip route ")
    states["sim-vrp"].reject = re.compile(r"^ip route-static ")
    bad = send_lines(net, "sim-ios", LINES["cisco_ios"], commit=True)
    assert bad.status == "failed" and bad.error is not None and "% Invalid input" in bad.error
    assert states["sim-ios"].saved is None  # not saved after an error
    vrp = send_lines(net, "sim-vrp", LINES["huawei_vrp"], commit=True)
    assert vrp.status == "failed" and vrp.error is not None
    assert "ip route-static 198.19.0.0 255.255.255.240 NULL0" in vrp.error and states["sim-vrp"].saved is None
    other = send_lines(net, "sim-ios-2", LINES["cisco_ios"], commit=True)
    assert other.status == "changed" and states["sim-ios-2"].saved == states["sim-ios-2"].running


def test_routeros_lines_are_sent_at_its_prompt_and_read_back(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    """RouterOS has no configuration mode and keeps every change: lines go to the one prompt."""
    net, states = sims
    result = send_lines(net, "sim-ros", LINES["mikrotik_routeros"], commit=True)
    assert result.status == "changed", result.error
    assert states["sim-ros"].running == LINES["mikrotik_routeros"]
    assert send_lines(net, "sim-ros", LINES["mikrotik_routeros"], commit=True).status == "unchanged"
    states["sim-ros"].reject = re.compile(r"^/ip route ")
    extra = "/ip route add dst-address=198.19.0.16/28 gateway=198.18.2.8"
    refused = send_lines(net, "sim-ros", [*LINES["mikrotik_routeros"], extra], commit=True)
    assert refused.status == "failed" and refused.error is not None and "198.19.0.16/28" in refused.error


def test_routeros_is_sent_no_ios_save_command(sims: tuple[Network, dict[str, DeviceState]]) -> None:
    """Netmiko's save on RouterOS would send IOS's 'copy running-config startup-config'; RouterOS
    keeps every change by itself, so the push sends no save there (found with this simulator)."""
    net, states = sims
    assert send_lines(net, "sim-ros", LINES["mikrotik_routeros"], commit=True).status == "changed"
    assert not [line for line in states["sim-ros"].received if line.startswith("copy ")]
