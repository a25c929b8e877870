"""All-or-nothing commits on the lab (issue #11, findings 2, 3 and 4).

frr-reload.py applies a change line by line and goes on past a line a daemon refuses: without
care, the lines before it stay live. Here the device refuses a change half-way and must end up
exactly on its previous running config; the confirm timer's revert must keep the commit
"pending" until the previous config really runs again; and a rollout must not push past a hub
whose push failed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from govnet.cli import main
from govnet.lab.state import runtime_dir
from napalm_frr.driver import FrrDriver
from tests.labkit import LabHandle

pytestmark = pytest.mark.lab


def _driver(lab: LabHandle, name: str) -> FrrDriver:
    cred = lab.network.ssh_credential(name)
    driver = FrrDriver(lab.mgmt[name], cred.username, lab.secret("lab-ssh", "password"))
    driver.open()
    return driver


def _running(lab: LabHandle, name: str) -> str:
    driver = _driver(lab, name)
    try:
        return driver.get_config()["running"]
    finally:
        driver.close()


@pytest.fixture
def intended(bare_lab: LabHandle, capsys: pytest.CaptureFixture[str]) -> Iterator[LabHandle]:
    """The bare lab on its intended configuration (vty ACL, OSPF), before and after the test."""
    inv = ["--inventory", str(bare_lab.inventory)]
    main([*inv, "provision", "push", "--commit", "--json"])
    capsys.readouterr()
    yield bare_lab
    main([*inv, "provision", "push", "--commit", "--json"])
    capsys.readouterr()


def half_failing(running: str, subnet: str, router_id: str) -> str:
    """A change the device takes half-way: frr-reload removes the vty ACL's permit line and adds
    a blackhole default route, then ospfd refuses an OSPF 'network' statement (the interfaces
    have 'ip ospf area' already): every line parses, the last one fails when applied."""
    permit = f"access-list GOVNET-MGMT seq 5 permit {subnet}\n"
    rid = f" ospf router-id {router_id}\n"
    assert permit in running and rid in running, running
    changed = running.replace(permit, "")
    changed = changed.replace(rid, rid + f" network {router_id}/32 area 0\n")
    return changed.replace("\nend", "\nip route 0.0.0.0/0 Null0\nend")


def _router_id(running: str) -> str:
    line = next(x for x in running.splitlines() if x.startswith(" ospf router-id "))
    return line.split()[-1]


def _default_routes(lab: LabHandle, name: str) -> str:
    out = subprocess.run(
        ["ip", "-n", lab.namespaces[name], "route", "show", "default"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_a_push_the_device_rejects_half_way_leaves_the_previous_config(intended: LabHandle) -> None:
    from govnet.tasks.provision import push_device

    lab, name = intended, "core-01"
    before = _running(lab, name)
    bad = half_failing(before, lab.subnet, _router_id(before))
    result = push_device(lab.network, name, lambda n: _driver(lab, n), config=bad, revert_in=60)
    assert result.status == "rolled_back", result
    assert "ospfd refused 'network" in (result.error or ""), result.error
    assert "line by line" in (result.error or "")
    assert "+ip route 0.0.0.0/0 Null0" in result.diff
    after = _running(lab, name)
    assert after == before, "the device kept part of the rejected change"
    assert _default_routes(lab, name) == "", "the blackhole default route is live"
    check = _driver(lab, name)
    try:
        assert not check.has_pending_commit()
    finally:
        check.close()


def test_the_agent_alone_never_stays_half_applied(intended: LabHandle) -> None:
    """Below govnet: the device's own commit puts the previous config back when a line fails,
    with or without a confirm timer, and says so (and leaves no timer armed)."""
    from napalm.base.exceptions import CommitError

    lab, name = intended, "hub-dx"
    before = _running(lab, name)
    bad = half_failing(before, lab.subnet, _router_id(before))
    driver = _driver(lab, name)
    try:
        for revert_in in (None, 30):
            driver.load_replace_candidate(config=bad)
            with pytest.raises(CommitError, match=r"failed \(3\).*rolled back") as err:
                driver.commit_config(revert_in=revert_in)
            assert "ospfd refused" in str(err.value)
            assert driver.get_config()["running"] == before
            assert not driver.has_pending_commit()
    finally:
        driver.close()


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append((int(proc.name), cmdline))
    return found


def test_pending_stays_true_until_the_checkpoint_really_runs_again(intended: LabHandle) -> None:
    """The confirm timer's revert is caught in the act: its frr-reload is stopped (SIGSTOP) as
    soon as it starts, so the window between 'timer fired' and 'checkpoint back' stays open for
    as long as the test looks. In that window 'pending' must still say yes."""
    lab, name = intended, "hub-dp"
    before = _running(lab, name)
    changed = before.replace("\nend", "\nip route 198.19.253.0/28 Null0\nend")
    cfg = runtime_dir(lab.prefix) / "nodes" / lab.namespaces[name] / "cfg"
    driver = _driver(lab, name)
    stopped: int | None = None
    try:
        driver.load_replace_candidate(config=changed)
        driver.commit_config(revert_in=2)
        assert driver.has_pending_commit()
        timer = int((cfg / "pending").read_text().strip())
        deadline = time.monotonic() + 60
        while stopped is None and time.monotonic() < deadline:
            for pid, cmdline in _children(timer):
                if "frr-reload" in cmdline:
                    os.kill(pid, signal.SIGSTOP)
                    stopped = pid
                    break
            else:
                time.sleep(0.002)
        assert stopped is not None, "the confirm timer never started its revert"
        running = driver.get_config()["running"]
        pending = driver.has_pending_commit()
        assert running != before, "the revert was caught after it had applied (test did not bite)"
        assert pending, "'pending' says no while the unconfirmed config still runs"
    finally:
        if stopped is not None:
            os.kill(stopped, signal.SIGCONT)
    try:
        deadline = time.monotonic() + 60
        while driver.has_pending_commit() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not driver.has_pending_commit()
        assert driver.get_config()["running"] == before
    finally:
        driver.close()


def test_a_rollout_does_not_push_behind_a_hub_that_was_rolled_back(
    intended: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """hub-dp refuses its change half-way and is rolled back: the CPE behind it is skipped,
    naming hub-dp, although --max-failures would allow more failures; the rest is pushed."""
    from govnet.tasks.rollout import rollout

    lab = intended
    names = ["core-01", "hub-dp", "cpe-dp-cong-an"]
    running = {n: _running(lab, n) for n in names}
    extra = "ip route 198.19.253.0/28 Null0"
    configs = {n: text.replace("\nend", f"\n{extra}\nend") for n, text in running.items()}
    configs["hub-dp"] = half_failing(running["hub-dp"], lab.subnet, _router_id(running["hub-dp"]))
    results = {r.name: r for r in rollout(lab.network, names, mode="push", configs=configs, max_failures=5)}
    assert results["core-01"].status == "changed"
    assert results["hub-dp"].status == "rolled_back", results["hub-dp"]
    cpe = results["cpe-dp-cong-an"]
    assert cpe.status == "skipped" and "hub-dp (rolled_back)" in (cpe.error or ""), cpe
    assert _running(lab, "cpe-dp-cong-an") == running["cpe-dp-cong-an"]
    assert _running(lab, "hub-dp") == running["hub-dp"]
    doc = json.dumps([r.as_dict() for r in results.values()])
    assert not any(v in doc for v in lab.network.secrets.plain_values())


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        found.append((int(proc.name), ppid, cmdline))
    return found


def test_an_apply_killed_half_way_is_reverted_by_its_confirm_timer(intended: LabHandle) -> None:
    """The device's agent dies in the middle of a commit confirmed (killed while its frr-reload
    runs): the confirm timer, armed before anything changed, brings the previous config back,
    and 'pending' says yes until it has."""
    import threading

    lab, name = intended, "hub-dx"
    before = _running(lab, name)
    changed = before.replace("\nend", "\nip route 198.19.252.0/28 Null0\nend")
    driver = _driver(lab, name)
    errors: list[Exception] = []

    def commit() -> None:
        try:
            driver.load_replace_candidate(config=changed)
            driver.commit_config(revert_in=3)
        except Exception as exc:  # the session's agent is killed: an error is expected
            errors.append(exc)

    worker = threading.Thread(target=commit)
    worker.start()
    killed = None
    deadline = time.monotonic() + 60
    marker = f"/govnet-{lab.prefix}/govnet-cfg apply"
    while killed is None and time.monotonic() < deadline and worker.is_alive():
        procs = _processes()
        agents = {pid for pid, _, cmd in procs if marker in cmd}
        for _pid, ppid, cmd in procs:
            if ppid in agents and "frr-reload" in cmd:
                os.kill(ppid, signal.SIGKILL)  # the agent dies; its frr-reload goes on, orphaned
                killed = ppid
                break
        else:
            time.sleep(0.002)
    worker.join(timeout=60)
    driver.close()
    assert killed is not None, "never caught the agent while it applied"
    check = _driver(lab, name)
    try:
        assert check.has_pending_commit(), "an interrupted commit must stay pending until reverted"
        deadline = time.monotonic() + 60
        while check.has_pending_commit() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not check.has_pending_commit()
        assert check.get_config()["running"] == before
    finally:
        check.close()
