"""``govnet topology ...``: SPOFs and impact, what-if, suggestions, exports."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from govnet.cli.context import app_context
from govnet.errors import TopologyError
from govnet.monitor.discover import discover as run_discovery
from govnet.output import console, print_json
from govnet.topology import export as exporters
from govnet.topology.graph import read_graphml
from govnet.topology.report import graphml_report, inventory_report
from govnet.topology.suggest import suggest_links
from govnet.topology.whatif import Failure, what_if

app = typer.Typer(
    help="The network as a graph: SPOFs, failure impact, what-if, exports.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


@app.command()
def spof(
    ctx: typer.Context,
    graphml: Annotated[
        Path | None, typer.Option(help="Analyse this GraphML file instead of the inventory.")
    ] = None,
    core: Annotated[
        str | None, typer.Option(help="Core node id(s), comma-separated (with --graphml).")
    ] = None,
    top: Annotated[int, typer.Option(help="How many of the worst failures to rank.")] = 15,
    json: JsonFlag = False,
) -> None:
    """Single points of failure: for every node, link and duct, who loses the core."""
    if graphml is not None:
        if not core:
            raise TopologyError(
                "--graphml needs --core ID[,ID...]", hint="name the node(s) the network is served from"
            )
        doc = graphml_report(read_graphml(graphml), [c.strip() for c in core.split(",") if c.strip()])
        if json:
            print_json(doc)
            return
        points, bridges = len(doc["articulation_points"]), len(doc["bridges"])
        cutting_nodes, cutting_links = len(doc["node_impact"]), len(doc["link_impact"])
        console.print(
            f"{doc['nodes']} nodes, {doc['edges']} edges; {points} articulation points, {bridges} bridges; "
            f"{cutting_nodes} nodes and {cutting_links} links cut someone off from the core",
            highlight=False,
        )
        worst = sorted(doc["node_impact"].items(), key=lambda kv: -len(kv[1]))[:top]
        table = Table(title="Worst node failures")
        table.add_column("node")
        table.add_column("cut off", justify="right")
        for node, cut in worst:
            table.add_row(node, str(len(cut)))
        console.print(table)
        return
    if core is not None:
        raise TopologyError(
            "--core goes with --graphml", hint="the inventory's cores are its devices with role core"
        )

    report = inventory_report(app_context(ctx).network())
    if json:
        print_json(report.as_dict(limit=top))
        return
    table = Table(
        title=f"Worst single failures in {report.network.province.name} (weight: gold 3, silver 2, bronze 1)"
    )
    for column in ("failure", "weight", "agencies", "BTS", "hotspots", "devices cut off"):
        table.add_column(column, justify="left" if column == "failure" else "right")
    for impact in report.ranking(top):
        counts = impact.counts()
        table.add_row(
            f"{impact.kind} {impact.element}",
            f"{impact.weight:g}",
            str(counts["agencies"]),
            str(counts["bts_sites"]),
            str(counts["hotspots"]),
            str(len(impact.devices)),
        )
    console.print(table)
    console.print(
        f"articulation points: {', '.join(report.articulation_points) or 'none'}; "
        f"{len(report.links)} links and {len(report.ducts)} ducts cut someone off",
        highlight=False,
    )


@app.command()
def whatif(
    ctx: typer.Context,
    fail: Annotated[
        list[str], typer.Option("--fail", help="link:A--B, link:A:ethX--B:ethY, node:X or duct:D (repeat).")
    ],
    json: JsonFlag = False,
) -> None:
    """Play a combination of failures: who loses the core, who takes a longer path, what overloads."""
    result = what_if(app_context(ctx).network(), [Failure.parse(f) for f in fail])
    if json:
        print_json(result.as_dict())
        return
    console.print(
        f"failed: {len(result.failed_links)} link(s), {len(result.failed_nodes)} node(s) — "
        f"{len(result.lost)} endpoint(s) lose the core, {len(result.rerouted)} take a longer path, "
        f"{len(result.overloaded)} link(s) over capacity",
        highlight=False,
    )
    if result.lost:
        table = Table(title="Cut off")
        for column in ("kind", "name", "district"):
            table.add_column(column)
        for ep in result.lost:
            table.add_row(ep.kind, ep.name, ep.district)
        console.print(table)
    if result.overloaded:
        table = Table(title="Over capacity")
        for column in ("link", "load Mbit/s", "capacity", "before"):
            table.add_column(column)
        for row in result.overloaded:
            table.add_row(
                str(row["link"]), str(row["load_mbps"]), str(row["capacity_mbps"]), str(row["baseline_mbps"])
            )
        console.print(table)


@app.command()
def suggest(
    ctx: typer.Context,
    top: Annotated[int, typer.Option(help="How many of the worst failures to defuse.")] = 5,
    json: JsonFlag = False,
) -> None:
    """The cheapest extra links (by distance) that remove the worst single points of failure."""
    items = suggest_links(inventory_report(app_context(ctx).network()), top)
    if json:
        print_json({"suggestions": [s.as_dict() for s in items]})
        return
    table = Table(title="Suggested extra links (best value first)")
    for column in ("defuses", "new link(s)", "km", "saves (weight)", "endpoints"):
        table.add_column(column)
    for s in items:
        shown = "; ".join(f"{a} — {b}" for a, b, _ in s.links[:3])
        if len(s.links) > 3:
            shown += f"; … ({s.note})"
        table.add_row(s.failure, shown, f"{s.km:.1f}", f"{s.saves_weight:g}", str(s.saves_endpoints))
    console.print(table)


@app.command()
def export(
    ctx: typer.Context,
    format: Annotated[str, typer.Option("--format", help="graphml, geojson or svg.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    district: Annotated[str | None, typer.Option(help="svg: only this district (id).")] = None,
) -> None:
    """Export the network as GraphML, GeoJSON (RFC 7946, for the IOC map) or SVG."""
    network = app_context(ctx).network()
    if district is not None and district not in network.district_names:
        raise TopologyError(
            f"unknown district '{district}'", hint=f"use one of {', '.join(sorted(network.district_names))}"
        )
    report = inventory_report(network)
    if format == "graphml":
        text = exporters.graphml(report)
    elif format == "geojson":
        text = jsonlib.dumps(exporters.geojson(report), ensure_ascii=False, indent=1) + "\n"
    elif format == "svg":
        text = exporters.svg(report, district=district)
    else:
        raise TopologyError(f"unknown format '{format}'", hint="use graphml, geojson or svg")
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", highlight=False)


@app.command()
def discover(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Discover links from LLDP-MIB over SNMP and report missing, unexpected and mis-wired links."""
    result = run_discovery(app_context(ctx).network())
    if json:
        print_json(result.as_dict())
        return
    drift = result.drift
    console.print(
        f"polled {len(result.polled)} device(s), {len(result.errors)} unreachable; "
        f"{len(drift.matched)} links as in the inventory, {len(drift.missing)} missing, "
        f"{len(drift.unexpected)} unexpected, {len(drift.miswired)} mis-wired",
        highlight=False,
    )
    for title, rows in (
        ("missing", drift.missing),
        ("unreachable", [f"{d}: {e}" for d, e in result.errors.items()]),
    ):
        for row in rows:
            console.print(f"  {title}: {row}", highlight=False)
    for seen in drift.unexpected + drift.miswired:
        console.print(f"  seen: {seen}", highlight=False)
