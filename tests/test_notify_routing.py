"""Routing on the sample province with a real store and outbox: severity, district, commune,
service level, maintenance windows, acknowledgement, reminders, escalation, quiet hours, and the
words of the messages (Vietnamese by default, English on request). Time is passed in, not slept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from govnet.inventory.communes import commune_of_site, communes
from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.incidents import correlate
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.events import endpoint_event, endpoint_index, incident_event
from govnet.monitor.notify.messages import render
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.notify.outbox import Outbox, OutboxRow
from govnet.monitor.store import Change, Store, open_store
from tests.notifykit import new_whsec, write_channels

BRONZE_CPE = "cpe-dx-phong-noi-vu"  # dong-xoai, commune Tân Phú, bronze, single-homed
GOLD_CPE = "cpe-bl-trung-tam-y-te"  # binh-long, commune An Lộc, gold, single-homed
T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC).timestamp()  # 10:00 in Vietnam


def channel_block(names: list[str]) -> str:
    return "".join(
        f"  - name: {n}\n    kind: webhook\n    url: http://127.0.0.1:9/{n}\n"
        "    secret: {env: HOOK_SECRET}\n"
        for n in names
    )


@dataclass
class Setup:
    net: Network
    store: Store
    outbox: Outbox
    notifier: Notifier

    def open(self, links: list[str], silent: list[str], at: float) -> int:
        (incident,) = correlate(self.net, links, silent)
        key = f"{incident.kind}:{incident.root_cause}"
        incident_id = self.store.open_incident(
            key, incident.kind, incident.root_cause, at, incident.as_dict()
        )
        self.notifier.on_report(CycleReport(at=at, opened=[incident_id]))
        return incident_id

    def close(self, incident_id: int, at: float) -> None:
        self.store.close_incident(incident_id, at)
        self.notifier.on_report(CycleReport(at=at, closed=[incident_id]))

    def rows(self, channel: str | None = None) -> list[OutboxRow]:
        return self.outbox.rows(channel)

    def kinds(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in self.rows():
            out.setdefault(row.channel, []).append(f"{row.event_type}#{row.incident_id}")
        return out


Make = Callable[[str], Setup]


@pytest.fixture
def make(tmp_path: Path, net: Network, monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    monkeypatch.setenv("HOOK_SECRET", new_whsec())
    made: list[Setup] = []

    def build(text: str) -> Setup:
        path = write_channels(tmp_path / f"channels{len(made)}.yaml", text)
        url = f"sqlite:///{tmp_path / f'monitor{len(made)}.db'}"
        store = open_store(url)
        outbox = Outbox(url)
        setup = Setup(net, store, outbox, Notifier(load_channels(path), outbox, store, net, clock=lambda: T0))
        made.append(setup)
        return setup

    yield build
    for s in made:
        s.outbox.close()
        s.store.close()


def only_link(net: Network, device: str) -> str:
    (link,) = net.links_by_device[device]
    return link.id


def ring_link(net: Network) -> str:
    return next(lk.id for lk in net.links if {lk.a_device, lk.b_device} == {"core-01", "hub-dx"})


def test_routes_by_severity_district_commune_and_service_level(make: Make, net: Network) -> None:
    s = make(
        "channels:\n"
        + channel_block(["all", "major", "gold", "dx", "anloc", "anloc-id", "tanphu-id"])
        + """\
routes:
  - channels: [all]
  - channels: [major]
    min_severity: major
  - channels: [gold]
    service_levels: [gold]
  - channels: [dx]
    districts: [dong-xoai]
  - channels: [anloc]
    communes: [An Lộc]
  - channels: [anloc-id]
    communes: [an-loc]
  - channels: [tanphu-id]
    communes: [tan-phu]
