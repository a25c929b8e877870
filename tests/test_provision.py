"""Provisioning: waves and filters (pure), template errors, and diff / push / rollback on a bare lab."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from govnet.cli import main
from govnet.inventory.network import Network
from govnet.tasks.provision import select, waves
from govnet.tasks.render import RenderError, render_device
from napalm_frr.driver import FrrDriver
from tests.labkit import LabHandle, edited_copy, link_between


@pytest.fixture(scope="session")
def sample(net: Network) -> Network:
    """The session's sample province (conftest)."""
    return net


def test_waves_go_from_the_core_outward_with_a_canary_first(sample: Network) -> None:
    plan = waves(sample, sorted(sample.devices))
    assert plan[0] == ["core-01"]  # the canary
    position = {name: i for i, wave in enumerate(plan) for name in wave}
    assert sum(len(w) for w in plan) == len(sample.devices)
    for name, wave in position.items():  # some device on its path toward the core went earlier
        if sample.devices[name].role.value == "core":
            continue
        neighbours = {
            lk.b_device if lk.a_device == name else lk.a_device for lk in sample.links_by_device[name]
        }
        assert any(position[n] < wave for n in neighbours), name
    assert position["hub-dx"] < position["hub-dp"]  # the ring is walked from the core
    assert position["hub-pl"] < position["hub-bgm"]  # the spur after the hub it hangs off


def test_filters_select_by_name_role_and_district(sample: Network) -> None:
    assert select(sample, ["role=core"]) == ["core-01", "core-02"]
    assert select(sample, ["name=hub-b*"]) == ["hub-bdg", "hub-bdp", "hub-bgm", "hub-bl"]
    assert set(select(sample, ["district=bu-gia-map", "role=hub"])) == {"hub-bgm"}
    with pytest.raises(Exception, match="cannot read filter"):
        select(sample, ["colour=red"])


def test_template_errors_name_template_line_and_device(sample: Network, tmp_path: Path) -> None:
    (tmp_path / "frr").mkdir()
    (tmp_path / "frr" / "device.j2").write_text(
        "hostname {{ name }}\n{{ no_such_value }}\n", encoding="utf-8"
    )
    with pytest.raises(RenderError, match=r"frr/device.j2:2: missing variable for device 'core-01'"):
        render_device(sample, "core-01", root=tmp_path)
    (tmp_path / "frr" / "device.j2").write_text("hostname {{ name }\n", encoding="utf-8")
    with pytest.raises(RenderError, match=r"device.j2:1: template error for device 'hub-dx'"):
        render_device(sample, "hub-dx", root=tmp_path)


def test_render_writes_one_config_per_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "render", "--filter", "role=hub", str(tmp_path)]) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 11 and "hub-ct.conf" in files
    text = (tmp_path / "hub-ct.conf").read_text(encoding="utf-8")
    assert "hostname hub-ct" in text and "router ospf" in text and "description" in text


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def statuses(doc: dict[str, object]) -> dict[str, str]:
    devices = doc["devices"]
    assert isinstance(devices, list)
    return {d["name"]: d["status"] for d in devices}


