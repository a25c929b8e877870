"""The Nornir plugin: every device a host, groups that filter, and no secret in any output."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F

from govnet.cli import main
from govnet.inventory import sample_dir
from govnet.inventory.loader import load_inventory


def nornir_for(path: Path) -> Nornir:
    return InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 4}},
        inventory={"plugin": "GovnetInventory", "options": {"path": str(path)}},
        logging={"enabled": False},
    )


def test_initnornir_lists_every_device_of_the_sample() -> None:
    nr = nornir_for(sample_dir())
    network = load_inventory(sample_dir())
    assert set(nr.inventory.hosts) == set(network.devices)


def test_groups_filter_by_role_district_platform_and_site(mini_inventory: Path) -> None:
    nr = nornir_for(mini_inventory)
    hosts = nr.inventory.hosts
    assert set(nr.filter(F(groups__contains="role:cpe")).inventory.hosts) == {"cpe-ubnd", "cpe-tyt"}
    assert set(nr.filter(F(groups__contains="district:bac")).inventory.hosts) == {
        "hub-a",
        "cpe-ubnd",
        "cpe-tyt",
    }
    assert set(nr.filter(F(groups__contains="platform:frr")).inventory.hosts) == {"core-a", "hub-a"}
    assert set(nr.filter(F(groups__contains="site:dc")).inventory.hosts) == {"core-a"}
    assert hosts["core-a"].hostname == "198.18.0.10"
    assert hosts["hub-a"]["role"] == "hub"  # data reachable through the host


def test_connection_options_are_translated_at_the_driver_edge(mini_inventory: Path) -> None:
    hosts = nornir_for(mini_inventory).inventory.hosts
    frr, ios, mikrotik = hosts["core-a"], hosts["cpe-ubnd"], hosts["cpe-tyt"]
    assert frr.platform == "frr"
    assert frr.get_connection_parameters("netmiko").platform == "cisco_ios"
    assert frr.get_connection_parameters("napalm").platform == "frr"
    assert ios.get_connection_parameters("napalm").platform == "ios"
    assert mikrotik.get_connection_parameters("netmiko").platform == "mikrotik_routeros"
    assert frr.username == "netops"
    assert frr.get_connection_parameters("netmiko").password == "mini-ssh-Xq81!pass"


def test_no_secret_in_repr_logs_or_exports(
    mini_inventory: Path,
    mini_secrets: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    log_file = tmp_path / "govnet.log"  # the commands' own log, at DEBUG (govnet.logs)
    monkeypatch.setenv("GOVNET_LOG_LEVEL", "debug")
    monkeypatch.setenv("GOVNET_LOG_FILE", str(log_file))
    network = load_inventory(mini_inventory)
    nr = nornir_for(mini_inventory)
    outputs = [repr(network), str(network), repr(network.secrets), repr(network.credentials)]
    outputs += [repr(h) for h in nr.inventory.hosts.values()]
    outdir = tmp_path / "export"
    for argv in (
        ["inventory", "validate"],
        ["inventory", "validate", "--json"],
        ["inventory", "stats", "--json"],
        ["inventory", "show", "--json"],
        ["inventory", "show"],
        ["inventory", "export-nornir", str(outdir)],
    ):
        assert main(["--inventory", str(mini_inventory), *argv]) == 0
        captured = capsys.readouterr()
        outputs += [captured.out, captured.err]
    outputs += [p.read_text(encoding="utf-8") for p in outdir.iterdir()]
    outputs.append(caplog.text)
    outputs.append(log_file.read_text(encoding="utf-8"))
    blob = "\n".join(outputs)
    assert "hosts.yaml" in {p.name for p in outdir.iterdir()}
    for value in mini_secrets.values():
        assert value not in blob
    assert "SecretStr('**********')" in repr(network.secrets.values)
    assert all(v not in repr(network.secrets.values) for v in mini_secrets.values())


def test_exported_simple_inventory_loads_in_nornir(mini_inventory: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "simple"
    assert main(["--inventory", str(mini_inventory), "inventory", "export-nornir", str(outdir)]) == 0
    nr = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(outdir / "hosts.yaml"),
                "group_file": str(outdir / "groups.yaml"),
                "defaults_file": str(outdir / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    assert set(nr.inventory.hosts) == {"core-a", "hub-a", "cpe-ubnd", "cpe-tyt"}
    assert nr.inventory.hosts["hub-a"].password is None
    assert set(nr.filter(F(groups__contains="role:core")).inventory.hosts) == {"core-a"}