"""
    )
    bronze = s.open([only_link(net, BRONZE_CPE)], [BRONZE_CPE], T0)
    gold = s.open([only_link(net, GOLD_CPE)], [GOLD_CPE], T0 + 1)
    ring = s.open([ring_link(net)], [], T0 + 2)
    assert s.kinds() == {
        "all": [f"incident.opened#{bronze}", f"incident.opened#{gold}", f"incident.opened#{ring}"],
        "major": [f"incident.opened#{bronze}", f"incident.opened#{gold}"],
        "gold": [f"incident.opened#{gold}"],
        "dx": [f"incident.opened#{bronze}", f"incident.opened#{ring}"],  # the ring link ends in dong-xoai
        "anloc": [f"incident.opened#{gold}"],
        "anloc-id": [f"incident.opened#{gold}"],  # the same commune by its id
        "tanphu-id": [f"incident.opened#{bronze}", f"incident.opened#{ring}"],  # the ring ends there too
    }
    severities = {r.incident_id: r.payload["body"]["data"]["incident"]["severity"] for r in s.rows("all")}
    assert severities == {bronze: "major", gold: "critical", ring: "minor"}
    # The restore goes exactly to the channels told of the opening, once each.
    s.close(bronze, T0 + 100)
    closed = sorted(r.channel for r in s.rows() if r.event_type == "incident.closed")
    assert closed == ["all", "dx", "major", "tanphu-id"]
    # A change of an open incident goes to the channels that know of it.
    s.store.update_incident(gold, T0 + 110, {**s.store.incident(gold).detail, "flapping": True})  # type: ignore[union-attr]
    s.notifier.on_report(CycleReport(at=T0 + 110, updated=[gold]))
    updated = sorted(r.channel for r in s.rows() if r.event_type == "incident.updated")
    assert updated == ["all", "anloc", "anloc-id", "gold", "major"]


def test_a_maintenance_window_silences_and_the_opening_follows_when_it_ends(make: Make, net: Network) -> None:
    s = make("channels:\n" + channel_block(["noc"]))
    s.store.add_maintenance(f"device:{BRONZE_CPE}", T0 - 10, T0 + 60, "thay thiết bị")
    bronze = s.open([only_link(net, BRONZE_CPE)], [BRONZE_CPE], T0)
    assert s.rows() == []
    assert s.notifier.sweep(T0 + 30) == 0
    # Closed during the window: nobody was told it broke, nobody is told it is back.
    s.close(bronze, T0 + 40)
    assert s.rows() == []
    # A district-wide window silences other incidents there; "*" silences everything.
    s.store.add_maintenance("district:binh-long", T0, T0 + 600, "cắt điện")
    gold = s.open([only_link(net, GOLD_CPE)], [GOLD_CPE], T0 + 50)
    assert s.rows() == []
    s.store.add_maintenance("*", T0 + 50, T0 + 700, "bảo trì toàn tỉnh")
    ring = s.open([ring_link(net)], [], T0 + 60)
    assert s.rows() == []
    # When the windows end and the incidents are still open, the opening is sent then, once.
    assert s.notifier.sweep(T0 + 701) == 2
    assert s.notifier.sweep(T0 + 702) == 0
    assert sorted(f"{r.event_type}#{r.incident_id}" for r in s.rows()) == sorted(
        [f"incident.opened#{gold}", f"incident.opened#{ring}"]
    )


def test_a_commune_maintenance_window_silences_its_incidents_only(make: Make, net: Network) -> None:
    s = make("channels:\n" + channel_block(["noc"]))
    found = communes(net)
    gold_commune = commune_of_site(net)[net.devices[GOLD_CPE].site]
    assert found[gold_commune].name == "An Lộc"
    s.store.add_maintenance(f"commune:{gold_commune}", T0, T0 + 600, "cắt điện phường")
    gold = s.open([only_link(net, GOLD_CPE)], [GOLD_CPE], T0 + 10)
    assert s.rows() == []
    # Another commune is not silenced by it.
    bronze = s.open([only_link(net, BRONZE_CPE)], [BRONZE_CPE], T0 + 20)
    assert commune_of_site(net).get(net.devices[BRONZE_CPE].site) != gold_commune
    assert [f"{r.event_type}#{r.incident_id}" for r in s.rows()] == [f"incident.opened#{bronze}"]
    assert s.notifier.sweep(T0 + 601) == 1  # the window ends with the incident open: told then
    assert f"incident.opened#{gold}" in [f"{r.event_type}#{r.incident_id}" for r in s.rows()]
    # An endpoint's own events (the IOC's webhooks) name its commune for the windows too.
    agency = next(a for a in net.agencies.values() if a.cpe == GOLD_CPE)
    event = endpoint_event(net, endpoint_index(net), f"agency:{agency.id}", "down", T0, None)
    assert f"commune:{gold_commune}" in event.targets


def test_reminders_until_acknowledged_and_one_escalation(make: Make, net: Network) -> None:
    s = make(
        "channels:\n"
        + channel_block(["noc", "boss"])
        + """\
routes:
  - channels: [noc]
    remind_every: 1m
    escalate_after: 3m
    escalate_to: [boss]
"""
    )
    incident = s.open([only_link(net, GOLD_CPE)], [GOLD_CPE], T0)
    for at, written in (
        (T0 + 30, 0),
        (T0 + 61, 1),
        (T0 + 90, 0),
        (T0 + 125, 1),
        (T0 + 185, 2),
        (T0 + 190, 0),
    ):
        assert s.notifier.sweep(at) == written, at
    assert s.kinds() == {
        "noc": [f"incident.opened#{incident}"] + [f"incident.reminder#{incident}"] * 3,
        "boss": [f"incident.escalated#{incident}"],
    }
    assert s.store.acknowledge(incident, "trực ca", T0 + 200)
    assert [s.notifier.sweep(T0 + t) for t in (260, 400, 1000)] == [0, 0, 0]
    s.close(incident, T0 + 1100)  # the restore still goes to those told of the opening
    assert [r.channel for r in s.rows() if r.event_type == "incident.closed"] == ["noc"]


def test_quiet_hours_hold_all_but_critical_until_they_end(make: Make, net: Network) -> None:
    s = make(
        "timezone: Asia/Ho_Chi_Minh\nchannels:\n"
        + channel_block(["noc"])
        + """\
