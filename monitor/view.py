"""The NOC's terminal view: open incidents first, then the worst links, from the store."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from govnet.inventory.network import Network
from govnet.monitor.store import IncidentRow, Store


def incidents_table(rows: Sequence[IncidentRow]) -> Table:
    """Incidents with their blast radius."""
    table = Table(title=f"incidents ({len(rows)})", expand=True)
    for column in ("id", "kind", "root cause", "agencies", "BTS", "hotspots", "opened", "state"):
        table.add_column(column)
    for row in rows:
        radius = row.detail.get("blast_radius", {})
        opened = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.opened))
        state = "open" if row.closed is None else "closed"
        if row.acknowledged_by:
            state += f" (ack {row.acknowledged_by})"
        if row.detail.get("flapping"):
            state += " flapping"
        table.add_row(
            str(row.id),
            row.kind,
            row.root_cause,
            str(radius.get("agencies", 0)),
            str(radius.get("bts_sites", 0)),
            str(radius.get("hotspots", 0)),
            opened,
            state,
        )
    return table


def render(store: Store, network: Network, worst: int = 12) -> Group:
    """Header, open incidents, and the worst links (down first, then the busiest)."""
    rows = store.current()
    devices = [r for r in rows if r.kind == "device"]
    links = [r for r in rows if r.kind == "link"]
    endpoints = [r for r in rows if r.kind == "endpoint" and r.name.startswith("agency:")]
    header = Text(
        f"devices answering {sum(r.state == 'up' for r in devices)}/{len(network.devices)}   "
        f"links down {sum(r.state == 'down' for r in links)}/{len(network.links)}   "
        f"agencies online {sum(r.state == 'up' for r in endpoints)}/{len(network.agencies)}   "
        f"{time.strftime('%H:%M:%S')}",
        style="bold",
    )

    def badness(state: str, util: float) -> tuple[int, float]:
        return ({"down": 0, "unknown": 1}.get(state, 2), -util)

    ranked = sorted(links, key=lambda r: badness(r.state, float((r.detail or {}).get("util_pct") or 0.0)))[
        :worst
    ]
    table = Table(title="worst links", expand=True)
    for column in ("link", "state", "utilisation", "since"):
        table.add_column(column)
    for r in ranked:
        util = (r.detail or {}).get("util_pct")
        style = {"down": "red", "unknown": "yellow"}.get(r.state, "")
        table.add_row(
            r.name,
            Text(r.state, style=style),
            "-" if util is None else f"{float(util):.1f} %",
            time.strftime("%H:%M:%S", time.localtime(r.since)),
        )
    return Group(header, incidents_table(store.incidents(open_only=True, limit=10)), table)
