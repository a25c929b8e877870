"""The main job: the sample province as a lab, provisioned, monitored and served, in one command.

1. validate and summarise the inventory, rank its single points of failure;
2. where root allows, bring the lab up with day-0 configs only (``--bare``) and provision it
   through the real rollout (waves, commit-confirm, post-checks), so the demo shows the work;
3. run the monitor (poller + trap receiver) and serve the API and the NOC page on 127.0.0.1
   (elsewhere only over TLS, ``--tls-cert``/``--tls-key``, or with ``--insecure-http``, as
   ``govnet serve``), printing the URL and a fresh NOC token (valid 12 h);
4. on Ctrl-C (or after ``--duration``) stop everything and tear the lab down.

Without root (or with ``--no-lab``) the lab is skipped and the API serves the sample province with
unknown states.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from govnet import aio
from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.api.serving import check_listen
from govnet.cli.context import app_context
from govnet.cli.inventory import stats, validate
from govnet.cli.lab import down, up
from govnet.cli.tasks import push
from govnet.cli.topology import spof
from govnet.inventory.network import Network
from govnet.lab.host import missing_prerequisites
from govnet.lab.state import lab_dir, lab_prefix
from govnet.monitor.runner import RunOptions, default_trap_listen, run_monitor
from govnet.monitor.spool import SpoolingStore
from govnet.monitor.store import open_store
from govnet.output import console


def _step(start: float, what: str) -> None:
    console.print(f"[{time.monotonic() - start:6.1f} s] {what}", highlight=False)


def demo(
    ctx: typer.Context,
    size: Annotated[str, typer.Option(help="Lab size: small, medium or province.")] = "small",
    keep_lab: Annotated[
        bool, typer.Option(help="Leave the lab up (tear down later with 'govnet lab down').")
    ] = False,
    duration: Annotated[float | None, typer.Option(help="Stop by itself after N seconds.")] = None,
    port: Annotated[int, typer.Option(help="Port of the API and NOC page.")] = 8000,
    interval: Annotated[float, typer.Option(help="Poll every device every N seconds.")] = 10.0,
    host: Annotated[str, typer.Option(help="Address the API and NOC page listen on.")] = "127.0.0.1",
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate (chain): serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    insecure_http: Annotated[
        bool, typer.Option(help="Allow plain HTTP off loopback (behind a TLS proxy on this host).")
    ] = False,
    lab: Annotated[bool, typer.Option(help="Bring the lab up (--no-lab: serve the inventory only).")] = True,
) -> None:
    """The main job: the sample province as a lab, provisioned, monitored and served.

    Validates and summarises the inventory and ranks its single points of failure; where root
    allows, brings the lab up with day-0 configs, provisions it, runs the poller and trap
    receiver, and serves the API and NOC page on 127.0.0.1 (URL and token printed; off loopback
    only over TLS, or with --insecure-http). Ctrl-C stops it all and tears the lab down.
    """
    listen = Listen(host, port, tls_cert, tls_key)
    check_listen(host, tls_cert, tls_key, insecure_http)  # before anything is started
    run_demo(ctx, size, keep_lab, duration, listen, interval, lab)


@dataclass(frozen=True)
class Listen:
    """Where and how the demo serves the API and the NOC page."""

    host: str
    port: int
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def base(self) -> str:
        """The URL the page is at."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls_cert else 'http'}://{host}:{self.port}"


def run_demo(
    ctx: typer.Context,
    size: str,
    keep_lab: bool,
    duration: float | None,
    listen: Listen,
    interval: float,
    lab: bool = True,
) -> None:
    """See the module docstring."""
    start = time.monotonic()
    validate(ctx)
    stats(ctx)
    spof(ctx, graphml=None, core=None, top=8, json=False)
    problems = missing_prerequisites() if lab else ["--no-lab"]
    context = app_context(ctx)
    lab_up = False
    try:
        if problems:
            console.print(f"lab skipped: {'; '.join(problems)}", highlight=False)
            store_path = None
        else:
            _step(start, f"lab up ({size}, day-0 configs)")
            up(ctx, size=size, bare=True, mgmt_subnet=None, trap_port=162, prefix=None)
            lab_up = True
            prefix = lab_prefix()
            context.inventory_path, context._network = lab_dir(prefix) / "inventory", None
            _step(start, "provisioning the lab (waves from the core outward, commit-confirm)")
            try:
                push(ctx, commit=True, filter=None, json=False, workers=16, max_failures=0, revert_in=120)
            except typer.Exit:
                console.print("some devices were not provisioned (see the table); monitoring anyway")
            store_path = lab_dir(prefix) / "monitor.db"
        _serve(context.network(), store_path, start, duration, listen, interval)
    finally:
        if lab_up and not keep_lab:
            _step(start, "tearing the lab down")
            down(prefix=None)


def _serve(
    network: Network,
    store_path: Path | None,
    start: float,
    duration: float | None,
    listen: Listen,
    interval: float,
) -> None:
    # One spooling store for the monitor and the API: /healthz is then the monitor's own word.
    store = SpoolingStore(
        open_store(f"sqlite:///{store_path}" if store_path else None),
        notify=lambda text: console.print(text, highlight=False, markup=False),
    )
    tokens = TokenStore()
    token, _ = tokens.create(Role.NOC, expires_in=12 * 3600, note="demo")

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            yield  # the monitor owns Ctrl-C and stops us

    server = Server(
        uvicorn.Config(
            create_app(ApiState(network, store, tokens)),
            host=listen.host,
            port=listen.port,
            ssl_certfile=listen.tls_cert,
            ssl_keyfile=listen.tls_key,
            log_config=None,  # uvicorn's lines go through govnet's handler (govnet.logs)
            log_level=None,
            access_log=False,
        )
    )
    options = RunOptions(
        trap_listen=default_trap_listen(network) if store_path else None,
        interval=interval,
        duration=duration,
    )

    async def both() -> None:
        serving = asyncio.ensure_future(server.serve())

        def ready(_monitor: object) -> None:
            _step(start, "monitor running (poller + trap receiver)")
            console.print(
                f"\nNOC page:  {listen.base}/#token={token}\n"
                f"API:       {listen.base}/api/v1/summary  (Authorization: Bearer {token})\n"
                f"OpenAPI:   {listen.base}/api/v1/docs\n"
                "Ctrl-C stops everything" + (" and tears the lab down." if store_path else "."),
                highlight=False,
                soft_wrap=True,
            )

        try:
            if store_path is None:  # nothing to poll: serve the inventory until stopped
                ready(None)
                await asyncio.sleep(duration if duration is not None else 10**9)
            else:
                await run_monitor(network, store, options, on_ready=ready)
        finally:
            server.should_exit = True
            await serving

    with contextlib.suppress(KeyboardInterrupt):
        aio.run(both())
    store.close()
