"""`govnet monitor run --channels FILE` against the lab: a link cut gives exactly one notification
per matching channel within 15 s and the restore one more; nothing during a maintenance window;
reminders stop when the incident is acknowledged. The channels are webhook receivers on loopback
that verify every signature."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from govnet.lab.faults import fail, restore
from govnet.monitor.store import open_store
from tests.labkit import LabHandle
from tests.notifykit import Hook, WebhookReceiver, new_whsec, wait_until
from tests.procs import Running, start_monitor, stop_monitor

pytestmark = pytest.mark.lab


@dataclass
class Setup:
    monitor: Running
    hooks: dict[str, WebhookReceiver]
    cut: dict[str, tuple[str, str]]  # role in the tests -> (cpe, its only link)

    def about(self, channel: str, incident_id: int) -> list[Hook]:
        return [
            h
            for h in self.hooks[channel].hooks
            if h.json["data"].get("incident", {}).get("id") == incident_id
        ]

    def endpoint_states(self, agencies: set[str]) -> list[tuple[str, str]]:
        """(agency, state) of each endpoint webhook the IOC got about these agencies, in order."""
        out = []
        for hook in self.hooks["ioc"].hooks:
            ep = hook.json["data"]["endpoint"]
            if ep["kind"] == "agency" and ep["id"] in agencies:
                assert hook.valid
                out.append((ep["id"], ep["state"]))
        return out


def single_homed_cpes(lab: LabHandle) -> dict[str, tuple[str, set[str], str]]:
    """cpe -> (its only link, its agencies' service levels, its district)."""
    net = lab.network
    out = {}
    for name, dev in sorted(net.devices.items()):
        links = net.links_by_device.get(name, [])
        agencies = net.agencies_by_cpe.get(name, [])
        if dev.role.value == "cpe" and len(links) == 1 and agencies:
            out[name] = (links[0].id, {a.service_level.value for a in agencies}, net.district_of(name))
    return out


@pytest.fixture(scope="module")
def setup(lab: LabHandle) -> Iterator[Setup]:
    cpes = single_homed_cpes(lab)
    gold = next(c for c, (_, levels, _) in cpes.items() if "gold" in levels)
    plain = [c for c, (_, levels, _) in cpes.items() if "gold" not in levels]
    assert len(plain) >= 2, f"the small lab should have two single-homed CPEs without gold agencies: {cpes}"
    cut_cpe, quiet_cpe = plain[0], plain[1]
    district = cpes[cut_cpe][2]
    secrets = {name: new_whsec() for name in ("noc", "area", "gold", "ioc")}
    hooks = {name: WebhookReceiver(secret) for name, secret in secrets.items()}
    for hook in hooks.values():
        hook.start()
    tmp = Path(tempfile.mkdtemp(prefix="govnet-notify-lab-"))
    channels = tmp / "channels.yaml"
    channels.write_text(
        "noc_url: http://127.0.0.1:8080/\nretry: {first: 1s, maximum: 5s}\nchannels:\n"
        + "".join(
            f"  - name: {name}\n    kind: webhook\n    url: {hook.url}/hooks\n"
            f"    secret: {{env: HOOK_{name.upper()}}}\n"
            for name, hook in hooks.items()
        )
        + f"""\
routes:
  - channels: [noc]
  - channels: [area]
    districts: [{district}]
  - channels: [gold]
    service_levels: [gold]
    remind_every: 4s
  - channels: [ioc]
    events: [endpoint]
""",
        encoding="utf-8",
    )
    saved = {f"HOOK_{n.upper()}": os.environ.get(f"HOOK_{n.upper()}") for n in secrets}
    os.environ.update({f"HOOK_{n.upper()}": s for n, s in secrets.items()})
    running = start_monitor(
        lab, f"sqlite:///{tmp / 'monitor.db'}", "--interval", "4", "--channels", str(channels)
    )
    for key, value in saved.items():  # the monitor has them; the rest of the session does not need them
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        answered: set[str] = set()

        def first_poll(event: dict[str, object]) -> bool:
            if event.get("kind") == "device" and event.get("new") == "up":
                answered.add(str(event["name"]))
            return answered == set(lab.network.devices)

        running.wait_for(first_poll, 60, "every lab device answering")
        yield Setup(
            running,
            hooks,
            {
                "cut": (cut_cpe, cpes[cut_cpe][0]),
                "maintenance": (quiet_cpe, cpes[quiet_cpe][0]),
                "gold": (gold, cpes[gold][0]),
            },
        )
    finally:
        stop_monitor(running)
        for hook in hooks.values():
            hook.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_a_link_cut_is_one_notification_per_matching_channel_and_the_restore_one_more(
    lab: LabHandle, setup: Setup
) -> None:
    cpe, link_id = setup.cut["cut"]
    agencies = {a.id for a in lab.network.agencies_by_cpe[cpe]}
    monitor = setup.monitor
    monitor.drain()
    cut_at = time.time()
    fail(lab.prefix, "link", link_id)
    try:
        opened = monitor.wait_for(lambda e: e.get("event") == "incident_opened", 15, "the incident")
        incident_id = int(opened["id"])
        wait_until(
            lambda: all(len(setup.about(c, incident_id)) >= 1 for c in ("noc", "area")),
            max(0.5, cut_at + 15 - time.time()),
            "a notification on each matching channel within 15 s of the cut",
        )
        time.sleep(6)  # a poll cycle and more: still exactly one each
        for channel in ("noc", "area"):
            (hook,) = setup.about(channel, incident_id)
            assert hook.valid and hook.json["type"] == "incident.opened"
            assert hook.json["data"]["incident"]["root_cause"] == link_id
        assert setup.about("gold", incident_id) == []  # no gold agency behind this link
    finally:
        restore(lab.prefix, "link", link_id)
    monitor.wait_for(
        lambda e: e.get("event") == "incident_closed" and e.get("id") == incident_id,
        30,
        "the incident closing",
    )
    wait_until(
        lambda: all(len(setup.about(c, incident_id)) >= 2 for c in ("noc", "area")), 15, "the restore message"
    )
    time.sleep(3)
    for channel in ("noc", "area"):
        types = [h.json["type"] for h in setup.about(channel, incident_id)]
        assert types == ["incident.opened", "incident.closed"], (channel, types)
    assert setup.about("gold", incident_id) == []
    # The IOC's feed: each agency behind the cut went down, then up, once each, and no incident.
    wait_until(lambda: len(setup.endpoint_states(agencies)) >= 2 * len(agencies), 15, "the endpoint webhooks")
    states = setup.endpoint_states(agencies)
    assert sorted(states) == sorted([(a, "down") for a in agencies] + [(a, "up") for a in agencies])
    assert all(states.index((a, "down")) < states.index((a, "up")) for a in agencies)
    assert setup.about("ioc", incident_id) == []


def test_nothing_during_a_maintenance_window(lab: LabHandle, setup: Setup) -> None:
    cpe, link_id = setup.cut["maintenance"]
    monitor = setup.monitor
    store = open_store(monitor.store)
    now = time.time()
    store.add_maintenance(f"device:{cpe}", now - 1, now + 600, "thay bộ chuyển đổi quang")
    store.close()
    before = {name: len(hook.hooks) for name, hook in setup.hooks.items()}
    monitor.drain()
    fail(lab.prefix, "link", link_id)
    try:
        opened = monitor.wait_for(lambda e: e.get("event") == "incident_opened", 20, "the incident")
        time.sleep(8)
    finally:
        restore(lab.prefix, "link", link_id)
    monitor.wait_for(
        lambda e: e.get("event") == "incident_closed" and e.get("id") == opened["id"],
        30,
        "the incident closing",
    )
    time.sleep(5)
    assert {name: len(hook.hooks) for name, hook in setup.hooks.items()} == before


def test_reminders_stop_when_the_incident_is_acknowledged(lab: LabHandle, setup: Setup) -> None:
    _, link_id = setup.cut["gold"]
    monitor = setup.monitor
    monitor.drain()
    fail(lab.prefix, "link", link_id)
    try:
        opened = monitor.wait_for(lambda e: e.get("event") == "incident_opened", 20, "the incident")
        incident_id = int(opened["id"])
        wait_until(
            lambda: sum(h.json["type"] == "incident.reminder" for h in setup.about("gold", incident_id)) >= 2,
            30,
            "two reminders on the gold channel",
        )
        store = open_store(monitor.store)
        assert store.acknowledge(incident_id, "trực ca NOC", time.time())
        store.close()
        time.sleep(2)  # a reminder under way when the acknowledgement landed may still arrive
        after_ack = len(setup.about("gold", incident_id))
        time.sleep(12)  # three reminder periods
        assert len(setup.about("gold", incident_id)) == after_ack
        types = [h.json["type"] for h in setup.about("gold", incident_id)]
        assert types[0] == "incident.opened" and set(types[1:]) == {"incident.reminder"}
        assert all(h.valid for h in setup.about("gold", incident_id))
        # The channels without reminders got the opening once.
        assert [h.json["type"] for h in setup.about("noc", incident_id)] == ["incident.opened"]
    finally:
        restore(lab.prefix, "link", link_id)
    monitor.wait_for(
        lambda e: e.get("event") == "incident_closed" and e.get("id") == incident_id,
        30,
        "the incident closing",
    )
