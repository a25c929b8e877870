"""``govnet report``: reports built from the store (the logic is in monitor/slareport.py and
monitor/slarender.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.monitor.slarender import render
from govnet.monitor.slareport import DEFAULT_TZ, build_report, report_period
from govnet.monitor.store import open_store
from govnet.output import console

app = typer.Typer(help="Reports: availability (SLA) per agency, commune, district and province.")


@app.command("sla")
def sla(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="A month (2026-11) or a span ending now (30d).")],
    fmt: Annotated[str, typer.Option("--format", help="csv, pdf, html or json.")] = "csv",
    out: Annotated[
        Path | None, typer.Option(help="Write here (default: standard output; PDF needs it).")
    ] = None,
    district: Annotated[str | None, typer.Option(help="Only this district (id).")] = None,
    tz: Annotated[str, typer.Option(help="The time zone months begin in.")] = DEFAULT_TZ,
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
) -> None:
    """Availability over a period, maintenance excluded, monitored and unmonitored time stated."""
    the_period = report_period(period, tz)
    network = app_context(ctx).network()
    the_store = open_store(store)
    try:
        data = render(build_report(network, the_store, the_period, district), fmt)
    finally:
        the_store.close()
    if out is None:
        if fmt == "pdf":
            raise GovnetError("a PDF is not written to a terminal", hint="add --out FILE.pdf")
        typer.echo(data.decode(), nl=False)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise GovnetError(f"cannot write {out}: {exc.strerror}", hint="check the directory exists") from exc
    console.print(f"wrote {out} ({fmt}, {len(data)} bytes, period {the_period.label})", highlight=False)
