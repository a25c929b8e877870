"""The logs of real work on the lab, captured at DEBUG: a push and a monitor run.

The secret search of the reports and answers (tests/test_provision.py, tests/test_api.py,
tests/test_inventory_nornir.py) extended to the log: every secret value of the lab's inventory
is searched for in every line, with NAPALM's, Netmiko's and paramiko's own DEBUG output in it too
(the FRR driver sends configs over an exec channel paramiko does not log; Netmiko, for other
platforms, logs every byte it writes: the handler's mask is tested on that in tests/test_logs.py).
And each line is one JSON object naming what it is about.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govnet import logs
from govnet.lab.faults import fail, restore
from govnet.lab.teardown import down
from govnet.tasks.rollout import connect_device, rollout
from tests.labkit import SCRATCH_PREFIX, LabHandle
from tests.procs import start_monitor, stop_monitor

pytestmark = pytest.mark.lab

LIBRARIES = ("napalm", "napalm_frr", "netmiko", "paramiko", "nornir", "nornir_napalm", "nornir_netmiko")


def records(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSON log, parsed (a line that is not one JSON object fails the test)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the log ends with a newline"
    out = [json.loads(line) for line in lines[:-1]]
    assert all(isinstance(r, dict) and {"time", "level", "logger", "message"} <= set(r) for r in out)
    return out


def leaked(path: Path, secrets: set[str]) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return sorted(s for s in secrets if s in text)


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """govnet's handler at DEBUG, JSON, to a file; the libraries' loggers at DEBUG too."""
    path = tmp_path / "push.log"
    logs.configure(logs.LogSettings("debug", "json", path))
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        logs.reset()


def test_a_push_logs_each_step_with_its_device_and_no_secret(bare_lab: LabHandle, debug_log: Path) -> None:
    """A push whose config carries the lab's community in clear (a description), and the push
    that takes it off: the log at DEBUG, libraries included, never shows a secret."""
    network = bare_lab.network
    name = "cpe-dp-cong-an"
    secret = bare_lab.community
    driver = connect_device(network, name)
    try:
        running = str(driver.get_config()["running"])
    finally:
        driver.close()
    leaky = running.replace("\nend", f"\ninterface lo\n description snmp {secret}\nexit\nend")
    try:
        (on,) = rollout(network, [name], mode="push", configs={name: leaky})
        assert on.status == "changed", on
    finally:
        (off,) = rollout(network, [name], mode="push", configs={name: running})
    assert off.status == "changed", off
    found = records(debug_log)
    mine = [r for r in found if r["logger"] == "govnet.tasks" and r.get("device") == name]
    changes = [r.get("step", r["message"]) for r in mine if r["level"] != "DEBUG"]
    once = ["push started", "commit with a confirm timer", "confirm", "push result"]
    assert changes == once * 2, changes
    assert any(r.get("step") == "diff" and r["level"] == "DEBUG" for r in mine)
    results = [r for r in found if r["message"] == "push result"]
    assert [(r["device"], r["status"], r["level"]) for r in results] == [(name, "changed", "INFO")] * 2
    device = network.devices[name]
    assert all(r["address"] == str(device.mgmt_ip) and r["district"] for r in results)
    assert any(r["logger"].startswith(("netmiko", "paramiko", "napalm")) for r in found), "libraries at DEBUG"
    assert leaked(debug_log, network.secrets.plain_values()) == []


def test_a_monitor_run_logs_polls_changes_and_incidents_with_context_and_no_secret(
    lab: LabHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="govnet-logs-"))
    log_file = tmp / "monitor.log"
    monkeypatch.setenv("GOVNET_LOG_LEVEL", "debug")
    monkeypatch.setenv("GOVNET_LOG_FORMAT", "json")
    monkeypatch.setenv("GOVNET_LOG_FILE", str(log_file))
    running = start_monitor(lab, f"sqlite:///{tmp / 'monitor.db'}", "--interval", "2")
    cpe, link_id = next(
        (name, links[0].id)
        for name, dev in sorted(lab.network.devices.items())
        if dev.role.value == "cpe"
        and len(links := lab.network.links_by_device.get(name, [])) == 1
        and lab.network.agencies_by_cpe.get(name)
    )
    try:
        answered: set[str] = set()

        def first_poll(event: dict[str, Any]) -> bool:
            if event.get("kind") == "device" and event.get("new") == "up":
                answered.add(event["name"])
            return answered == set(lab.network.devices)

        running.wait_for(first_poll, 60, "every lab device answering")
        fail(lab.prefix, "link", link_id)
        try:
            opened = running.wait_for(lambda e: e.get("event") == "incident_opened", 30, "an incident")
        finally:
            restore(lab.prefix, "link", link_id)
        running.wait_for(
            lambda e: e.get("event") == "incident_closed" and e.get("id") == opened["id"], 40, "the close"
        )
        end = time.monotonic() + 20  # the log file is written as events happen: wait for the close
        while time.monotonic() < end and '"incident closed"' not in log_file.read_text(encoding="utf-8"):
            time.sleep(0.2)
    finally:
        stop_monitor(running)
    try:
        found = records(log_file)
        polls = [r for r in found if r["message"] == "poll done"]
        assert {r["device"] for r in polls if r["reachable"]} == set(lab.network.devices)
        for r in polls:
            assert r["level"] == "DEBUG"
            assert r["address"] == str(lab.network.devices[r["device"]].mgmt_ip)
            assert r["district"] == lab.network.district_of(r["device"])
        changes = [r for r in found if r["message"] == "link state changed" and r["link"] == link_id]
        assert [r["new"] for r in changes][:1] == ["down"] and "up" in [r["new"] for r in changes]
        assert {changes[0]["a_device"], changes[0]["b_device"]} >= {cpe}
        (inc_open,) = [
            r for r in found if r["message"] == "incident opened" and r["incident"] == opened["id"]
        ]
        assert (inc_open["level"], inc_open["kind"], inc_open["root_cause"]) == ("WARNING", "link", link_id)
        assert any(r["message"] == "incident closed" and r["incident"] == opened["id"] for r in found)
        assert [r["message"] for r in found if r["logger"] == "govnet.monitor.runner"] == [
            "monitor started",
            "monitor stopped",
        ]
        assert leaked(log_file, lab.network.secrets.plain_values()) == []
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_lab_down_is_logged_with_its_prefix(caplog: pytest.LogCaptureFixture) -> None:
    """Tearing down (here the lane's scratch prefix, with nothing up) says so, naming the lab."""
    caplog.set_level(logging.INFO, logger="govnet.lab.teardown")
    assert down(SCRATCH_PREFIX) == {}
    (record,) = [r for r in caplog.records if r.name == "govnet.lab.teardown"]
    assert record.getMessage() == "lab down" and record.levelname == "INFO"
    assert logs.context(record) == {"prefix": SCRATCH_PREFIX}


def test_netmiko_writing_a_secret_to_the_channel_is_masked_in_the_log(
    lab: LabHandle, debug_log: Path
) -> None:
    """The Netmiko path with --commit: Netmiko logs every byte it writes and reads at DEBUG, here a
    line holding the lab's community. The handler's mask is what keeps it out of the log."""
    from govnet.tasks.netmiko_send import send_lines

    secret = lab.community
    line = f"ip prefix-list {secret} seq 5 deny any"
    try:
        done = send_lines(lab.network, "hub-dx", [line], commit=True)
        assert done.status == "changed", done
    finally:
        undone = send_lines(lab.network, "hub-dx", [f"no {line}"], commit=True)
    assert undone.status == "changed", undone
    found = records(debug_log)
    written = [r for r in found if r["logger"].startswith("netmiko") and "ip prefix-list" in r["message"]]
    assert written and any(logs.MASK in r["message"] for r in written), "Netmiko logged the line, masked"
    results = [(r["message"], r["status"]) for r in found if r["message"] == "send result"]
    assert results == [("send result", "changed")] * 2
    assert leaked(debug_log, lab.network.secrets.plain_values()) == []
