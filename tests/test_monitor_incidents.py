"""One incident per fault, with its blast radius, on the sample province (no network)."""

from __future__ import annotations

from govnet.inventory.network import Network
from govnet.monitor.incidents import correlate


def behind(net: Network, hub: str) -> set[str]:
    """The hub and every edge device hanging only off it."""
    out = {hub}
    for link in net.links_by_device[hub]:
        other = link.b_device if link.a_device == hub else link.a_device
        neighbours = {
            lk.b_device if lk.a_device == other else lk.a_device for lk in net.links_by_device[other]
        }
        if net.devices[other].role.value not in {"hub", "core"} and neighbours == {hub}:
            out.add(other)
    return out


def links_of(net: Network, devices: set[str]) -> set[str]:
    """Every link of the devices (the correlation itself ignores the ones nobody can observe)."""
    return {lk.id for d in devices for lk in net.links_by_device[d]}


def test_a_dead_hub_is_one_incident_with_every_agency_behind_it(net: Network) -> None:
    silent = behind(net, "hub-bdg")
    down = links_of(net, {"hub-bdg"})
    incidents = correlate(net, down, silent)
    assert len(incidents) == 1
    (hub,) = incidents
    assert (hub.kind, hub.root_cause) == ("node", "hub-bdg")
    summary = hub.as_dict()["blast_radius"]
    assert summary["agencies"] == 26 and summary["bts_sites"] == 1 and summary["hotspots"] == 1
    assert set(hub.devices_cut_off) == silent - {"hub-bdg"}


def test_a_cut_duct_names_the_duct_and_the_lookalike_hub(net: Network) -> None:
    ducted = {lk.id for lk in net.links if "ql13-chon-thanh-exit" in lk.ducts}
    incidents = correlate(net, ducted, behind(net, "hub-ct"))
    assert [(i.kind, i.root_cause) for i in incidents] == [("duct", "ql13-chon-thanh-exit")]
    assert incidents[0].also_possible == ["node:hub-ct"]
    assert incidents[0].as_dict()["blast_radius"]["agencies"] == 26


def test_a_redundant_link_down_has_no_blast_radius(net: Network) -> None:
    ring = next(lk.id for lk in net.links if {lk.a_device, lk.b_device} == {"core-01", "hub-dx"})
    (incident,) = correlate(net, [ring], [])
    assert (incident.kind, incident.root_cause, incident.blast_radius) == ("link", ring, [])


def test_a_single_homed_agency_link(net: Network) -> None:
    cpe = "cpe-dx-phong-noi-vu"
    (link,) = net.links_by_device[cpe]
    (incident,) = correlate(net, [link.id], [cpe])
    assert incident.kind == "link" and [e.id for e in incident.blast_radius] == ["dx-phong-noi-vu"]


def test_two_faults_at_once_stay_two_incidents(net: Network) -> None:
    silent = behind(net, "hub-bdg") | behind(net, "hub-bl")
    down = links_of(net, {"hub-bdg", "hub-bl"})
    roots = {(i.kind, i.root_cause) for i in correlate(net, down, silent)}
    assert roots == {("node", "hub-bdg"), ("node", "hub-bl")}


def test_a_dead_hub_with_only_one_link_seen_down_yet_is_already_the_node(net: Network) -> None:
    """Neighbours' traps and polls come in over seconds: the first snapshot after a hub dies may
    show one of its links down and the others still up. No single link explains a silent hub
    that has other links, so it is the node, not a link incident replaced seconds later."""
    silent = behind(net, "hub-bdg")
    ring = sorted(
        lk.id
        for lk in net.links_by_device["hub-bdg"]
        if {net.devices[lk.a_device].role.value, net.devices[lk.b_device].role.value} <= {"hub", "core"}
    )
    incidents = correlate(net, ring[:1], silent)
    assert [(i.kind, i.root_cause, i.links_down) for i in incidents] == [("node", "hub-bdg", ring[:1])]
    assert incidents[0].as_dict()["blast_radius"]["agencies"] == 26
