"""A flapping link on the lab, under `govnet monitor run` (issue #12, "Done when").

A CPE's only link is failed and restored 10 times over 2 minutes while the monitor polls, then left
alone for 5 more minutes. Then:

* no node incident: no device was ever down (every agent kept answering over the management net);
* every real cut is exactly one link incident. The product folds a flapping link (4 changes within
  the 300 s flap window, :class:`govnet.monitor.alerts.FlapDetector`) into the incident already open: it
  is held open, marked ``flapping``, until the link has been stable for the window. So here
  "exactly one" means: every incident is that link's and no two are open at once; in the time
  from each cut to the next, an incident is open (the one the cut opened, or the held one it
  folded into) and at most one opens; fewer incidents than cuts (the flap was folded); all are
  closed once the link has been stable for the window;
* each agency's recorded downtime (``monitor sla``'s computation over the store) is within 10 s of
  the real one: the agencies behind the CPE were down for the sum of the cuts, every other for 0.

Long by design (the flap window is the product's, not shortened): about 8 minutes.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govnet.lab.faults import fail, restore
from govnet.monitor.alerts import FlapDetector
from govnet.monitor.sla import availability
from govnet.monitor.store import open_store
from tests.labkit import LabHandle
from tests.procs import Running, start_monitor, stop_monitor

pytestmark = pytest.mark.lab

CUTS = 10
CYCLE_S = 12.0  # 10 cuts over 2 minutes
#: Where in its 12 s each cut starts, and how long it lasts (7-8 s: a cut outlasts its detection, a
#: trap then the confirmation poll; the 3-5 s up phases between may not). Not on a 2 s grid: the
#: lab's snmpd checks for linkDown and for linkUp each every 2 s on timers of their own, so cuts
#: locked to that grid would all meet the same two phases and add up one constant lag difference
#: (2 s a cut in one run), where real cuts meet random phases that average out.
OFFSETS_S = (0.0, 0.7, 1.3, 0.4, 1.9, 1.1, 0.2, 1.6, 0.9, 0.5)
DOWN_S = (7.3, 8.1, 6.6, 7.9, 8.4, 6.9, 7.6, 8.2, 7.1, 6.8)
AFTER_S = 300.0  # then 5 more minutes
TOLERANCE_S = 10.0


def single_homed_cpe_link(lab: LabHandle) -> tuple[str, str]:
    for name, dev in sorted(lab.network.devices.items()):
        links = lab.network.links_by_device.get(name, [])
        if dev.role.value == "cpe" and len(links) == 1 and lab.network.agencies_by_cpe.get(name):
            return name, links[0].id
    raise AssertionError("the small lab has no single-homed CPE with agencies")


@pytest.fixture
def flap_monitor(lab: LabHandle) -> Iterator[Running]:
    tmp = Path(tempfile.mkdtemp(prefix="govnet-flap-"))
    running = start_monitor(lab, f"sqlite:///{tmp / 'monitor.db'}", "--interval", "4")
    try:
        endpoints: set[str] = set()
        wanted = {f"{e.kind}:{e.id}" for eps in _endpoints(lab).values() for e in eps}

        def all_known(event: dict[str, Any]) -> bool:
            if event.get("kind") == "endpoint" and event.get("new") == "up":
                endpoints.add(str(event["name"]))
            return endpoints >= wanted

        running.wait_for(all_known, 90, "every endpoint of the lab known up")
        yield running
    finally:
        stop_monitor(running)
        shutil.rmtree(tmp, ignore_errors=True)


def _endpoints(lab: LabHandle) -> dict[str, Any]:
    from govnet.topology.graph import endpoints_by_device

    return endpoints_by_device(lab.network)


def test_ten_cuts_in_two_minutes_are_link_incidents_and_the_sla_counts_the_real_downtime(
    lab: LabHandle, flap_monitor: Running
) -> None:
    cpe, link_id = single_homed_cpe_link(lab)
    flap_monitor.drain()
    start = time.time()
    cuts: list[tuple[float, float]] = []
    try:
        for k in range(CUTS):
            slot = start + 1 + k * CYCLE_S + OFFSETS_S[k]
            time.sleep(max(0.0, slot - time.time()))
            # The link goes down somewhere inside fail() (it also rewrites the optics' data, 1-2 s
            # under load) and up inside restore(): the real times are taken in their middles.
            before = time.time()
            fail(lab.prefix, "link", link_id)
            cut_at = (before + time.time()) / 2
            time.sleep(max(0.0, slot + DOWN_S[k] - time.time()))
            before = time.time()
            restore(lab.prefix, "link", link_id)
            cuts.append((cut_at, (before + time.time()) / 2))
    finally:
        restore(lab.prefix, "link", link_id)
    last = cuts[-1][1]
    # Stable for the flap window: the held incident closes. Then the 5 minutes are up.
    window = FlapDetector().window
    deadline = time.monotonic() + window + 90
    store = open_store(flap_monitor.store)
    try:
        while time.monotonic() < deadline:
            flap_monitor.drain()
            if store.incidents(open_only=True) == [] and time.time() > last + AFTER_S:
                break
            time.sleep(2)
        end = time.time()
        open_now = store.incidents(open_only=True)
        incidents = [i for i in store.incidents() if i.opened >= start - 1]
        sla = {a.id: a for a in availability(lab.network, store, end - start, now=end) if a.kind == "agency"}
        history = [
            (round(c.at - start, 1), c.kind, c.new, c.source)
            for c in store.changes(since=start, until=end)
            if c.name == link_id or (c.kind == "endpoint" and c.name.startswith("agency:"))
        ]
    finally:
        store.close()
    summary = [(i.kind, i.root_cause, round(i.opened - start, 1), i.closed and round(i.closed - start, 1))
               for i in incidents]  # fmt: skip
    cut_s = [(round(c - start, 1), round(r - start, 1)) for c, r in cuts]
    behind_ids = {a.id for a in lab.network.agencies_by_cpe[cpe]}
    print(f"cuts (s from start): {cut_s}")
    print(f"incidents: {summary}")
    print(f"link and agency changes (s from start, kind, new, source): {history}")
    print("agencies behind the CPE, recorded down:", {a: round(sla[a].down_s, 1) for a in behind_ids})
    print(f"real down: {sum(r - c for c, r in cuts):.1f} s; others' max: "
          f"{max(r.down_s for a, r in sla.items() if a not in behind_ids):.1f} s")  # fmt: skip
    assert open_now == [], f"still open after the link was stable for {window:g} s: {summary}"

    # No node incident: every device answered all along.
    assert not [i for i in incidents if i.kind == "node"], summary
    # Every incident is this link's; never two at once.
    assert {(i.kind, i.root_cause) for i in incidents} == {("link", link_id)}, summary
    spans = sorted((i.opened, i.closed or end) for i in incidents)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), summary
    # Each cut is exactly one incident: in the time from a cut to the next one, one incident is
    # open at some moment (the one the cut opened, or the flap's held one it folded into), and no
    # more than one opens.
    for k, (cut_at, _) in enumerate(cuts):
        period_end = cuts[k + 1][0] if k + 1 < len(cuts) else end
        open_in = [sp for sp in spans if sp[0] < period_end and sp[1] > cut_at]
        opened_in = [sp for sp in spans if cut_at <= sp[0] < period_end]
        assert open_in, f"cut {k + 1} had no incident: {summary}; cuts {cut_s}"
        assert len(opened_in) <= 1, f"cut {k + 1} opened {len(opened_in)} incidents: {summary}; cuts {cut_s}"
    assert len(incidents) < CUTS, f"the flap was not folded: {summary}"

    # The SLA: the agencies behind the CPE were down for the cuts, the others never.
    real = sum(r - c for c, r in cuts)
    behind = {a.id for a in lab.network.agencies_by_cpe[cpe]}
    assert behind
    wrong = {
        agency_id: (round(row.down_s, 1), round(real if agency_id in behind else 0.0, 1))
        for agency_id, row in sla.items()
        if abs(row.down_s - (real if agency_id in behind else 0.0)) > TOLERANCE_S
        or row.monitored_s < 0.9 * (end - start)
    }
    assert not wrong, f"agency: (recorded, real) downtime: {wrong}; cuts {cut_s}; incidents {summary}"
