"""``govnet lab ...``: build, inspect, break and tear down the namespace lab."""

from __future__ import annotations

import os
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from govnet.cli.context import app_context
from govnet.errors import LabError
from govnet.lab.clab import export as clab_export
from govnet.lab.faults import attenuate as lab_attenuate
from govnet.lab.faults import fail as lab_fail
from govnet.lab.faults import restore as lab_restore
from govnet.lab.faults import set_wifi_clients
from govnet.lab.guard import LAB_RANGES, install_guards
from govnet.lab.lifecycle import status as lab_status
from govnet.lab.lifecycle import up as lab_up
from govnet.lab.state import lab_dir, lab_prefix, load_state
from govnet.lab.subset import lab_view, routers
from govnet.lab.teardown import down as lab_down
from govnet.output import console, print_json
from govnet.tasks.render import render_device

app = typer.Typer(
    help="A real lab of FRR, sshd, snmpd and lldpd in network namespaces.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Prefix = Annotated[
    str | None, typer.Option("--prefix", envvar="GOVNET_LAB_PREFIX", help="Lab name prefix (3-6 letters).")
]


def _prefix(value: str | None) -> str:

    if value:
        os.environ["GOVNET_LAB_PREFIX"] = value
    return lab_prefix()


@app.command()
def guard() -> None:
    """Install the unreachable guard routes for every lab range (idempotent)."""
    added = install_guards()
    console.print(
        f"guard routes present for {', '.join(map(str, LAB_RANGES))}"
        + (f" (added {', '.join(map(str, added))})" if added else ""),
        highlight=False,
    )


@app.command()
def up(
    ctx: typer.Context,
    size: Annotated[str, typer.Option(help="small (≤8 nodes), medium (~40) or province (all).")] = "small",
    bare: Annotated[bool, typer.Option(help="Day-0 only: FRR runs with no routing config.")] = False,
    mgmt_subnet: Annotated[
        str | None, typer.Option(help="Lab management subnet (default: the inventory's).")
    ] = None,
    trap_port: Annotated[
        int, typer.Option(help="UDP port of the trap receiver on the lab controller address.")
    ] = 162,
    prefix: Prefix = None,
) -> None:
    """Build the lab from the inventory and wait for OSPF."""
    start = time.monotonic()
    subnet = IPv4Network(mgmt_subnet) if mgmt_subnet else None
    network = app_context(ctx).network()
    configs = None
    if not bare:  # the lab takes its routers' configurations rendered
        view = lab_view(network, size=size, mgmt_subnet=subnet, trap_port=trap_port)
        configs = {name: render_device(view, name) for name in routers(view)}

    def progress(what: str, total: int) -> None:
        console.print(f"[{time.monotonic() - start:5.1f} s] {what} ({total})", highlight=False)

    state = lab_up(
        network,
        configs,
        size=size,
        bare=bare,
        prefix=_prefix(prefix),
        mgmt_subnet=subnet,
        trap_port=trap_port,
        progress=progress,
    )

    console.print(
        f"lab '{state.prefix}' up: {len(state.nodes)} nodes, {len(state.links)} links in "
        f"{time.monotonic() - start:.1f} s; its inventory: {lab_dir(state.prefix) / 'inventory'}",
        highlight=False,
    )


@app.command()
def down(prefix: Prefix = None) -> None:
    """Remove every namespace, link, process, file, user and route the lab made."""
    left = lab_down(_prefix(prefix))
    if left:
        raise LabError(f"some lab parts are still there: {left}", hint="run 'govnet lab down' again as root")
    console.print("lab down: nothing left behind", highlight=False)


