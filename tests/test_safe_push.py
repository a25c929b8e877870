"""``provision push --commit`` on vendor platforms: hier-config's remediation sent the platform's own
safe way, against simulators over SSH (tests/nos_sim.py), through the same rollout the CLI runs.

* IOS: ``show archive`` checked, the change under ``configure terminal revert timer``, ``configure
  confirm`` only once the running configuration shows it, ``configure revert now`` otherwise;
* VRP: two-stage: the candidate, ``commit trial``, ``commit``; ``abort`` discards a refused change;
* RouterOS: ``/system backup save``, safe mode (Ctrl-X), released after verification; Ctrl-D
  undoes a refused change.

Each test reads the simulator's own state (running configuration, saved configuration, what it
was sent), not govnet's report alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from govnet.cli import main
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import SNMPv3Credential
from govnet.inventory.network import Network
from govnet.tasks.context import MASK
from govnet.tasks.render import render_device
from govnet.tasks.rollout import rollout
from govnet.tasks.vendor_push import plan_lines
from tests.mini import mini_files, write_inventory
from tests.nos_sim import DeviceState, free_port, simulators, twins

PLAN = {
    "r-ios": "cisco_ios",
    "r-ios-2": "cisco_ios",
    "r-vrp": "huawei_vrp",
    "r-ros": "mikrotik_routeros",
}
#: What each simulator runs before the push: something the intent removes or lacks.
BEFORE = {
    "cisco_ios": ["ip route 198.19.0.0 255.255.255.0 Null0"],
    "huawei_vrp": ["ip route-static 198.19.0.0 255.255.255.0 NULL0"],
    "mikrotik_routeros": ["/ip route add dst-address=198.19.0.0/24 blackhole"],
}
#: A line of each platform's intent the device refuses (the SNMPv3 key line: its error names it).
REFUSE = {
    "cisco_ios": r"^snmp-server user ",
    "huawei_vrp": r"^snmp-agent usm-user v3 \S+ authentication-mode",
    "mikrotik_routeros": r"^/snmp community add ",
}


@pytest.fixture
def sims(mini_inventory: Path) -> Iterator[tuple[Network, dict[str, DeviceState]]]:
    with twins(load_inventory(mini_inventory), "cpe-ubnd", PLAN) as (net, states):
        for state in states.values():
            state.running = list(BEFORE[state.platform])
            state.saved = list(state.running)
        yield net, states


def _keys(net: Network, name: str) -> list[str]:
    cred = net.credentials[net.snmp_profiles[net.devices[name].snmp_profile].credential]
    assert isinstance(cred, SNMPv3Credential)
    return [net.secrets.get(cred.name, f).get_secret_value() for f in ("auth_key", "priv_key")]


def _running_text(state: DeviceState) -> str:
    if state.platform == "mikrotik_routeros":
        return "\n".join(state.running) + "\n"
    head, end = ("hostname", "end") if state.platform == "cisco_ios" else ("sysname", "return")
    return "\n".join([f"{head} {state.hostname}", *state.running, end]) + "\n"


def _push(net: Network, names: list[str], mode: str = "push") -> dict[str, dict[str, object]]:
    results = rollout(net, names, mode=mode, revert_in=120, canary=0)  # type: ignore[arg-type]
    return {r.name: r.as_dict() for r in results}


@pytest.mark.parametrize("name", ["r-ios", "r-vrp", "r-ros"])
def test_a_good_change_is_changed_when_the_running_config_shows_it(
    sims: tuple[Network, dict[str, DeviceState]], name: str, caplog: pytest.LogCaptureFixture
) -> None:
    net, states = sims
    state = states[name]
    intended = render_device(net, name, secrets=True)
    report = _push(net, [name])[name]
    assert (report["status"], report["error"]) == ("changed", None), report
    # the device runs the intent: nothing left to send
    assert plan_lines(state.platform, _running_text(state), intended) == []
    assert BEFORE[state.platform][0] not in state.running or state.platform == "mikrotik_routeros"
    # the simulator saw the real keys; the report and the logs only the mask
    auth, priv = _keys(net, name)
    sent = "\n".join(state.received)
    assert auth in sent and priv in sent and MASK not in sent
    shown = json.dumps(report)
    assert MASK in shown and auth not in shown and priv not in shown
    assert auth not in caplog.text and priv not in caplog.text
    if state.platform == "cisco_ios":
        assert "show archive" in state.received and "configure confirm" in state.received
        assert state.checkpoint is None and state.saved == state.running
    elif state.platform == "huawei_vrp":
        assert [c for c in state.received if c.startswith("commit")] == ["commit trial 120", "commit"]
        assert state.trial_at is None and state.saved == state.running
    else:
        assert len(state.backups) == 1 and next(iter(state.backups.values())) == BEFORE[state.platform]
        assert state.safe_owner is None and state.received.count("\x18") == 2
    again = _push(net, [name])[name]
    assert again["status"] == "unchanged", again


def test_a_refused_line_fails_that_device_alone_exactly_as_before(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    """Each platform refuses its SNMPv3 key line half-way through the change: that device is
    rolled back to exactly its configuration from before, with the line named (masked), unsaved;
    the device that refuses nothing is changed."""
    net, states = sims
    for name, state in states.items():
        if name != "r-ios-2":
            state.reject = re.compile(REFUSE[state.platform])
    report = _push(net, list(PLAN))
    for name, state in states.items():
        if name == "r-ios-2":
            assert report[name]["status"] == "changed", report[name]
            continue
        error = str(report[name]["error"])
        assert report[name]["status"] == "rolled_back", report[name]
        assert "refused the line" in error and MASK in error, error
        assert "the running config is the one from before" in error
        assert state.running == BEFORE[state.platform], (name, state.running)
        assert state.saved == BEFORE[state.platform]
        for key in _keys(net, name):
            assert key not in json.dumps(report[name])
    assert "configure revert now" in states["r-ios"].received
    assert "abort" in states["r-vrp"].received and states["r-vrp"].commits == []
    assert "\x04" in states["r-ros"].received or states["r-ros"].safe_owner is None


def test_a_line_the_running_config_does_not_show_undoes_the_change(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    """IOS takes every line but one never shows: not confirmed, reverted at once."""
    net, states = sims
    state = states["r-ios"]
    state.drop = re.compile(r"^lldp run$")
    report = _push(net, ["r-ios"])["r-ios"]
    assert report["status"] == "rolled_back", report
    assert "does not show the change: lldp run" in str(report["error"])
    assert state.running == BEFORE["cisco_ios"] and state.checkpoint is None
    assert "configure confirm" not in state.received


def test_ios_without_an_archive_is_refused_before_anything_is_sent(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    net, states = sims
    state = states["r-ios"]
    state.archive = False
    report = _push(net, ["r-ios"])["r-ios"]
    assert report["status"] == "failed" and "archive is not set up" in str(report["error"])
    assert "nothing was sent" in str(report["error"])
    assert not [c for c in state.received if c.startswith("configure")]
    assert state.running == BEFORE["cisco_ios"]


def test_a_push_without_commit_reports_the_plan_and_changes_nothing(
    sims: tuple[Network, dict[str, DeviceState]],
) -> None:
    net, states = sims
    report = _push(net, ["r-ios", "r-vrp", "r-ros"], mode="diff")
    for name in ("r-ios", "r-vrp", "r-ros"):
        state = states[name]
        assert report[name]["status"] == "changed", report[name]
        assert MASK in str(report[name]["diff"])
        assert state.running == BEFORE[state.platform]
        changes = ("configure", "system-view", "commit", "\x18", "/system", "write", "save")
        assert not [c for c in state.received if c.startswith(changes)], state.received
    assert "+no ip route 198.19.0.0 255.255.255.0 Null0" in str(report["r-ios"]["diff"])
    assert "+undo ip route-static 198.19.0.0 255.255.255.0 NULL0" in str(report["r-vrp"]["diff"])


def _cli_inventory(tmp_path: Path, port: int) -> Path:
    """The mini inventory on disk, its Cisco CPE reached on 127.0.0.1:``port`` (a simulator)."""
    files = mini_files()
    province = files["province.yaml"]
    province["subnets"].append({"name": "sim", "prefix": "127.0.0.0/24", "purpose": "management"})
    province["credentials"].append(
        {
            "name": "ssh-sim",
            "kind": "ssh",
            "username": "netops",
            "password": {"secret": "mini-ssh"},
            "port": port,
        }
    )
    for section in files.values():
        for device in section.get("devices", []):
            if device["name"] == "cpe-ubnd":
                device.update({"mgmt_ip": "127.0.0.1", "ssh_credential": "ssh-sim"})
        for agency in section.get("agencies", []):
            # fakenos echoes byte by byte, and Netmiko's echo check then misses a multi-byte
            # character (the push fails and is rolled back): ASCII names here
            agency["name"] = agency["name"].encode("ascii", "ignore").decode()
    return write_inventory(tmp_path / "inv", files)


def test_the_cli_push_commit_filter_platform_cisco_ios(
    tmp_path: Path, mini_secrets: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``govnet provision push --commit --filter platform=cisco_ios`` against a simulated IOS device:
    changed and saved, the simulator saw the real keys, the report holds the mask; then a refused
    line: rolled back, exit 1, the line named, the device as before."""
    port = free_port()
    root = _cli_inventory(tmp_path, port)
    keys = [mini_secrets["GOVNET_SECRET_MINI_AUTH"], mini_secrets["GOVNET_SECRET_MINI_PRIV"]]
    spec = {"cpe-ubnd": ("cisco_ios", port, "netops", mini_secrets["GOVNET_SECRET_MINI_SSH"])}
    push = [
        "--inventory",
        str(root),
        "provision",
        "push",
        "--commit",
        "--filter",
        "platform=cisco_ios",
        "--json",
    ]
    with simulators(spec) as states:
        state = states["cpe-ubnd"]
        assert main(push) == 0
        out = capsys.readouterr().out
        report = json.loads(out)
        assert [(d["name"], d["status"]) for d in report["devices"]] == [("cpe-ubnd", "changed")], report
        assert all(k in "\n".join(state.received) for k in keys) and not any(k in out for k in keys)
        assert MASK in out and state.saved == state.running and "configure confirm" in state.received
        assert main(push) == 0 and json.loads(capsys.readouterr().out)["devices"][0]["status"] == "unchanged"
        state.running = list(BEFORE["cisco_ios"])
        state.reject = re.compile(REFUSE["cisco_ios"])
        assert main(push) == 1
        out = capsys.readouterr().out
        (device,) = json.loads(out)["devices"]
        assert device["status"] == "rolled_back" and "refused the line 'snmp-server user" in device["error"]
        assert state.running == BEFORE["cisco_ios"] and not any(k in out for k in keys)
