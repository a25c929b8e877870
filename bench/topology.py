"""Benchmark: the full failure-impact analysis (every node, link and duct) on generated networks.

For each size (1k, 25k, 100k nodes) it builds one network shaped like a national roll-up of
TSLCD provinces: two cores per region on a regional ring of hubs, hubs feeding CPEs (most
single-homed, some dual-homed to a neighbouring hub), feeder ducts holding several CPE links,
and some ring segments sharing a duct. On the *same* graph, in the same run, it times:

* govnet: :func:`govnet.topology.impact.analyse` plus the impact weight of every node, every link and
  every duct; then the same with every cut-off list materialised;
* NetworkX's own ``articulation_points`` + ``bridges`` (which answer far less: no impact sets,
  no ducts);
* rustworkx's ``articulation_points`` + ``bridges``.

The contenders run interleaved: each repetition times every contender once, the order turning
between repetitions, so load from elsewhere falls on all of them alike; printed: the median and
the minimum wall time of ``--repeat`` (at least 3) repetitions, the ratios of the medians, and the
load average before and after each size.

Run: ``.venv/bin/python bench/topology.py [--sizes 1000,25000,100000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# This file is bench/topology.py: drop bench/ from the path so "topology" is govnet's package.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import networkx as nx

from govnet.topology.impact import analyse


def generate(n_nodes: int, seed: int = 7) -> tuple[nx.MultiGraph, list[str], dict[str, list[int]]]:
    """A network of about ``n_nodes`` nodes; returns the graph, its cores and the ducts (edge ids)."""
    rng = random.Random(seed)
    g = nx.MultiGraph()
    ducts: dict[str, list[tuple[str, str, int]]] = {}
    hubs_per_region, cpes_per_hub = 12, 28
    region_size = 2 + hubs_per_region * (1 + cpes_per_hub)
    regions = max(1, round(n_nodes / region_size))
    cores: list[str] = []

    def link(u: str, v: str, duct: str | None) -> None:
        key = g.add_edge(u, v)
        if duct:
            ducts.setdefault(duct, []).append((u, v, key))

    national = [f"r{r}-core1" for r in range(regions)]
    for r in range(regions):
        c1, c2 = f"r{r}-core1", f"r{r}-core2"
        cores += [c1, c2]
        link(c1, c2, f"r{r}-dc")
        ring = [c1] + [f"r{r}-hub{h}" for h in range(hubs_per_region)] + [c2]
        for i, (a, b) in enumerate(itertools.pairwise(ring)):
            link(a, b, f"r{r}-ring{i}")
            if i % 5 == 4:  # a "redundant" pair of ring links leaving one town in one duct
                link(a, b, None)
                ducts[f"r{r}-ring{i}"].append((a, b, max(g[a][b])))
        for h in range(hubs_per_region):
            hub = f"r{r}-hub{h}"
            for c in range(cpes_per_hub):
                cpe = f"{hub}-cpe{c}"
                feeder = f"{hub}-feeder{c // 4}"
                link(hub, cpe, feeder)
                if rng.random() < 0.07:  # dual-homed to the next hub
                    other = f"r{r}-hub{(h + 1) % hubs_per_region}"
                    link(other, cpe, f"{other}-feeder-x{c // 4}" if rng.random() < 0.8 else feeder)
    for a, b in zip(national, national[1:] + national[:1], strict=False):  # national ring
        if a != b:
            link(a, b, f"national-{a}")
    index: dict[tuple[str, str, int], int] = {}
    for i, (u, v, k) in enumerate(g.edges(keys=True)):
        index[(u, v, k)] = index[(v, u, k)] = i
    duct_ids = {d: [index[e] for e in members] for d, members in ducts.items()}
    return g, cores, duct_ids


def interleaved(contenders: dict[str, Callable[[], Any]], repeat: int) -> dict[str, list[float]]:
    """Wall times of each contender over ``repeat`` repetitions, every repetition running each
    contender once, the order turning (A B C, B C A, C A B, ...)."""
    names = list(contenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repeat):
        k = rep % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            start = time.perf_counter()
            contenders[name]()
            times[name].append(time.perf_counter() - start)
    return times


def med_min(values: list[float], spec: str = ".3f") -> str:
    """``median (min)`` of wall times, in seconds."""
    return f"{statistics.median(values):{spec}} s ({min(values):{spec}})"


def load() -> str:
    """The 1-, 5- and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="1000,25000,100000")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions (>= 3)")
    args = parser.parse_args()
    if args.repeat < 3:
        sys.exit("--repeat must be 3 or more (median and min of repetitions)")
    rx: Any = None
    try:
        import rustworkx

        rx = rustworkx
    except ImportError:  # pragma: no cover - reported, not fatal
        pass
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"networkx {nx.__version__}, rustworkx {getattr(rx, '__version__', 'not installed')}; "
        f"{args.repeat} interleaved repetitions, wall time median (min)"
    )
    header = (
        "nodes",
        "edges",
        "ducts",
        "govnet full",
        "govnet +lists",
        "nx AP+bridges",
        "rx AP+bridges",
        "govnet/nx",
        "govnet/rx",
        "load before -> after",
    )
    print(" | ".join(header))
    for size in (int(s) for s in args.sizes.split(",")):
        before = load()
        row = run_size(size, args.repeat, rx)
        print(" | ".join((*row, f"{before} -> {load()}")), flush=True)


def run_size(size: int, repeat: int, rx: Any) -> tuple[str, ...]:
    """Time every contender on one generated graph; return the table row."""
    g, cores, ducts = generate(size)

    def govnet_full() -> float:
        r = analyse(g, cores)
        total = 0.0
        for node in g.nodes:
            total += r.node_cut_weight(node)
        for eid in range(len(r.edges)):
            total += r.link_cut_weight(eid)
        for members in ducts.values():
            total += r.group_cut_weight(members)
        return total

    def govnet_lists() -> int:
        r = analyse(g, cores)
        total = 0
        for node in g.nodes:
            total += len(r.node_cut(node))
        for eid in range(len(r.edges)):
            total += len(r.link_cut(eid))
        for members in ducts.values():
            total += len(r.group_cut(members))
        return total

    simple = nx.Graph(g)

    def nx_basic() -> int:
        return len(list(nx.articulation_points(simple))) + len(list(nx.bridges(simple)))

    contenders: dict[str, Callable[[], Any]] = {
        "full": govnet_full,
        "lists": govnet_lists,
        "nx": nx_basic,
    }
    if rx is not None:
        rg = rx.networkx_converter(simple)

        def rx_basic() -> int:
            return len(rx.articulation_points(rg)) + len(rx.bridges(rg))

        contenders["rx"] = rx_basic
    times = interleaved(contenders, repeat)
    full, nxm = statistics.median(times["full"]), statistics.median(times["nx"])
    rxm = statistics.median(times["rx"]) if "rx" in times else float("nan")
    return (
        f"{g.number_of_nodes()}",
        f"{g.number_of_edges()}",
        f"{len(ducts)}",
        med_min(times["full"]),
        f"{med_min(times['lists'])} ({govnet_lists()} cut-off entries)",
        med_min(times["nx"]),
        med_min(times["rx"], ".4f") if "rx" in times else "n/a",
        f"{full / nxm:.2f}x",
        f"{full / rxm:.0f}x",
    )


if __name__ == "__main__":
    main()
