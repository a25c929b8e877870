"""Remediation from hier-config for IOS and VRP (issue #17, item 3): what to send to go from the
running configuration to the intended one, and the dry-run plan over the Netmiko path.

The plan runs for real through Nornir, nornir_netmiko's ``netmiko_send_command`` and the guarded
session; only the SSH session underneath is a stand-in (no vendor device here) that answers
``display current-configuration`` and fails the test on any change.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from govnet.cli import main
from govnet.errors import GovnetError
from govnet.inventory.models import SNMPv3Credential
from govnet.inventory.network import Network
from govnet.tasks.config_lines import remediation
from govnet.tasks.netmiko_send import GuardedSession, plan_all, send_lines
from govnet.tasks.render import render_device

IOS_RUNNING = """hostname r1
interface GigabitEthernet0/1
 description old uplink
 ip address 198.18.1.1 255.255.255.252
!
ip route 198.19.0.0 255.255.255.0 198.18.1.2
end
"""


def test_ios_remediation_negates_what_goes_and_replaces_a_description_in_place() -> None:
    intended = IOS_RUNNING.replace("old uplink", "new uplink").replace(
        "ip route 198.19.0.0 255.255.255.0 198.18.1.2\n", "ntp server 198.18.0.2\n"
    )
    assert remediation("cisco_ios", IOS_RUNNING, intended) == [
        "no ip route 198.19.0.0 255.255.255.0 198.18.1.2",
        "interface GigabitEthernet0/1",
        " description new uplink",
        " exit",
        "ntp server 198.18.0.2",
    ]
    assert remediation("cisco_ios", IOS_RUNNING, IOS_RUNNING) == []


def test_vrp_remediation_uses_undo_and_quit() -> None:
    running = (
        "#\ninterface GE0/0/1\n description old\n undo shutdown\n#\n"
        "ip route-static 198.19.0.0 255.255.255.0 NULL0\n#\nreturn\n"
    )
    intended = "#\ninterface GE0/0/1\n description new\n undo shutdown\n#\nreturn\n"
    assert remediation("huawei_vrp", running, intended) == [
        "undo ip route-static 198.19.0.0 255.255.255.0 NULL0",
        "interface GE0/0/1",
        " undo description",
        " description new",
        " quit",
    ]


def test_other_platforms_have_no_remediation() -> None:
    with pytest.raises(GovnetError, match="no remediation for platform 'frr'"):
        remediation("frr", "", "")


class ReadOnlyCli:
    """A Netmiko connection's stand-in: answers the running configuration, refuses changes."""

    def __init__(self, running: str) -> None:
        self.running = running
        self.commands: list[str] = []

    def send_command(self, command_string: str, **kwargs: Any) -> str:
        self.commands.append(command_string)
        return self.running

    def send_config_set(self, config_commands: list[str], **kwargs: Any) -> str:
        raise AssertionError("a plan must not change the device")

    def save_config(self, **kwargs: Any) -> str:
        raise AssertionError("a plan must not save")

    def enable(self) -> None:
        pass

    def disconnect(self) -> None:
        pass


def _keys(net: Network, name: str) -> list[str]:
    cred = net.credentials[net.snmp_profiles[net.devices[name].snmp_profile].credential]
    assert isinstance(cred, SNMPv3Credential)
    return [net.secrets.get(cred.name, f).get_secret_value() for f in ("auth_key", "priv_key")]


def test_the_plan_reads_the_device_and_reports_masked_remediation(net: Network) -> None:
    name = "bts-rtr-bdg-03"  # huawei_vrp in the sample
    intended = render_device(net, name, secrets=True)
    auth, priv = _keys(net, name)
    drifted = (
        intended.replace("description hub-bdg eth30", "description old text")
        .replace(auth, "0ld-auth-key")
        .replace("return", "ip route-static 198.19.9.0 255.255.255.0 NULL0\n#\nreturn")
    )
    cli = ReadOnlyCli(drifted)
    opened: list[bool] = []

    def opener(network: Network, device: str, *, commit: bool) -> ReadOnlyCli:
        opened.append(commit)
        return cli

    (plan,) = plan_all(net, [name], opener=opener)
    assert opened == [False] and cli.commands == ["display current-configuration"]
    assert plan.status == "changed" and plan.error is None, plan
    lines = plan.diff.splitlines()
    assert "+undo ip route-static 198.19.9.0 255.255.255.0 NULL0" in lines
    assert "+ description hub-bdg eth30" in lines and "+ undo description" in lines
    # the key line goes out with the real key (in memory), the device's old key is undone: the
    # report shows the mask for both, the old key being one the inventory does not even know
    assert "+snmp-agent usm-user v3 govnet-noc authentication-mode sha ********" in lines
    assert "+undo snmp-agent usm-user v3 govnet-noc authentication-mode sha ********" in lines
    assert auth not in plan.diff and priv not in plan.diff and "0ld-auth-key" not in plan.diff
    (same,) = plan_all(net, [name], opener=lambda network, device, commit: ReadOnlyCli(intended))
    assert (same.status, same.diff) == ("unchanged", "")


def test_the_plan_session_refuses_changes(net: Network) -> None:
    session = GuardedSession(ReadOnlyCli(""), commit=False)
    with pytest.raises(GovnetError, match="dry run"):
        session.send_config_set(["sysname x"])


def test_the_cli_plan_refuses_platforms_without_remediation_before_contacting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """FRR has no hier-config remediation here: each device fails with the reason, and no
    session is opened (the sample's addresses are not a lab: nothing may be contacted)."""
    code = main(["provision", "plan", "--filter", "name=core-01,hub-dx", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["mode"] == "plan" and report["dry_run"] is True
    assert [d["status"] for d in report["devices"]] == ["failed", "failed"]
    assert all("nothing was contacted" in d["error"] for d in report["devices"])


def test_a_line_holding_the_mask_is_never_sent(net: Network) -> None:
    """``provision send`` with a masked line (copied from a report or a backup) would make the
    mask the device's key: refused before any session is opened, in dry run as with commit."""
    opened: list[bool] = []

    def opener(network: Network, device: str, *, commit: bool) -> ReadOnlyCli:
        opened.append(commit)
        return ReadOnlyCli("")

    for commit in (False, True):
        result = send_lines(
            net, "core-01", ["snmp-server community ******** RO"], commit=commit, connect=opener
        )
        assert result.status == "failed" and "holds the mask" in (result.error or ""), result
    assert opened == []