@app.command()
def status(prefix: Prefix = None, json: JsonFlag = False) -> None:
    """Nodes, namespaces, management addresses, daemons alive and OSPF neighbours Full."""
    doc = lab_status(_prefix(prefix))
    if json:
        print_json(doc)
        return
    if not doc["nodes"]:
        console.print(
            f"no lab '{doc['prefix']}' is up"
            + (f"; leftovers: {doc['leftovers']}" if doc.get("leftovers") else "")
        )
        return
    table = Table(title=f"lab {doc['prefix']} ({doc['size']}{', bare' if doc['bare'] else ''})")
    for column in ("node", "namespace", "mgmt", "daemons down", "OSPF Full"):
        table.add_column(column)
    for row in doc["nodes"]:
        dead = [d for d, ok in row["daemons"].items() if not ok]
        table.add_row(
            row["name"],
            row["namespace"],
            row["mgmt_ip"],
            ", ".join(dead) or "-",
            f"{row['ospf_full']}/{row['ospf_expected']}" if row["kind"] == "router" else "-",
        )
    console.print(table)


@app.command()
def inventory(prefix: Prefix = None) -> None:
    """Print the lab inventory's directory (use: GOVNET_INVENTORY=$(govnet lab inventory) ...)."""
    name = _prefix(prefix)
    if load_state(name) is None:
        raise LabError(f"no lab '{name}' is up", hint="run 'govnet lab up' first")
    typer.echo(str(lab_dir(name) / "inventory"))


@app.command()
def fail(
    kind: Annotated[str, typer.Argument(help="link, node or duct")],
    target: Annotated[str, typer.Argument(help="A:ethX--B:ethY, a node name, or a duct id")],
    prefix: Prefix = None,
) -> None:
    """Fail a link, a node (all its daemons stop, its links go down) or every link of a duct."""
    done = lab_fail(_prefix(prefix), kind, target)
    console.print(f"failed {kind}: {', '.join(done)}", highlight=False)


@app.command()
def restore(
    kind: Annotated[str, typer.Argument(help="link, node or duct")],
    target: Annotated[str, typer.Argument(help="A:ethX--B:ethY, a node name, or a duct id")],
    prefix: Prefix = None,
) -> None:
    """Undo 'lab fail'."""
    done = lab_restore(_prefix(prefix), kind, target)
    console.print(f"restored {kind}: {', '.join(done)}", highlight=False)


@app.command()
def attenuate(
    link: Annotated[str, typer.Argument(help="A:ethX--B:ethY as 'lab status' lists it")],
    db: Annotated[float, typer.Argument(help="Extra loss in dB (0 removes it).")],
    prefix: Prefix = None,
) -> None:
    """Degrade a lab fiber: the link stays up, both transceivers report less light."""
    rx = lab_attenuate(_prefix(prefix), link, db)
    console.print(f"{link}: {db:g} dB extra loss, receive power now {rx:.1f} dBm", highlight=False)


@app.command()
def wifi(
    node: Annotated[str, typer.Argument(help="A WiFi AP or controller of the lab.")],
    clients: Annotated[int, typer.Option(help="Associated clients it reports.")],
    prefix: Prefix = None,
) -> None:
    """Set the client count a lab WiFi AP reports."""
    set_wifi_clients(_prefix(prefix), node, clients)
    console.print(f"{node}: {clients} WiFi clients", highlight=False)


@app.command("export-clab")
def export_clab(
    ctx: typer.Context,
    outdir: Annotated[Path, typer.Argument(help="Directory for <name>.clab.yml, configs/, Dockerfile.")],
    size: Annotated[str, typer.Option(help="small, medium or province.")] = "small",
    bare: Annotated[bool, typer.Option(help="Day-0 configs only.")] = False,
) -> None:
    """Write the same lab as a containerlab topology (for hosts with Docker; not tested here)."""
    network = app_context(ctx).network()
    view = None if bare else lab_view(network, size=size, user="govnet")
    configs = None if view is None else {name: render_device(view, name) for name in routers(view)}
    path = clab_export(network, outdir, configs, size=size, bare=bare)
    console.print(f"wrote {path}", highlight=False)
