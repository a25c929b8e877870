"""Pushing with real secrets, never storing them (issue #17, item 3).

Rendered configurations hold ``********`` wherever a secret goes; a push renders the device's
configuration again with the real values, in memory, for the device's session only. That a vendor
device receives the real keys while every report and log line holds the mask is tested against the
SSH simulators (tests/test_safe_push.py: vendor pushes go over the CLI); here a NAPALM-like stand-in
checks backups and the refusals that happen before any device is contacted.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from govnet.inventory.models import SNMPv3Credential
from govnet.inventory.network import Network
from govnet.tasks.backup import backup
from govnet.tasks.context import MASK
from govnet.tasks.provision import diff_device, push_device
from govnet.tasks.render import render_device

#: The vendor platforms of the sample province.
VENDORS = ["huawei_vrp", "mikrotik_routeros"]


class VendorBox:
    """A NAPALM-like vendor device: replace candidates, a unified diff, commit-confirm."""

    def __init__(self, running: str) -> None:
        self.running = running
        self.candidate: str | None = None
        self.pending = False
        self.received: list[str] = []

    def close(self) -> None:
        pass

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": True}

    def load_replace_candidate(self, filename: str | None = None, config: str | None = None) -> None:
        self.candidate = config or ""
        self.received.append(self.candidate)

    def compare_config(self) -> str:
        if self.candidate is None:
            return ""
        lines = difflib.unified_diff(self.running.splitlines(), self.candidate.splitlines(), lineterm="", n=0)
        return "\n".join(line for line in lines if not line.startswith(("---", "+++", "@@")))

    def discard_config(self) -> None:
        self.candidate = None

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        assert self.candidate is not None
        self.running, self.candidate, self.pending = self.candidate, None, bool(revert_in)

    def has_pending_commit(self) -> bool:
        return self.pending

    def confirm_commit(self) -> None:
        self.pending = False

    def rollback(self) -> None:
        raise AssertionError("nothing here should roll back")

    def get_config(self, retrieve: str = "all", **kw: Any) -> dict[str, str]:
        return {"running": self.running, "startup": "", "candidate": ""}

    def get_interfaces(self) -> dict[str, Any]:
        return {}

    def get_bgp_neighbors(self) -> dict[str, Any]:
        return {"global": {"router_id": "", "peers": {}}}


def _device(net: Network, platform: str) -> str:
    return next(n for n in sorted(net.devices) if net.devices[n].platform == platform)


def _snmp_secrets(net: Network, name: str) -> list[str]:
    profile = net.snmp_profiles[net.devices[name].snmp_profile]
    cred = net.credentials[profile.credential]
    fields = ["auth_key", "priv_key"] if isinstance(cred, SNMPv3Credential) else ["community"]
    return [net.secrets.get(cred.name, f).get_secret_value() for f in fields]


def test_a_backup_of_a_device_holding_its_secrets_stores_only_the_mask(net: Network, tmp_path: Path) -> None:
    name = _device(net, "mikrotik_routeros")
    box = VendorBox(running=render_device(net, name, secrets=True))
    done = backup(net, [name], lambda n: box, repo=tmp_path / "backups")
    assert done.saved == [name]
    stored = (tmp_path / "backups" / f"{name}.conf").read_text(encoding="utf-8")
    assert MASK in stored and not any(s in stored for s in _snmp_secrets(net, name))


def test_a_configuration_holding_the_mask_is_never_loaded(net: Network) -> None:
    """A masked text (a rendered file, a backup) pushed as it is would make the mask the key:
    refused before the device is contacted, in a diff as in a push."""
    name = _device(net, "huawei_vrp")
    contacted: list[str] = []

    def connect(device: str) -> VendorBox:
        contacted.append(device)
        raise AssertionError("contacted")

    masked = render_device(net, name)
    result = push_device(net, name, connect, config=masked)
    assert result.status == "failed" and "masked secrets" in (result.error or "") and contacted == []


def test_a_backup_masks_keys_the_inventory_does_not_know(net: Network, tmp_path: Path) -> None:
    """A device may hold keys govnet never set (an old user, another community): the vendor's own
    key positions are masked whatever the value (VRP, IOS and RouterOS syntax)."""
    name = _device(net, "huawei_vrp")
    running = (
        "snmp-agent usm-user v3 old authentication-mode sha 0ld-auth\n"
        "snmp-agent usm-user v3 old privacy-mode aes128 cipher 0ld-priv\n"
        "snmp-agent community read 0ld-community acl 2000\n"
        "snmp-server user old G v3 auth sha 0ld-ios-auth priv aes 128 0ld-ios-priv\n"
        "snmp-server host 198.18.0.1 version 2c 0ld-trap udp-port 162\n"
        "/snmp community add name=old authentication-password=0ld-ros-auth encryption-password=0ld-ros\n"
    )
    done = backup(net, [name], lambda n: VendorBox(running=running), repo=tmp_path / "backups")
    assert done.saved == [name]
    stored = (tmp_path / "backups" / f"{name}.conf").read_text(encoding="utf-8")
    assert "0ld" not in stored, stored
    assert stored.count(MASK) == 9


def test_a_diff_runs_under_nornirs_dry_run_and_never_commits(net: Network) -> None:
    """``diff_device`` is the push task under Nornir's ``dry_run``: napalm_configure discards
    (FRR, NAPALM's path; the vendor platforms' dry run is their remediation plan, over the CLI:
    tests/test_safe_push.py)."""
    name = _device(net, "frr")
    box = VendorBox(running="hostname somewhere-else\n")
    commits: list[str] = []
    box.commit_config = lambda message="", revert_in=None: commits.append("commit")  # type: ignore[method-assign]
    result = diff_device(net, name, lambda n: box)
    assert result.status == "changed" and "+hostname " in result.diff, result
    assert commits == [] and box.running == "hostname somewhere-else\n" and box.candidate is None
