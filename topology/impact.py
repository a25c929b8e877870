"""Who loses the core when a node, a link or a whole duct fails — in near-linear time.

The network is an undirected multigraph with one or more *core* nodes. A virtual root ``R`` is
joined to every core, and one depth-first search from ``R`` (Tarjan's low-points, with edges
told apart by id so that parallel links are never bridges) answers every single failure:

* **node** ``a`` fails: the DFS subtree of each child ``c`` of ``a`` with ``low[c] >= disc[a]``
  loses every path to ``R``. That union is ``a``'s subtree in the dominator tree; in an
  undirected graph ``idom(c) = a if low[c] >= disc[a] else idom(a)``, so the whole dominator
  tree costs O(n).
* **link** (tree edge ``a``–``c``) fails: ``subtree(c)`` is cut off iff ``low[c] > disc[a]``.
* **duct** (a shared-risk group ``F`` of links) fails: only the tree edges of ``F`` can split
  the DFS tree, into pieces; a union of pieces is cut off iff no surviving edge leaves it.
  Every non-tree edge gets a random 64-bit label; the XOR of labels over a set of nodes is the
  XOR over the edges that leave it, so a set is closed iff its XOR is zero (up to a 2⁻⁶⁴ chance,
  which an exact check of the answer then rules out, falling back to a search). The cut-off
  pieces are the union of the null space of a tiny GF(2) system — O(k²) for a duct of k links.

Each DFS subtree is a contiguous range of the pre-order, so a cut-off set is a handful of ranges:
counts and service-level weights come from prefix sums in O(1) per range, and node lists are
built only when asked for.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

import networkx as nx

from govnet.errors import TopologyError

Node = Hashable
#: A cut-off set as pre-order ranges [start, end) minus nested ranges already excluded.
Ranges = list[tuple[int, int]]


@dataclass
class _Dfs:
    """Arrays of one iterative DFS over integer nodes."""

    disc: list[int]
    low: list[int]
    parent: list[int]
    parent_edge: list[int]
    size: list[int]
    order: list[int]
    roots: list[int]


def _dfs(adj: Sequence[Sequence[tuple[int, int]]], roots: Iterable[int]) -> _Dfs:
    """Iterative DFS from each root in turn; low-points skip only the exact parent edge."""
    n = len(adj)
    disc = [-1] * n
    low = [0] * n
    parent = [-1] * n
    parent_edge = [-1] * n
    size = [1] * n
    order: list[int] = []
    started: list[int] = []
    for root in roots:
        if disc[root] != -1:
            continue
        started.append(root)
        disc[root] = low[root] = len(order)
        order.append(root)
        stack = [(root, iter(adj[root]))]
        while stack:
            u, it = stack[-1]
            pe = parent_edge[u]
            for v, e in it:
                if e == pe:
                    continue
                if disc[v] == -1:
                    parent[v] = u
                    parent_edge[v] = e
                    disc[v] = low[v] = len(order)
                    order.append(v)
                    stack.append((v, iter(adj[v])))
                    break
                low[u] = min(low[u], disc[v])
            else:
                stack.pop()
                p = parent[u]
                if p != -1:
                    low[p] = min(low[p], low[u])
                    size[p] += size[u]
    return _Dfs(disc, low, parent, parent_edge, size, order, started)


@dataclass
class EdgeRef:
    """One edge of the analysed multigraph, by its end nodes and key."""

    u: Node
    v: Node
    key: Hashable


@dataclass
class ImpactAnalysis:
    """Failure impact of every node, link and shared-risk group toward a set of core nodes.

    Build with :func:`analyse`. Node lists are computed on demand from pre-order ranges.
    """

    nodes: list[Node]
    index: dict[Node, int]
    edges: list[EdgeRef]
    edge_index: dict[tuple[Node, Node, Hashable], int]
    cores: list[Node]
    _adj: list[list[tuple[int, int]]] = field(repr=False)
    _dfs: _Dfs = field(repr=False)
    _prefix: list[float] = field(repr=False)
    _labels: dict[int, int] = field(repr=False)
    _subtree_xor: list[int] = field(repr=False)
    _children: list[list[int]] = field(repr=False)
    _edge_ends: list[tuple[int, int]] = field(repr=False)
    standard_articulation_points: list[Node] = field(default_factory=list)
    standard_bridges: list[EdgeRef] = field(default_factory=list)

    # ------------------------------------------------------------------ basics

    @property
    def root(self) -> int:
        """The virtual root's integer id."""
        return len(self.nodes)

    def reachable(self, node: Node) -> bool:
        """Whether a node has a path to a core at all (before any failure)."""
        return self._dfs.disc[self.index[node]] != -1

    @property
    def unreachable(self) -> list[Node]:
        """Nodes with no path to any core even with nothing failed (islands)."""
        return [self.nodes[i] for i in range(len(self.nodes)) if self._dfs.disc[i] == -1]

    def _subtree(self, i: int) -> tuple[int, int]:
        start = self._dfs.disc[i]
        return start, start + self._dfs.size[i]

    def _ranges_nodes(self, ranges: Ranges) -> list[Node]:
        order = self._dfs.order
        return [self.nodes[order[p]] for start, end in ranges for p in range(start, end)]

    def _ranges_weight(self, ranges: Ranges) -> float:
        return sum(self._prefix[end] - self._prefix[start] for start, end in ranges)

    # ------------------------------------------------------------------ single failures

    def _node_ranges(self, i: int) -> Ranges:
        d = self._dfs
        if d.disc[i] == -1:
            return []
        return [self._subtree(c) for c in self._children[i] if d.low[c] >= d.disc[i]]

    def node_cut(self, node: Node) -> list[Node]:
        """Nodes other than ``node`` that lose every path to the core when ``node`` fails."""
        return self._ranges_nodes(self._node_ranges(self.index[node]))

    def node_cut_weight(self, node: Node) -> float:
        """Total weight of :meth:`node_cut` (without the node's own weight)."""
        return self._ranges_weight(self._node_ranges(self.index[node]))

    def _bridge_child(self, eid: int) -> int | None:
        """The lower end of a tree edge whose loss cuts its subtree off, else None."""
        d = self._dfs
        for end in self._edge_ends[eid]:
            if d.parent_edge[end] == eid and d.low[end] > d.disc[d.parent[end]]:
                return end
        return None

    def _edge_ranges(self, eid: int) -> Ranges:
        child = self._bridge_child(eid)
        return [self._subtree(child)] if child is not None else []

    def link_cut(self, edge: int) -> list[Node]:
        """Nodes that lose the core when edge number ``edge`` (see :attr:`edges`) fails."""
        return self._ranges_nodes(self._edge_ranges(edge))

    def link_cut_weight(self, edge: int) -> float:
        """Total weight of :meth:`link_cut`."""
        return self._ranges_weight(self._edge_ranges(edge))

    # ------------------------------------------------------------------ shared-risk groups

    def _group_ranges(self, edge_ids: Iterable[int]) -> Ranges:
        d = self._dfs
        failed = set(edge_ids)
        lows: list[int] = []  # lower ends of failed tree edges
        non_tree: list[int] = []
        for eid in failed:
            a, b = self._edge_ends[eid]
            if d.disc[a] == -1:
                continue
            if d.parent_edge[a] == eid:
                lows.append(a)
            elif d.parent_edge[b] == eid:
                lows.append(b)
            else:
                non_tree.append(eid)
        if not lows:
            return []
        lows.sort(key=lambda x: d.disc[x])
        k = len(lows)
        starts = [d.disc[c] for c in lows]
        ends = [d.disc[c] + d.size[c] for c in lows]
        # Nesting of the pieces: the enclosing failed subtree of each one (a stack over intervals).
        enclosing = [-1] * k
        stack: list[int] = []
        for i in range(k):
            while stack and ends[stack[-1]] <= starts[i]:
                stack.pop()
            enclosing[i] = stack[-1] if stack else -1
            stack.append(i)
        values = [self._subtree_xor[c] for c in lows]
        for i in range(k):
            if enclosing[i] != -1:
                values[enclosing[i]] ^= self._subtree_xor[lows[i]]

        def piece_of(pos: int) -> int:
            best = -1
            for i in range(k):
                if starts[i] <= pos < ends[i]:
                    best = i  # later (deeper) intervals win: sorted by start, nested inside
            return best

        for eid in non_tree:
            label = self._labels.get(eid, 0)
            for end in self._edge_ends[eid]:
                piece = piece_of(d.disc[end])
                if piece != -1:
                    values[piece] ^= label
        # Gaussian elimination over GF(2): which combinations of pieces XOR to zero?
        basis: list[tuple[int, int]] = []  # (value with a leading bit, combination mask)
        closed_mask = 0
        for i in range(k):
            value, mask = values[i], 1 << i
            for b_value, b_mask in basis:
                if value ^ b_value < value:
                    value ^= b_value
                    mask ^= b_mask
            if value == 0:
                closed_mask |= mask
            else:
                basis.append((value, mask))
                basis.sort(key=lambda t: -t[0])
        ranges: Ranges = []
        for i in range(k):
            if closed_mask >> i & 1:
                ranges.extend(self._piece_ranges(i, starts, ends, enclosing))
        if ranges and not self._is_closed(ranges, failed):
            return self._group_ranges_by_search(failed)  # a 2^-64 label collision: be exact
        return ranges

    @staticmethod
    def _piece_ranges(i: int, starts: list[int], ends: list[int], enclosing: list[int]) -> Ranges:
        """Range i minus the ranges directly nested in it."""
        holes = sorted((starts[j], ends[j]) for j in range(len(starts)) if enclosing[j] == i)
        out: Ranges = []
        cursor = starts[i]
        for hs, he in holes:
            if hs > cursor:
                out.append((cursor, hs))
            cursor = max(cursor, he)
        if cursor < ends[i]:
            out.append((cursor, ends[i]))
        return out

    def _is_closed(self, ranges: Ranges, failed: set[int]) -> bool:
        """Exact check: no surviving edge leaves the claimed cut-off set."""
        d = self._dfs
        inside = set()
        for start, end in ranges:
            inside.update(d.order[start:end])
        for u in inside:
            for v, e in self._adj[u]:
                if e not in failed and v not in inside:
                    return False
        return True

    def _group_ranges_by_search(self, failed: set[int]) -> Ranges:
        seen = {self.root}
        frontier = [self.root]
        while frontier:
            u = frontier.pop()
            for v, e in self._adj[u]:
                if e not in failed and v not in seen:
                    seen.add(v)
                    frontier.append(v)
        d = self._dfs
        cut = sorted(d.disc[i] for i in range(len(self.nodes)) if d.disc[i] != -1 and i not in seen)
        ranges: Ranges = []
        for pos in cut:
            if ranges and ranges[-1][1] == pos:
                ranges[-1] = (ranges[-1][0], pos + 1)
            else:
                ranges.append((pos, pos + 1))
        return ranges

    def group_cut(self, edges: Iterable[int]) -> list[Node]:
        """Nodes that lose the core when every edge of a shared-risk group fails at once."""
        return self._ranges_nodes(self._group_ranges(edges))

    def group_cut_weight(self, edges: Iterable[int]) -> float:
        """Total weight of :meth:`group_cut`."""
        return self._ranges_weight(self._group_ranges(edges))


