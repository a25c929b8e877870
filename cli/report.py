"""``govnet report``: reports built from the store (the logic is in monitor/slareport.py and
monitor/slarender.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.inventory.secrets import SecretStore
from govnet.monitor.notify.channels import Channels, load_channels
from govnet.monitor.notify.trial import send_report
from govnet.monitor.slarender import render
from govnet.monitor.slareport import DEFAULT_TZ, SlaReport, build_report, report_period
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
    send_it: Annotated[
        bool,
        typer.Option("--send", help="Send it now through the channels that take reports (--channels)."),
    ] = False,
    channels: Annotated[Path | None, typer.Option(help="The notification channels YAML file.")] = None,
    channel: Annotated[str | None, typer.Option(help="With --send: only this channel.")] = None,
) -> None:
    """Availability over a period, maintenance excluded, monitored and unmonitored time stated.

    With --send (and --channels), the report goes now to the channels that take reports: e-mail
    with it attached as PDF and CSV, webhooks its JSON summary, Telegram and apprise a short text
    (the monitor sends last month's by itself on the 1st).
    """
    the_period = report_period(period, tz)
    context = app_context(ctx)
    network = context.network()
    if send_it and channels is None:
        raise GovnetError("--send needs --channels FILE", hint="the notification channels YAML file")
    loaded = load_channels(channels, SecretStore(context.secrets_path)) if send_it and channels else None
    the_store = open_store(store)
    try:
        report = build_report(network, the_store, the_period, district)
    finally:
        the_store.close()
    if loaded is not None:
        _send(loaded, report, channel)
        return
    data = render(report, fmt)
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


def _send(channels: Channels, report: SlaReport, only: str | None) -> None:
    """Send the report now; one line per channel; fail when any channel did not take it."""
    results = asyncio.run(send_report(channels, report, only))
    for r in results:
        mark = "ok" if r.ok else "FAILED"
        console.print(
            f"{mark} {r.channel}: report {report.period.label}: {r.detail}", markup=False, highlight=False
        )
    failed = [r.channel for r in results if not r.ok]
    if failed:
        raise GovnetError(
            f"{len(failed)} channel(s) failed: {', '.join(failed)}", hint="see each one's reason"
        )