routes:
  - channels: [noc]
    quiet_hours: {start: "22:00", end: "06:00"}
"""
    )
    night = datetime(2026, 12, 1, 16, 30, tzinfo=UTC).timestamp()  # 23:30 in Vietnam
    morning = datetime(2026, 12, 1, 23, 0, tzinfo=UTC).timestamp()  # 06:00 the next day there
    bronze = s.open([only_link(net, BRONZE_CPE)], [BRONZE_CPE], night)
    gold = s.open([only_link(net, GOLD_CPE)], [GOLD_CPE], night + 1)
    due = {r.incident_id: r.next_attempt for r in s.rows()}
    assert due == {bronze: morning, gold: night + 1}
    # Held messages stay in order behind the channel's head: the critical one waits behind it.
    assert [r.incident_id for r in s.outbox.heads(night + 5)] == []
    assert [r.incident_id for r in s.outbox.heads(morning)] == [bronze]


def test_in_one_tick_the_critical_incident_is_sent_first(make: Make, net: Network) -> None:
    s = make("channels:\n" + channel_block(["noc"]))
    ids = []
    for cpe in (BRONZE_CPE, GOLD_CPE):
        (incident,) = correlate(net, [only_link(net, cpe)], [cpe])
        key = f"{incident.kind}:{incident.root_cause}"
        ids.append(s.store.open_incident(key, incident.kind, incident.root_cause, T0, incident.as_dict()))
    s.notifier.on_report(CycleReport(at=T0, opened=ids))
    assert [r.incident_id for r in s.rows()] == [ids[1], ids[0]]  # the gold agency's first


def test_endpoint_changes_go_to_the_routes_that_ask_for_them(make: Make, net: Network) -> None:
    s = make(
        "channels:\n" + channel_block(["ioc", "noc"]) + "    events: [incident]\n"
        "routes:\n  - channels: [ioc]\n    events: [incident, endpoint]\n  - channels: [noc]\n"
    )
    gold_agency = net.agencies["bl-trung-tam-y-te"]
    change = Change(T0, "endpoint", f"agency:{gold_agency.id}", "up", "down", "correlation")
    s.notifier.on_report(CycleReport(at=T0, changes=[change]))
    (row,) = s.rows()
    assert (row.channel, row.event_type) == ("ioc", "endpoint.down")
    ep = row.payload["body"]["data"]["endpoint"]
    assert ep == {
        "key": "agency:bl-trung-tam-y-te",
        "kind": "agency",
        "id": "bl-trung-tam-y-te",
        "name": gold_agency.name,
        "state": "down",
        "since": "2026-12-01T03:00:00Z",
        "device": GOLD_CPE,
        "district": "binh-long",
        "commune": "An Lộc",
        "service_level": "gold",
    }
    assert row.payload["body"]["type"] == "endpoint.down" and "MẤT KẾT NỐI" in row.payload["subject"]


def test_the_message_says_what_broke_the_blast_radius_since_when_and_links_the_noc(
    net: Network, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    hub_links = [lk.id for lk in net.links_by_device["hub-bl"]]
    silent = ["hub-bl"] + [
        lk.b_device if lk.a_device == "hub-bl" else lk.a_device
        for lk in net.links_by_device["hub-bl"]
        if len(net.links_by_device[lk.b_device if lk.a_device == "hub-bl" else lk.a_device]) == 1
    ]
    incidents = correlate(net, hub_links, silent)
    (node,) = [i for i in incidents if i.kind == "node"]
    incident_id = store.open_incident("node:hub-bl", "node", "hub-bl", T0, node.as_dict())
    row = store.incident(incident_id)
    assert row is not None
    event = incident_event(net, row, "incident.opened", T0, "https://noc.example.gov.vn/")
    vi = render(event, "vi", ZoneInfo("Asia/Ho_Chi_Minh"))
    en = render(event, "en", ZoneInfo("Asia/Ho_Chi_Minh"))
    store.close()
    assert vi.subject == f"[govnet] SỰ CỐ #{incident_id}: thiết bị không phản hồi hub-bl"
    assert "Mức độ: nghiêm trọng" in vi.text and "Từ lúc: 2026-12-01 10:00:00 +07" in vi.text
    assert "Phạm vi ảnh hưởng: " in vi.text and "cơ quan" in vi.text
    assert f"Xem trên NOC: https://noc.example.gov.vn/#incident-{incident_id}" in vi.text
    assert en.subject == f"[govnet] INCIDENT #{incident_id}: device not answering hub-bl"
    assert "Severity: critical" in en.text and "Since: 2026-12-01 10:00:00 +07" in en.text
    # Gold agencies come first in the list of agencies.
    agencies_line = next(line for line in en.text.splitlines() if line.startswith("  - agencies: "))
    names = agencies_line.removeprefix("  - agencies: ").split(", ")
    golds = [i for i, n in enumerate(names) if n.endswith("(gold)")]
    assert golds and golds == list(range(len(golds)))
