"""``govnet notify ...``: try the notification channels."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.inventory.secrets import SecretStore
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.trial import send_trial
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
