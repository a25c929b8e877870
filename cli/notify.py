"""``govnet notify ...``: try the notification channels."""

from __future__ import annotations

import asyncio
import getpass
from pathlib import Path
from typing import Annotated

import typer

from govnet.api.audit import AuditLog
from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.inventory.secrets import SecretStore
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.notify.trial import send_trial
from govnet.monitor.store import open_store
from govnet.output import console, print_json

app = typer.Typer(help="Notifications: e-mail, Telegram, signed webhooks, apprise.", no_args_is_help=True)


@app.command("test")
def test_command(
    ctx: typer.Context,
    channels: Annotated[Path, typer.Option("--channels", help="The channels YAML file.")],
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Send a test message through each channel and report each delivery."""
    loaded = load_channels(channels, SecretStore(app_context(ctx).secrets_path))
    results = asyncio.run(send_trial(loaded, channel))
    if json:
        print_json([r.__dict__ for r in results])
    else:
        for r in results:
            mark = "ok" if r.ok else "FAILED"
            console.print(
                f"{mark} {r.channel}: {r.detail} (webhook-id {r.message_id})", markup=False, highlight=False
            )
    failed = [r.channel for r in results if not r.ok]
    if failed:
        raise GovnetError(
            f"{len(failed)} channel(s) failed: {', '.join(failed)}", hint="see each one's reason above"
        )


StoreOption = Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The monitor's store URL.")]


@app.command("status")
def status_command(
    ctx: typer.Context,
    channels: Annotated[
        Path | None, typer.Option("--channels", help="The channels YAML file (lists its idle channels too).")
    ] = None,
    store: StoreOption = None,
    json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Each channel: enabled or disabled (a receiver answered 410 Gone), messages waiting, delivered,
    given up, the last delivery and the last error."""
    names = (
        set(load_channels(channels, SecretStore(app_context(ctx).secrets_path)).channels)
        if channels
        else set()
    )
    outbox = Outbox(open_store(store).db)
    counts, off = outbox.counts(), outbox.disabled()
    empty = {"waiting": 0, "delivered": 0, "given_up": 0, "last_delivered": None, "last_error": None}
    rows = [
        {
            "channel": name,
            "enabled": name not in off,
            "disabled": None if name not in off else off[name].__dict__,
            **counts.get(name, empty),
        }
        for name in sorted(names | set(counts) | set(off))
    ]
    if json:
        print_json({"channels": rows})
        return
    for r in rows:
        state = "enabled" if r["enabled"] else f"DISABLED ({off[str(r['channel'])].reason})"
        console.print(
            f"{r['channel']}: {state}; waiting {r['waiting']}, delivered {r['delivered']}, "
            f"given up {r['given_up']}" + (f"; last error: {r['last_error']}" if r["last_error"] else ""),
            markup=False,
            highlight=False,
        )


@app.command("enable")
def enable_command(
    channel: Annotated[str, typer.Option("--channel", help="The channel to switch on again.")],
    store: StoreOption = None,
) -> None:
    """Switch on a channel that was disabled because its receiver answered 410 Gone."""
    the_store = open_store(store)
    if not Outbox(the_store.db).enable(channel):
        raise GovnetError(f"channel '{channel}' is not disabled", hint="see 'govnet notify status'")
    AuditLog(the_store).record(
        None, "notify.enable", f"channel {channel}", f"local:{getpass.getuser()}", "ok"
    )
    console.print(f"channel {channel} enabled: new messages go to it again", markup=False, highlight=False)
