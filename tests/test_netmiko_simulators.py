"""govnet's Netmiko path (tasks/netmiko_send.py) against network OS simulators over SSH (issue #17
item 4): fakenos serving Cisco IOS and Huawei VRP CLIs on free loopback ports (tests/nos_sim.py),
real Netmiko sessions: configuration mode, lines sent, saved, and a rejected line failing its device
alone with the line named, the whole change undone the platform's way."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from govnet.inventory.loader import load_inventory
from govnet.inventory.network import Network
from govnet.tasks.netmiko_send import send_lines
from tests.nos_sim import DeviceState, twins

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


@pytest.fixture
def sims(mini_inventory: Path) -> Iterator[tuple[Network, dict[str, DeviceState]]]:
    """The mini inventory's Cisco CPE and Cisco, Huawei and MikroTik twins of it, each a simulator
    on 127.0.0.1 (a free port each)."""
    plan = {
        "sim-ios": "cisco_ios",
        "sim-vrp": "huawei_vrp",
        "sim-ios-2": "cisco_ios",
        "sim-ros": "mikrotik_routeros",
    }
    with twins(load_inventory(mini_inventory), "cpe-ubnd", plan) as (sim_net, states):
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
    if platform == "cisco_ios":  # the change ran under a revert timer, then was confirmed
        assert "configure terminal revert timer 2" in state.received and "configure confirm" in state.received
        assert state.checkpoint is None and state.revert_at is None
    else:  # two-stage: candidate, trial commit, commit
        assert state.received.index("system-view") < state.received.index("commit trial 120")
        assert "commit" in state.received and state.candidate is None and state.trial_at is None
    again = send_lines(net, name, LINES[platform], commit=True)
    assert again.status == "unchanged"


def test_a_rejected_line_fails_that_device_alone_with_the_line_named(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    net, states = sims
    states["sim-ios"].reject = re.compile(r"^ip route ")
    states["sim-vrp"].reject = re.compile(r"^ip route-static ")
    bad = send_lines(net, "sim-ios", LINES["cisco_ios"], commit=True)
    assert bad.status == "rolled_back" and bad.error is not None and "% Invalid input" in bad.error
    assert "refused the line 'ip route 198.19.0.0 255.255.255.240 Null0'" in bad.error
    assert "configure revert now" in states["sim-ios"].received
    assert states["sim-ios"].running == [] and states["sim-ios"].saved is None  # as before, unsaved
    vrp = send_lines(net, "sim-vrp", LINES["huawei_vrp"], commit=True)
    assert vrp.status == "rolled_back" and vrp.error is not None
    assert "ip route-static 198.19.0.0 255.255.255.240 NULL0" in vrp.error and states["sim-vrp"].saved is None
    assert states["sim-vrp"].running == [] and "abort" in states["sim-vrp"].received
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
    before = list(states["sim-ros"].running)
    other = '/interface ethernet set [ find default-name=ether3 ] comment="LAN 3"'
    refused = send_lines(net, "sim-ros", [*LINES["mikrotik_routeros"], other, extra], commit=True)
    assert refused.status == "rolled_back", refused.error
    assert refused.error is not None and "198.19.0.16/28" in refused.error
    assert states["sim-ros"].running == before  # the accepted line before it was undone (Ctrl-D)
    assert "\x04" in states["sim-ros"].received, repr(states["sim-ros"].received[5:])


def test_routeros_is_sent_no_ios_save_command(sims: tuple[Network, dict[str, DeviceState]]) -> None:
    """Netmiko's save on RouterOS would send IOS's 'copy running-config startup-config'; RouterOS
    keeps every change by itself, so the push sends no save there (found with this simulator)."""
    net, states = sims
    done = send_lines(net, "sim-ros", LINES["mikrotik_routeros"], commit=True)
    assert done.status == "changed", (done.error, states["sim-ros"].received)
    assert not [line for line in states["sim-ros"].received if line.startswith("copy ")]