def _standard(adj: list[list[tuple[int, int]]], n: int) -> tuple[list[int], list[int]]:
    """Articulation points and bridges of the graph itself (call before the virtual root is added)."""
    d = _dfs(adj, range(n))
    points: set[int] = set()
    bridges: list[int] = []
    root_children: dict[int, int] = {}
    for v in range(n):
        p = d.parent[v]
        if p == -1:
            continue
        if d.parent[p] == -1:
            root_children[p] = root_children.get(p, 0) + 1
        elif d.low[v] >= d.disc[p]:
            points.add(p)
        if d.low[v] > d.disc[p]:
            bridges.append(d.parent_edge[v])
    points.update(r for r, count in root_children.items() if count > 1)
    return sorted(points, key=lambda i: d.disc[i]), bridges


def analyse(
    graph: nx.Graph | nx.MultiGraph,
    cores: Sequence[Node],
    weights: dict[Node, float] | None = None,
    *,
    seed: int = 0x6F76_6E65_74,
) -> ImpactAnalysis:
    """Run the failure-impact analysis of ``graph`` toward ``cores``.

    ``weights`` gives each node's importance (default 1); cut-off weights sum them.

    >>> g = nx.MultiGraph([("core", "hub"), ("hub", "a"), ("hub", "b"), ("a", "b")])
    >>> g.add_edges_from([("hub", "c"), ("hub", "c")])  # two parallel links
    [0, 1]
    >>> r = analyse(g, ["core"])
    >>> sorted(r.node_cut("hub")), r.node_cut("a")
    (['a', 'b', 'c'], [])
    >>> [e for e in range(len(r.edges)) if r.link_cut(e)]  # only core-hub: the parallel links back each other
    [0]
    """
    if not cores:
        raise TopologyError("no core node given", hint="name the core node(s) the network is served from")
    missing = [c for c in cores if c not in graph]
    if missing:
        raise TopologyError(f"core node(s) not in the graph: {', '.join(map(str, missing))}")
    nodes = list(graph.nodes)
    index = {node: i for i, node in enumerate(nodes)}
    n = len(nodes)
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n + 1)]
    edges: list[EdgeRef] = []
    edge_index: dict[tuple[Node, Node, Hashable], int] = {}
    multi = graph.is_multigraph()
    iterator = graph.edges(keys=True) if multi else ((u, v, 0) for u, v in graph.edges())
    for u, v, key in iterator:
        eid = len(edges)
        edges.append(EdgeRef(u, v, key))
        edge_index[(u, v, key)] = eid
        edge_index[(v, u, key)] = eid
        if u == v:
            continue
        iu, iv = index[u], index[v]
        adj[iu].append((iv, eid))
        adj[iv].append((iu, eid))
    points, bridge_ids = _standard(adj, n)
    root = n
    virtual = len(edges)
    for offset, core in enumerate(dict.fromkeys(cores)):
        adj[root].append((index[core], virtual + offset))
        adj[index[core]].append((root, virtual + offset))
    d = _dfs(adj, [root])
    # Labels of non-tree edges, XOR per node, XOR per subtree (accumulated in reverse pre-order).
    rng = random.Random(seed)
    labels: dict[int, int] = {}
    node_xor = [0] * (n + 1)
    for u in range(n + 1):
        if d.disc[u] == -1:
            continue
        for v, e in adj[u]:
            if u < v and d.parent_edge[v] != e and d.parent_edge[u] != e:
                label = labels.setdefault(e, rng.getrandbits(64))
                node_xor[u] ^= label
                node_xor[v] ^= label
    subtree_xor = list(node_xor)
    for u in reversed(d.order):
        p = d.parent[u]
        if p != -1:
            subtree_xor[p] ^= subtree_xor[u]
    w = weights or {}
    order_weights = [float(w.get(nodes[i], 1.0)) if i < n else 0.0 for i in d.order]
    prefix = [0.0, *accumulate(order_weights)]
    children: list[list[int]] = [[] for _ in range(n + 1)]
    for v, p in enumerate(d.parent):
        if p != -1:
            children[p].append(v)
    return ImpactAnalysis(
        nodes=nodes,
        index=index,
        edges=edges,
        edge_index=edge_index,
        cores=list(cores),
        _adj=adj,
        _dfs=d,
        _prefix=prefix,
        _labels=labels,
        _subtree_xor=subtree_xor,
        _children=children,
        _edge_ends=[(index[e.u], index[e.v]) for e in edges],
        standard_articulation_points=[nodes[i] for i in points],
        standard_bridges=[edges[e] for e in bridge_ids],
    )
