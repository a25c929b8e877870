"""Topology on the sample province and on GraphML files: known SPOFs, what-if, exports, drift."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from govnet.cli import main
from govnet.errors import TopologyError
from govnet.inventory.network import Network
from govnet.topology import export
from govnet.topology.drift import Neighbour, compare
from govnet.topology.report import SpofReport, inventory_report
from govnet.topology.suggest import suggest_links
from govnet.topology.whatif import Failure, what_if


@pytest.fixture(scope="session")
def network(net: Network) -> Network:
    """The session's sample province (conftest)."""
    return net


@pytest.fixture(scope="module")
def report(network: Network) -> SpofReport:
    return inventory_report(network)


def test_shared_duct_of_chon_thanh_is_a_spof_although_each_uplink_is_not(report: SpofReport) -> None:
    ducts = {i.element: i for i in report.ducts}
    assert "hub-ct" in ducts["ql13-chon-thanh-exit"].devices
    ct_links = [lk.id for lk in report.network.links if "ql13-chon-thanh-exit" in lk.ducts]
    assert len(ct_links) == 2
    assert not set(ct_links) & report.spof_links()  # no single ring link is a SPOF
    counts = ducts["ql13-chon-thanh-exit"].counts()
    assert counts["agencies"] == 26 and counts["bts_sites"] == 1


def test_parallel_spur_fibers_only_fail_together(report: SpofReport) -> None:
    spur = [lk.id for lk in report.network.links if {lk.a_device, lk.b_device} == {"hub-pl", "hub-bgm"}]
    assert len(spur) == 2 and not set(spur) & report.spof_links()
    ducts = {i.element: i for i in report.ducts}
    assert "hub-bgm" in ducts["spur-pl-bgm"].devices


def test_dual_homed_agencies_survive_their_hub_unless_their_uplinks_share_a_duct(report: SpofReport) -> None:
    nodes = {i.element: i for i in report.nodes}
    lost = {e.id for e in nodes["hub-dx"].endpoints}
    assert "so-thong-tin-va-truyen-thong" not in lost  # gold, dual-homed on diverse ducts
    assert "dx-phong-noi-vu" in lost  # single-homed
    ducts = {i.element: i for i in report.ducts}
    assert [e.id for e in ducts["dx-phu-rieng-do"].endpoints] == ["benh-vien-da-khoa-tinh-binh-phuoc"]
    # A dual-homed CPE is no transit: the failure of one is only its own agency.
    assert nodes["cpe-so-y-te"].devices == []


def test_ranking_puts_district_hubs_and_the_shared_duct_on_top(report: SpofReport) -> None:
    top = [f"{i.kind}:{i.element}" for i in report.ranking(5)]
    assert top[0] == "node:hub-dx"
    assert "duct:ql13-chon-thanh-exit" in top
    weights = [i.weight for i in report.ranking()]
    assert weights == sorted(weights, reverse=True)


