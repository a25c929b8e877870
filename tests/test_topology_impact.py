"""The impact algorithm against hand-made graphs with known answers and against brute force."""

from __future__ import annotations

import random
from collections.abc import Hashable

import networkx as nx
import pytest

from govnet.errors import TopologyError
from govnet.topology.impact import ImpactAnalysis, analyse


def brute_cut(
    g: nx.MultiGraph,
    cores: list[str],
    *,
    result: ImpactAnalysis,
    nodes: frozenset[str] = frozenset(),
    edges: frozenset[int] | set[int] = frozenset(),
) -> set[Hashable]:
    """Nodes with a path to a core before, and none after removing ``nodes`` and ``edges``."""

    def reach(skip_nodes: set[str], skip_edges: set[int]) -> set[Hashable]:
        h = nx.Graph()
        h.add_nodes_from(n for n in g if n not in skip_nodes)
        for eid, ref in enumerate(result.edges):
            if eid not in skip_edges and ref.u not in skip_nodes and ref.v not in skip_nodes:
                h.add_edge(ref.u, ref.v)
        seen: set[Hashable] = set()
        for core in cores:
            if core in h:
                seen |= nx.node_connected_component(h, core)
        return seen

    return reach(set(), set()) - reach(set(nodes), set(edges)) - set(nodes)


def random_multigraph(rng: random.Random, n: int, extra: int) -> nx.MultiGraph:
    g = nx.MultiGraph()
    g.add_nodes_from(f"n{i}" for i in range(n))
    for i in range(1, n):  # a random tree, then extra edges (some parallel, some islands)
        if rng.random() < 0.93:
            g.add_edge(f"n{i}", f"n{rng.randrange(i)}")
    for _ in range(extra):
        a, b = rng.randrange(n), rng.randrange(n)
        if a != b:
            g.add_edge(f"n{a}", f"n{b}")
    return g


@pytest.mark.parametrize("seed", range(40))
def test_matches_brute_force_on_random_multigraphs(seed: int) -> None:
    rng = random.Random(seed)
    g = random_multigraph(rng, rng.randrange(5, 40), rng.randrange(0, 25))
    cores = rng.sample(sorted(g.nodes), rng.choice([1, 1, 2, 3]))
    r = analyse(g, cores)
    for node in g:
        assert set(r.node_cut(node)) == brute_cut(g, cores, nodes=frozenset({node}), result=r), node
    for eid in range(len(r.edges)):
        assert set(r.link_cut(eid)) == brute_cut(g, cores, edges={eid}, result=r), eid
    for _ in range(30):  # random shared-risk groups of 1..6 links
        group = (
            set(rng.sample(range(len(r.edges)), min(len(r.edges), rng.randrange(1, 7)))) if r.edges else set()
        )
        assert set(r.group_cut(group)) == brute_cut(g, cores, edges=group, result=r), group


@pytest.mark.parametrize("seed", range(15))
def test_standard_points_and_bridges_match_networkx(seed: int) -> None:
    rng = random.Random(1000 + seed)
    g = random_multigraph(rng, rng.randrange(5, 60), rng.randrange(0, 30))
    r = analyse(g, [next(iter(g))])
    simple = nx.Graph(g)
    assert set(r.standard_articulation_points) == set(nx.articulation_points(simple))
    multiplicity = {frozenset((u, v)): g.number_of_edges(u, v) for u, v in simple.edges}
    expected = {frozenset(e) for e in nx.bridges(simple) if multiplicity[frozenset(e)] == 1}
    assert {frozenset((b.u, b.v)) for b in r.standard_bridges} == expected


def edge_ids(r: ImpactAnalysis, u: str, v: str) -> list[int]:
    return [i for i, e in enumerate(r.edges) if {e.u, e.v} == {u, v}]


def test_parallel_links_are_not_a_spof_unless_they_share_a_duct() -> None:
    g = nx.MultiGraph()
    g.add_edge("core", "hub")
    g.add_edge("hub", "spur")
    g.add_edge("hub", "spur")
    g.add_edge("spur", "cpe")
    r = analyse(g, ["core"])
    spur_links = edge_ids(r, "hub", "spur")
    assert len(spur_links) == 2
    assert all(r.link_cut(e) == [] for e in spur_links)
    assert sorted(map(str, r.group_cut(spur_links))) == ["cpe", "spur"]  # both in one duct: a SPOF after all
    assert sorted(map(str, r.node_cut("hub"))) == ["cpe", "spur"]


def test_ring_uplinks_in_one_duct_cut_the_hub_off() -> None:
    # core - a - b - c - core ring; b's two ring links share a duct.
    g = nx.MultiGraph([("core", "a"), ("a", "b"), ("b", "c"), ("c", "core"), ("b", "cpe")])
    r = analyse(g, ["core"])
    assert r.node_cut("a") == [] and r.node_cut("c") == []
    assert r.node_cut("b") == ["cpe"]
    duct = edge_ids(r, "a", "b") + edge_ids(r, "b", "c")
    assert sorted(map(str, r.group_cut(duct))) == ["b", "cpe"]
    # Two breaks of the ring anywhere cut off what lies between them.
    assert sorted(map(str, r.group_cut(edge_ids(r, "a", "b") + edge_ids(r, "c", "core")))) == [
        "b",
        "c",
        "cpe",
    ]
    assert r.group_cut(edge_ids(r, "a", "b")) == []  # one break alone: the ring holds


def test_dual_homed_agency_and_two_cores() -> None:
    g = nx.MultiGraph(
        [("core1", "core2"), ("core1", "hub1"), ("core2", "hub2"), ("hub1", "cpe"), ("hub2", "cpe")]
    )
    g.add_edge("hub1", "single")
    r = analyse(g, ["core1", "core2"])
    assert r.node_cut("hub1") == ["single"]
    assert r.node_cut("hub2") == []
    # core1 is a core: failing it cuts off only what only it connected. hub1 still reaches core2 via cpe.
    assert r.node_cut("core1") == []
    assert r.link_cut(edge_ids(r, "core1", "core2")[0]) == []


def test_a_core_cuts_off_what_only_it_connects() -> None:
    g = nx.MultiGraph([("core1", "core2"), ("core1", "hub1"), ("hub1", "x"), ("core2", "hub2")])
    r = analyse(g, ["core1", "core2"])
    assert sorted(map(str, r.node_cut("core1"))) == ["hub1", "x"]
    assert r.node_cut("core2") == ["hub2"]


def test_island_is_unreachable_and_never_blamed_on_a_failure() -> None:
    g = nx.MultiGraph([("core", "hub"), ("hub", "cpe"), ("lost1", "lost2")])
    r = analyse(g, ["core"])
    assert sorted(map(str, r.unreachable)) == ["lost1", "lost2"]
    assert r.node_cut("lost1") == []
    assert "lost2" not in r.node_cut("hub")


def test_weights_sum_over_the_cut() -> None:
    g = nx.MultiGraph([("core", "hub"), ("hub", "a"), ("hub", "b")])
    r = analyse(g, ["core"], weights={"a": 3, "b": 2, "hub": 10})
    assert r.node_cut_weight("hub") == 5
    assert r.link_cut_weight(edge_ids(r, "core", "hub")[0]) == 15


def test_unknown_core_is_a_clear_error() -> None:
    with pytest.raises(TopologyError, match="not in the graph: nowhere"):
        analyse(nx.MultiGraph([("a", "b")]), ["nowhere"])