@pytest.mark.lab
def test_diff_push_then_nothing_left_to_change(
    bare_lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = ["--inventory", str(bare_lab.inventory)]
    code, doc = run_json([*inv, "provision", "diff", "--json"], capsys)
    assert code == 0 and doc["dry_run"] is True
    assert set(statuses(doc).values()) == {"changed"}
    code, doc = run_json([*inv, "provision", "push", "--json"], capsys)  # no --commit: still a dry run
    assert doc["dry_run"] is True
    code, doc = run_json([*inv, "provision", "diff", "--json"], capsys)
    assert set(statuses(doc).values()) == {"changed"}, "a dry run changed a device"
    code, doc = run_json([*inv, "provision", "push", "--commit", "--json"], capsys)
    assert code == 0, doc
    assert set(statuses(doc).values()) == {"changed"}
    report = json.dumps(doc)
    assert not any(v in report for v in bare_lab.network.secrets.plain_values())
    code, doc = run_json([*inv, "provision", "diff", "--json"], capsys)
    assert set(statuses(doc).values()) == {"unchanged"}, doc
    # FRR's share of the management plane is on the router: syslog, the ACL on its vty
    cred = bare_lab.network.ssh_credential("core-01")
    core = FrrDriver(bare_lab.mgmt["core-01"], cred.username, bare_lab.secret("lab-ssh", "password"))
    core.open()
    try:
        running = core.get_config()["running"]
    finally:
        core.close()
    assert f"access-list GOVNET-MGMT seq 5 permit {bare_lab.subnet}" in running
    assert "line vty\n access-class GOVNET-MGMT" in running and "log syslog informational" in running
    from govnet.lab.readiness import wait_converged
    from govnet.lab.state import load_state

    state = load_state(bare_lab.prefix)
    assert state is not None
    wait_converged(state, bare_lab.network, timeout=20)  # the pushed OSPF came up


@pytest.mark.lab
def test_a_change_that_breaks_ospf_is_rolled_back(
    bare_lab: LabHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from napalm_frr.driver import FrrDriver

    inv = ["--inventory", str(bare_lab.inventory)]
    run_json([*inv, "provision", "push", "--commit", "--json"], capsys)  # start from the intended state

    def drop_ospf(network: dict[str, Any]) -> None:
        link_between(network, "hub-dx", "hub-dp")["protocol"] = (
            "static"  # hub-dx would drop OSPF toward hub-dp
        )

    broken = edited_copy(bare_lab, tmp_path / "inventory", drop_ospf)
    cred = bare_lab.network.ssh_credential("hub-dx")
    hub = FrrDriver(bare_lab.mgmt["hub-dx"], cred.username, bare_lab.secret("lab-ssh", "password"))
    hub.open()
    try:
        before = hub.get_config()["running"]
        code, doc = run_json(
            [
                "--inventory",
                str(broken),
                "provision",
                "push",
                "--commit",
                "--filter",
                "name=hub-dx",
                "--json",
            ],
            capsys,
        )
        devices = doc["devices"]
        assert isinstance(devices, list) and len(devices) == 1
        device: dict[str, str] = devices[0]
        assert code == 1 and device["status"] == "rolled_back", device
        assert "OSPF" in device["error"] and "ip ospf" in device["diff"]
        assert hub.get_config()["running"] == before
        assert not hub.has_pending_commit()
    finally:
        hub.close()


@pytest.mark.lab
def test_backup_then_rollback_to_an_earlier_run(
    bare_lab: LabHandle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from napalm_frr.driver import FrrDriver

    inv = ["--inventory", str(bare_lab.inventory)]
    repo = tmp_path / "backups"
    run_json([*inv, "provision", "push", "--commit", "--json"], capsys)
    code, first = run_json([*inv, "config", "backup", "--repo", str(repo), "--json"], capsys)
    assert code == 0 and len(first["saved"]) == len(bare_lab.namespaces)  # type: ignore[arg-type]

    # An engineer's change: an OSPF cost on hub-dx's uplink, pushed in a later run.
    def add_cost(network: dict[str, Any]) -> None:
        link_between(network, "core-01", "hub-dx")["cost"] = 50

    changed = edited_copy(bare_lab, tmp_path / "inventory", add_cost)
    code, doc = run_json(
        ["--inventory", str(changed), "provision", "push", "--commit", "--filter", "name=hub-dx", "--json"],
        capsys,
    )
    assert statuses(doc) == {"hub-dx": "changed"}, doc
    code, second = run_json([*inv, "config", "backup", "--repo", str(repo), "--json"], capsys)
    assert second["commit"] != first["commit"]
    assert "ip ospf cost 50" in (repo / "hub-dx.conf").read_text(encoding="utf-8")
    code, doc = run_json(
        [
            *inv,
            "provision",
            "rollback",
            "--to",
            str(first["commit"]),
            "--filter",
            "name=hub-dx",
            "--repo",
            str(repo),
            "--commit",
            "--json",
        ],
        capsys,
    )
    assert code == 0 and statuses(doc) == {"hub-dx": "changed"}, doc
    cred = bare_lab.network.ssh_credential("hub-dx")
    hub = FrrDriver(bare_lab.mgmt["hub-dx"], cred.username, bare_lab.secret("lab-ssh", "password"))
    hub.open()
    try:
        assert "ip ospf cost 50" not in hub.get_config()["running"]
    finally:
        hub.close()
    blob = "\n".join(p.read_text(encoding="utf-8") for p in repo.glob("*.conf"))
    assert not any(v in blob for v in bare_lab.network.secrets.plain_values())
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 2  # one commit per run


@pytest.mark.lab
def test_compliance_reports_intended_vs_running(
    bare_lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = ["--inventory", str(bare_lab.inventory)]
    run_json([*inv, "provision", "push", "--commit", "--json"], capsys)
    code, doc = run_json([*inv, "config", "compliance", "--json"], capsys)
    assert code == 0 and doc["compliant"] == doc["total"] == len(bare_lab.namespaces)


def _driver(bare_lab: LabHandle, name: str) -> FrrDriver:
    cred = bare_lab.network.ssh_credential(name)
    driver = FrrDriver(bare_lab.mgmt[name], cred.username, bare_lab.secret("lab-ssh", "password"))
    driver.open()
    return driver


@pytest.mark.lab
def test_faults_each_give_a_clear_result_and_keep_the_previous_config(
    bare_lab: LabHandle, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from govnet.tasks import provision
    from govnet.tasks.rollout import rollout
    from napalm_frr.driver import FrrDriver

    inv = ["--inventory", str(bare_lab.inventory)]
    run_json([*inv, "provision", "push", "--commit", "--json"], capsys)
    network = bare_lab.network
    before = {n: _driver(bare_lab, n) for n in ("hub-dp", "core-01")}
    running = {n: d.get_config()["running"] for n, d in before.items()}
    for d in before.values():
        d.close()

    # 1. A template error on one device: that device fails, the others are still done.
    real_render = provision.render_device  # type: ignore[attr-defined]

    def render(net: Network, name: str, **kw: object) -> str:
        if name == "hub-dp":
            raise RenderError("frr/device.j2:7: missing variable for device 'hub-dp': 'x' is undefined")
        return real_render(net, name)

    monkeypatch.setattr(provision, "render_device", render)
    results = {r.name: r for r in rollout(network, ["core-01", "hub-dp", "hub-dx"], mode="diff")}
    assert results["hub-dp"].status == "failed" and "device.j2:7" in (results["hub-dp"].error or "")
    assert results["core-01"].status == "unchanged" and results["hub-dx"].status == "unchanged"
    monkeypatch.setattr(provision, "render_device", real_render)

    # 2. The device rejects a line: refused as a whole, nothing applied.
    bad = running["core-01"].replace("hostname core-01", "hostname core-01\nip ospf no-such-knob 7")
    outcome = provision.push_device(network, "core-01", lambda n: _driver(bare_lab, n), config=bad)
    assert outcome.status == "failed" and "commit refused" in (outcome.error or "")
    assert "rejected the configuration: line" in (outcome.error or "") and "no-such-knob" in (
        outcome.error or ""
    )
    check = _driver(bare_lab, "core-01")
    try:
        assert check.get_config()["running"] == running["core-01"]
    finally:
        check.close()

    # 3. The SSH session drops right after the commit: govnet cannot check nor roll back, the
    #    device's own timer reverts the change.
    class Dropping(FrrDriver):
        def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
            super().commit_config(message, revert_in)
            assert self._client is not None
            self._client.close()  # the session dies mid-change

        def rollback(self) -> None:
            raise ConnectionError("session lost")

    def connect(name: str) -> FrrDriver:
        cred = network.ssh_credential(name)
        driver = Dropping(bare_lab.mgmt[name], cred.username, bare_lab.secret("lab-ssh", "password"))
        driver.open()
        return driver

    changed = running["hub-dp"].replace("ip ospf hello-interval 1", "ip ospf hello-interval 2")
    outcome = provision.push_device(network, "hub-dp", connect, config=changed, revert_in=4, settle=2)
    assert outcome.status == "rolled_back" and "revert by itself" in (outcome.error or "")
    deadline = time.monotonic() + 30
    check = _driver(bare_lab, "hub-dp")
    try:
        while check.has_pending_commit() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert check.get_config()["running"] == running["hub-dp"]
    finally:
        check.close()


@pytest.mark.lab
def test_a_device_that_dies_mid_rollout_fails_alone_and_comes_back_unchanged(bare_lab: LabHandle) -> None:
    """The CPE is killed while the rollout is in its first wave: its result says why, the
    devices before it are done, and when it comes back it has the configuration it had."""
    from govnet.lab.faults import fail, restore
    from govnet.tasks.provision import DeviceResult
    from govnet.tasks.rollout import rollout

    network = bare_lab.network
    names = ["core-01", "hub-dp", "cpe-dp-cong-an"]
    drivers = {n: _driver(bare_lab, n) for n in names}
    running = {n: d.get_config()["running"] for n, d in drivers.items()}
    for d in drivers.values():
        d.close()
    extra = "ip route 198.19.253.0/28 Null0"
    changed = {n: text.replace("\nend", f"\n{extra}\nend") for n, text in running.items()}
    killed: list[str] = []

    def progress(result: DeviceResult) -> None:
        if not killed:  # the canary is done: the CPE dies now, before its wave
            fail(bare_lab.prefix, "node", "cpe-dp-cong-an")
            killed.append(result.name)

    try:
        done = rollout(network, names, mode="push", configs=changed, progress=progress)
        results = {r.name: r for r in done}
    finally:
        restore(bare_lab.prefix, "node", "cpe-dp-cong-an")
    assert killed == ["core-01"]
    assert results["core-01"].status == "changed" and results["hub-dp"].status == "changed"
    cpe = results["cpe-dp-cong-an"]
    assert cpe.status == "failed" and cpe.error, cpe
    check = _driver(bare_lab, "cpe-dp-cong-an")
    try:
        assert check.get_config()["running"] == running["cpe-dp-cong-an"]
    finally:
        check.close()
    back = {r.name: r.status for r in rollout(network, names[:2], mode="push", configs=running)}
    assert back == {"core-01": "changed", "hub-dp": "changed"}


def test_a_platform_whose_napalm_driver_is_missing_fails_alone_with_what_to_install(
    sample: Network,
) -> None:
    """MikroTik and Huawei need NAPALM community drivers; without them the driver lookup fails with
    the package to install and the Netmiko alternative, before anything is contacted. A diff or
    push of those platforms does not need them: it goes over the CLI (tests/test_safe_push.py),
    and here, the sample's addresses not being a lab, the interlock refuses it before contact."""
    from govnet.errors import GovnetError
    from govnet.tasks.provision import diff_device
    from govnet.tasks.rollout import connect_device, napalm_driver_class

    with pytest.raises(GovnetError) as err:
        napalm_driver_class(sample, "ap-bl-10")
    assert "pip install napalm-ros" in str(err.value) and "govnet provision send" in str(err.value)
    result = diff_device(sample, "bts-rtr-bdg-03", lambda name: connect_device(sample, name))
    assert result.status == "failed"
    assert result.error is not None and "no lab route" in result.error
    assert napalm_driver_class(sample, "core-01").__name__ == "FrrDriver"


def test_a_config_with_masked_secrets_is_never_pushed(sample: Network) -> None:
    """A vendor template's SNMP keys render as the mask (the rendered file, a backup): pushing
    that text would make the mask the device's key, so the device fails with the reason and is
    not even contacted. (A push renders the keys' real values itself: tests/test_push_secrets.py.)"""
    from govnet.tasks.context import MASK
    from govnet.tasks.provision import push_device

    contacted: list[str] = []

    def connect(name: str) -> object:
        contacted.append(name)
        raise AssertionError("contacted")

    masked = render_device(sample, "bts-rtr-bdg-03")
    assert MASK in masked
    result = push_device(sample, "bts-rtr-bdg-03", connect, config=masked)
    assert result.status == "failed" and result.error is not None and "masked secrets" in result.error
    assert contacted == []


@pytest.mark.lab
def test_a_secret_in_a_running_config_is_masked_in_the_report(bare_lab: LabHandle) -> None:
    """Vendors show communities in clear in their running configs, so a diff can carry one: every
    report is masked. Here a description holding the lab's community goes on and comes off."""
    from govnet.tasks.rollout import rollout

    network = bare_lab.network
    cpe = _driver(bare_lab, "cpe-dp-cong-an")
    try:
        running = cpe.get_config()["running"]
    finally:
        cpe.close()
    secret = bare_lab.community
    leaky = running.replace("\nend", f"\ninterface lo\n description snmp {secret}\nexit\nend")
    try:
        (on,) = rollout(network, ["cpe-dp-cong-an"], mode="push", configs={"cpe-dp-cong-an": leaky})
        assert on.status == "changed", on
        (seen,) = rollout(network, ["cpe-dp-cong-an"], mode="diff")
        assert on.diff and seen.diff and "description snmp ********" in on.diff + seen.diff
        assert secret not in json.dumps([on.as_dict(), seen.as_dict()])
    finally:
        (off,) = rollout(network, ["cpe-dp-cong-an"], mode="push", configs={"cpe-dp-cong-an": running})
    assert off.status == "changed" and secret not in (off.diff or "")
