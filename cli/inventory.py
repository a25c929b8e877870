"""``govnet inventory ...``: validate, show, count, export and import the network description."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from govnet.cli.context import app_context
from govnet.errors import GovnetError, InventoryError
from govnet.inventory.csv_import import import_csv
from govnet.inventory.models import Role
from govnet.inventory.nornir_plugin import simple_inventory_files
from govnet.inventory.yamlfile import dump_yaml
from govnet.output import console, print_json

app = typer.Typer(
    help="The network description: validate, show, stats, export and import.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


@app.command()
def validate(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Check every file of the inventory; list every problem with file, entry and field."""
    app_ctx = app_context(ctx)
    try:
        network = app_ctx.network()
    except InventoryError as exc:
        if json:
            print_json(
                {
                    "valid": False,
                    "path": str(app_ctx.inventory_dir),
                    "problems": [p.as_dict() for p in exc.problems if hasattr(p, "as_dict")],
                }
            )
            raise typer.Exit(exc.exit_code) from exc
        raise
    stats = network.stats()
    if json:
        print_json({"valid": True, "path": str(network.path), "problems": [], "stats": stats})
        return
    console.print(
        Text.assemble(
            ("valid", "green"),
            f": {network.path} — {stats['devices']} devices, {stats['links']} links, "
            f"{stats['agencies']} agencies in {stats['districts']} districts",
        ),
        highlight=False,
    )


@app.command()
def stats(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Counts of agencies, devices, links, districts, BTS sites and WiFi hotspots."""
    figures = app_context(ctx).network().stats()
    if json:
        print_json(figures)
        return
    table = Table(title=f"Inventory: {figures['province']}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in figures.items():
        if isinstance(value, int):
            table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    by_district = figures["agencies_by_district"]
    assert isinstance(by_district, dict)
    names = app_context(ctx).network().district_names
    table = Table(title="Agencies by district")
    table.add_column("district")
    table.add_column("agencies", justify="right")
    for district, count in by_district.items():
        table.add_row(names.get(district, district), str(count))
    console.print(table)


@app.command()
def show(
    ctx: typer.Context,
    role: Annotated[Role | None, typer.Option(help="Only devices with this role.")] = None,
    district: Annotated[str | None, typer.Option(help="Only devices in this district (id).")] = None,
    json: JsonFlag = False,
) -> None:
    """The devices, as a table: role, platform, site, district, management address, links, agencies."""
    network = app_context(ctx).network()
    if district is not None and district not in network.district_names:
        raise GovnetError(
            f"unknown district '{district}'", hint=f"use one of {', '.join(sorted(network.district_names))}"
        )
    rows = []
    for name in sorted(network.devices):
        dev = network.devices[name]
        dist = network.district_of(name)
        if (role is not None and dev.role != role) or (district is not None and dist != district):
            continue
        rows.append(
            {
                "name": name,
                "role": dev.role.value,
                "platform": dev.platform,
                "site": dev.site,
                "district": dist,
                "mgmt_ip": str(dev.mgmt_ip),
                "links": len(network.links_by_device.get(name, [])),
                "agencies": [a.name for a in network.agencies_by_cpe.get(name, [])],
            }
        )
    if json:
        print_json({"devices": rows})
        return
    table = Table(title=f"{len(rows)} device(s)")
    for column in ("name", "role", "platform", "district", "mgmt_ip", "links", "agency"):
        table.add_column(column, justify="right" if column == "links" else "left")
    for row in rows:
        agencies = row["agencies"]
        assert isinstance(agencies, list)
        table.add_row(
            str(row["name"]),
            str(row["role"]),
            str(row["platform"]),
            network.district_names[str(row["district"])],
            str(row["mgmt_ip"]),
            str(row["links"]),
            ", ".join(agencies),
        )
    console.print(table)


@app.command("export-nornir")
def export_nornir(
    ctx: typer.Context,
    outdir: Annotated[Path, typer.Argument(help="Directory to write hosts/groups/defaults.yaml into.")],
) -> None:
    """Write a plain Nornir SimpleInventory (no secrets: passwords come from your own vault)."""
    files = simple_inventory_files(app_context(ctx).network())
    outdir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (outdir / name).write_text(dump_yaml(data), encoding="utf-8")
    console.print(f"wrote {', '.join(files)} to {outdir}", highlight=False)


@app.command("import-csv")
def import_csv_cmd(
    ctx: typer.Context,
    csv_file: Annotated[Path, typer.Argument(help="Agency list exported from a spreadsheet (CSV, UTF-8).")],
    into: Annotated[Path, typer.Option("--into", help="Inventory directory to add the agencies to.")],
) -> None:
    """Add agencies, their CPEs and uplinks from a CSV (columns: see the README)."""
    target = import_csv(csv_file, into, app_context(ctx).secrets_path)
    console.print(f"wrote {target}", highlight=False)