def test_inventory_spof_json_names_agencies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["topology", "spof", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("articulation_points", "bridges", "node_impact", "link_impact", "duct_impact", "ranking"):
        assert key in doc
    assert "hub-ct" in doc["articulation_points"]
    assert "Huyện ủy Bù Gia Mập" in doc["duct_impact"]["spur-pl-bgm"]


GRAPHML = """<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <graph edgedefault="undirected">
    <node id="0"/><node id="1"/><node id="2"/><node id="3"/><node id="4"/><node id="5"/><node id="6"/>
    <edge source="0" target="1"/><edge source="1" target="2"/><edge source="2" target="0"/>
    <edge source="2" target="3"/><edge source="3" target="4"/><edge source="3" target="4"/>
    <edge source="5" target="6"/>
  </graph>
</graphml>
"""


def test_graphml_spof_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "carrier.graphml"
    path.write_text(GRAPHML, encoding="utf-8")
    assert main(["topology", "spof", "--graphml", str(path), "--core", "0", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert sorted(doc["articulation_points"]) == ["2", "3"]
    assert doc["bridges"] == [["2", "3"], ["5", "6"]]  # a bridge of the graph, though not toward the core
    # The only core cuts off everything when it fails.
    assert doc["node_impact"] == {"0": ["1", "2", "3", "4"], "2": ["3", "4"], "3": ["4"]}
    assert doc["link_impact"] == [{"link": ["2", "3"], "cut_off": ["3", "4"]}]
    assert doc["unreachable"] == ["5", "6"]
    # Two cores: the core itself cuts off what only it connected.
    assert main(["topology", "spof", "--graphml", str(path), "--core", "0,3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["node_impact"] == {"3": ["4"]}


def test_graphml_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.graphml"
    bad.write_text("<graphml><graph", encoding="utf-8")
    assert main(["topology", "spof", "--graphml", str(bad), "--core", "0", "--json"]) == 2
    assert "not well-formed XML" in capsys.readouterr().err
    good = tmp_path / "g.graphml"
    good.write_text(GRAPHML, encoding="utf-8")
    assert main(["topology", "spof", "--graphml", str(good), "--core", "42"]) == 2
    assert "not in the graph: 42" in capsys.readouterr().err
    assert main(["topology", "spof", "--graphml", str(good)]) == 2
    assert "--graphml needs --core" in capsys.readouterr().err


def test_whatif_ring_cut_twice_isolates_the_segment_and_reroutes_the_rest(network: Network) -> None:
    result = what_if(network, [Failure.parse("link:hub-dx--hub-dp"), Failure.parse("link:hub-bdg--hub-pr")])
    assert set(result.lost_devices) >= {"hub-dp", "hub-bdg"}
    assert {e.district for e in result.lost} == {"dong-phu", "bu-dang"}
    pr = [r for r in result.rerouted if r["district"] == "phu-rieng"]
    assert pr and all(r["hops_after"] > r["hops_before"] for r in pr)
    one = what_if(network, [Failure.parse("link:core-01--hub-dx")])
    assert one.lost == []
    assert any(o["link"].startswith("hub-hq") or "hub-ct" in o["link"] for o in one.overloaded)
    for row in one.overloaded:
        assert row["load_mbps"] > row["capacity_mbps"]


def test_whatif_duct_and_node_and_errors(network: Network, capsys: pytest.CaptureFixture[str]) -> None:
    result = what_if(network, [Failure.parse("duct:ql13-chon-thanh-exit")])
    assert len(result.failed_links) == 2 and "hub-ct" in result.lost_devices
    assert main(["topology", "whatif", "--fail", "node:hub-bgm", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["failed_nodes"] == ["hub-bgm"] and doc["lost_count"] == 27
    with pytest.raises(TopologyError, match="unknown duct"):
        what_if(network, [Failure.parse("duct:nowhere")])
    with pytest.raises(TopologyError, match="cannot read failure"):
        Failure.parse("cable:x")


def test_suggestions_close_the_chon_thanh_duct_with_a_hub_link(report: SpofReport) -> None:
    items = suggest_links(report, top=5)
    duct = next(s for s in items if s.failure == "duct:ql13-chon-thanh-exit")
    ((a, b, km),) = duct.links
    assert a == "hub-ct" and b in {"hub-hq", "core-01", "core-02", "hub-dx", "hub-dp", "hub-bl"}
    assert 0 < km < 60 and duct.saves_endpoints == 30


def test_geojson_is_rfc7946_shaped(report: SpofReport) -> None:
    doc = export.geojson(report, device_status={"hub-ct": "down"})
    assert doc["type"] == "FeatureCollection"
    sites = [f for f in doc["features"] if f["properties"]["feature"] == "site"]
    links = [f for f in doc["features"] if f["properties"]["feature"] == "link"]
    assert len(sites) == len(report.network.sites) and len(links) == len(report.network.links)
    box = report.network.province.bbox
    for f in sites:
        lon, lat = f["geometry"]["coordinates"]  # RFC 7946: longitude first
        assert box.min_lon <= lon <= box.max_lon and box.min_lat <= lat <= box.max_lat
    ct = next(f for f in sites if f["properties"]["id"] == "hub-chon-thanh")
    assert ct["properties"]["status"] == "down" and ct["properties"]["spof"] is True
    assert all(len(f["geometry"]["coordinates"]) == 2 for f in links)
    json.dumps(doc)


def test_graphml_export_round_trips(report: SpofReport) -> None:
    text = export.graphml(report)
    g = nx.parse_graphml(text, force_multigraph=True)
    assert g.number_of_nodes() == len(report.network.devices)
    assert g.number_of_edges() == len(report.network.links)
    assert g.nodes["hub-ct"]["spof"] is True


def test_svg_is_well_formed_and_filters_by_district(report: SpofReport, tmp_path: Path) -> None:
    whole = ET.fromstring(export.svg(report))
    one = ET.fromstring(export.svg(report, district="bu-gia-map"))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(one.findall(f"{ns}circle")) < len(whole.findall(f"{ns}circle"))
    assert "Bù Gia Mập" in export.svg(report, district="bu-gia-map")
    out = tmp_path / "p.svg"
    assert main(["topology", "export", "--format", "svg", "--district", "bu-dop", "-o", str(out)]) == 0
    ET.parse(out)
    assert main(["topology", "export", "--format", "png"]) == 2


def test_drift_finds_missing_unexpected_and_miswired(network: Network) -> None:
    ring = [
        lk for lk in network.links if {lk.a_device, lk.b_device} <= {"core-01", "hub-dx", "hub-dp", "core-02"}
    ]
    rows = []
    for lk in ring:
        rows.append(Neighbour(lk.a_device, lk.a_interface, lk.b_device, lk.b_interface))
        rows.append(Neighbour(lk.b_device, lk.b_interface, lk.a_device, lk.a_interface))
    polled = {"core-01", "hub-dx", "hub-dp", "core-02"}
    clean = compare(network, rows, polled)
    assert set(clean.matched) == {lk.id for lk in ring}
    dropped = ring[0]
    rows = [r for r in rows if {r.device, r.remote_system} != {dropped.a_device, dropped.b_device}]
    rows.append(Neighbour("hub-dp", "eth90", "stranger", "ge-0/0/1"))
    rows.append(Neighbour("hub-dx", "eth1", "hub-dp", "eth95"))
    report = compare(network, rows, polled)
    assert report.unexpected == [{"a": "hub-dp:eth90", "b": "stranger:ge-0/0/1", "seen_from": "hub-dp"}]
    assert report.miswired and report.miswired[0]["a"] == "hub-dp:eth95"
    assert not report.clean
    assert dropped.id in report.missing or dropped.id in report.miswired[0]["inventory_links"]
