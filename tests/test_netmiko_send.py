"""The Netmiko path against a lab router's CLI (vtysh behind sshd, Netmiko's cisco_ios driver):
dry run reads and reports but can change nothing; --commit sends, saves and checks; a change the
router refuses half-way is taken back whole."""

from __future__ import annotations

import json

import pytest

from govnet.cli import main
from govnet.tasks.config_lines import config_tree, same_config
from govnet.tasks.netmiko_send import DryRunRefusedError, open_session, send_lines
from tests.labkit import LabHandle

pytestmark = pytest.mark.lab

ROUTE = "ip route 198.19.254.0/28 Null0"


def test_dry_run_reports_what_would_be_sent_and_refuses_every_change(lab: LabHandle) -> None:
    first = send_lines(lab.network, "hub-dx", [ROUTE], commit=False)
    assert (first.status, first.diff, first.error) == ("changed", f"+{ROUTE}\n", None)
    session = open_session(lab.network, "hub-dx", commit=False)
    try:
        with pytest.raises(DryRunRefusedError):
            session.send_config_set([ROUTE])
        with pytest.raises(DryRunRefusedError):
            session.save_config()
        with pytest.raises(DryRunRefusedError):
            session.send_command("configure terminal")
        assert ROUTE not in session.send_command("show running-config")
    finally:
        session.disconnect()
    again = send_lines(lab.network, "hub-dx", [ROUTE], commit=False)
    assert again.status == "changed", "the dry run changed the device"


def test_commit_sends_saves_and_checks_then_nothing_is_left_to_send(lab: LabHandle) -> None:
    try:
        done = send_lines(lab.network, "hub-dx", [ROUTE], commit=True)
        assert (done.status, done.error) == ("changed", None)
        assert send_lines(lab.network, "hub-dx", [ROUTE], commit=False).status == "unchanged"
        rejected = send_lines(lab.network, "hub-dx", ["ip route not-a-prefix Null0"], commit=True)
        assert rejected.status == "rolled_back" and rejected.error and "%" in rejected.error
    finally:
        undone = send_lines(lab.network, "hub-dx", [f"no {ROUTE}"], commit=True)
    assert undone.status == "changed", undone.error
    assert send_lines(lab.network, "hub-dx", [ROUTE], commit=False).status == "changed"


def test_the_cli_is_a_dry_run_unless_told_to_commit(
    lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--inventory", str(lab.inventory), "provision", "send", "--filter", "name=hub-dx,hub-dp"]
    assert main([*args, "--line", ROUTE, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["mode"] == "send" and report["dry_run"] is True
    assert {d["name"]: d["status"] for d in report["devices"]} == {"hub-dx": "changed", "hub-dp": "changed"}
    assert all(d["diff"] == f"+{ROUTE}\n" and d["error"] is None for d in report["devices"])
    assert send_lines(lab.network, "hub-dp", [ROUTE], commit=False).status == "changed"


def test_a_secret_in_a_sent_line_is_masked_in_the_report(
    lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line may carry a key (an OSPF password, a community): the report shows the mask."""
    secret = lab.community
    line = f"ip prefix-list {secret} seq 5 deny any"
    args = ["--inventory", str(lab.inventory), "provision", "send", "--filter", "name=hub-dx"]
    assert main([*args, "--line", line, "--json"]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    (device,) = json.loads(out)["devices"]
    assert device["diff"] == "+ip prefix-list ******** seq 5 deny any\n"


def _descriptions(lab: LabHandle, name: str) -> dict[str, str | None]:
    """eth1's and eth2's description lines in the running config (None: none)."""
    session = open_session(lab.network, name, commit=False)
    try:
        tree = config_tree("frr", session.send_command("show running-config"))
    finally:
        session.disconnect()
    out: dict[str, str | None] = {}
    for port in ("eth1", "eth2"):
        section = tree.get_child(equals=f"interface {port}")
        line = section.get_child(startswith="description ") if section is not None else None
        out[port] = line.text if line is not None else None
    return out


def test_a_line_counts_as_present_only_in_its_own_section(lab: LabHandle) -> None:
    """eth1 already has ``description x``: for eth2, both ``interface eth2`` and the description
    under it are sent (a flat check found both lines somewhere and sent nothing), and eth2 has it."""
    before = _descriptions(lab, "hub-dx")
    eth2 = ["interface eth2", " description x"]
    try:
        assert (
            send_lines(lab.network, "hub-dx", ["interface eth1", " description x"], commit=True).error is None
        )
        assert _descriptions(lab, "hub-dx")["eth1"] == "description x"
        planned = send_lines(lab.network, "hub-dx", eth2, commit=False)
        assert (planned.status, planned.diff) == ("changed", "+interface eth2\n+ description x\n"), planned
        done = send_lines(lab.network, "hub-dx", eth2, commit=True)
        assert (done.status, done.error, done.diff) == ("changed", None, planned.diff)
        assert _descriptions(lab, "hub-dx") == {"eth1": "description x", "eth2": "description x"}
        assert send_lines(lab.network, "hub-dx", eth2, commit=False).status == "unchanged"
    finally:
        for port, line in before.items():
            undo = [f"interface {port}", f" {line}" if line else " no description"]
            assert send_lines(lab.network, "hub-dx", undo, commit=True).error is None
    assert _descriptions(lab, "hub-dx") == before


def test_a_line_refused_half_way_takes_the_lines_before_it_back(lab: LabHandle) -> None:
    """vtysh applies each line as it comes: the route and the description before the refused line
    took, and are sent back the other way; the device is read back as it was."""
    session = open_session(lab.network, "hub-dp", commit=False)
    try:
        running_before = session.send_command("show running-config")
    finally:
        session.disconnect()
    lines = [ROUTE, "interface eth1", " description half-way", "ip route not-a-prefix Null0"]
    done = send_lines(lab.network, "hub-dp", lines, commit=True)
    assert done.status == "rolled_back", done.error
    assert done.error and "not-a-prefix" in done.error and "%" in done.error
    session = open_session(lab.network, "hub-dp", commit=False)
    try:
        running_after = session.send_command("show running-config")
    finally:
        session.disconnect()
    assert ROUTE not in running_after and "half-way" not in running_after
    assert same_config("frr", running_after, running_before)
    assert send_lines(lab.network, "hub-dp", [ROUTE], commit=False).status == "changed"
