"""``monitor run`` as a library: the loop, the trap receiver, ``/metrics`` and retention, together.

Used by the CLI and by the one-command demo. Stops cleanly on SIGINT/SIGTERM (or after
``duration`` seconds): the trap socket and the metrics server are closed, the store is left
consistent (every write is one transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from pydantic import SecretStr

from govnet import aio
from govnet.errors import GovnetError
from govnet.inventory.models import SNMPv2cCredential
from govnet.inventory.network import Network
from govnet.monitor.alerts import DEFAULT_RULES, AlertEngine, Rule
from govnet.monitor.config import PollTarget, targets_from_inventory
from govnet.monitor.engine import CycleReport, Monitor
from govnet.monitor.metrics import CONTENT_TYPE, exposition
from govnet.monitor.metricsauth import authorized, is_loopback
from govnet.monitor.scraper import Scraper, SnmpScraper
from govnet.monitor.series import SeriesWriter, VictoriaMetrics
from govnet.monitor.spool import SpoolingStore, healthz_body
from govnet.monitor.store import Store, StoreError
from govnet.monitor.traps import TrapReceiver
from govnet.snmp.target import Target

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from govnet.monitor.notify.notifier import Notifier

#: The cyclic garbage collector's thresholds for a long-running monitor (CPython's default is
#: (700, 10, 10)): see :func:`settle_heap`.
GC_THRESHOLDS = (20_000, 20, 20)
#: How often old samples are rolled up and expired.
PRUNE_EVERY_S = 3600.0
#: How often a leader tries the trap port again while another process holds it.
TRAP_RETRY_S = 0.5
TRAP_RETRY_MAX_S = 5.0


@dataclass(frozen=True)
class RunOptions:
    """How to run the monitor."""

    trap_listen: tuple[str, int] | None = None
    metrics_listen: tuple[str, int] | None = None
    #: The bearer token ``/metrics`` asks for (see metricsauth.py); None: loopback only.
    metrics_token: SecretStr | None = None
    interval: float | None = None  # override every device class's interval (labs, demos)
    duration: float | None = None
    concurrency: int = 64
    rules: tuple[Rule, ...] = DEFAULT_RULES
    #: VictoriaMetrics' URL: interface samples go there instead of the SQL store.
    series_url: str | None = None
    #: A busy trap port is waited for (a leader taking over from one that still holds it) instead
    #: of being an error at once (one process: another receiver is there, say so).
    trap_wait: bool = False


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (or ``:PORT`` for all addresses).

    >>> parse_listen("127.0.0.1:9810"), parse_listen(":10162")
    (('127.0.0.1', 9810), ('0.0.0.0', 10162))
    """
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise GovnetError(f"bad listen address '{text}'", hint="write HOST:PORT, e.g. 127.0.0.1:9810")
    return host or "0.0.0.0", int(port)


def default_trap_listen(network: Network) -> tuple[str, int] | None:
    """The inventory's first trap receiver (the address devices send traps to)."""
    receivers = network.province.trap_receivers
    return (str(receivers[0].host), receivers[0].port) if receivers else None


def trap_communities(network: Network) -> list[SecretStr]:
    """Every v2c community the inventory's profiles use: traps carry one of them."""
    out = []
    for profile in network.snmp_profiles.values():
        cred = network.credentials[profile.credential]
        if isinstance(cred, SNMPv2cCredential):
            out.append(network.secrets.get(cred.name, "community"))
    return out


class _MetricsServer:
    """``/metrics`` and ``/healthz`` on a small threaded HTTP server.

    The API serves the same ``/metrics`` body on its own port; this ``/healthz`` is the monitor's
    own word on whether it can record (``degraded`` with the reason while the store refuses writes).
    """

    def __init__(
        self,
        listen: tuple[str, int],
        store: SpoolingStore,
        network: Network,
        token: SecretStr | None = None,
    ) -> None:
        if token is None and not is_loopback(listen[0]):  # metrics_access says so with a hint first
            raise GovnetError(f"an open /metrics on {listen[0]}:{listen[1]} is refused: give it a token")

        def render(path: str) -> tuple[bytes, str]:
            if path == "/healthz":
                return json.dumps(healthz_body(store.health())).encode(), "application/json"
            return exposition(store, network), CONTENT_TYPE

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path not in {"/metrics", "/healthz"}:
                    self.send_error(404, "only /metrics and /healthz here")
                    return
                if path == "/metrics" and not authorized(self.headers.get("Authorization"), token):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Bearer realm="govnet monitor"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body, content_type = render(path)
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # scrapes every few seconds would flood the console

        try:
            self.server = ThreadingHTTPServer(listen, Handler)
        except OSError as exc:
            raise GovnetError(
                f"cannot serve /metrics on {listen[0]}:{listen[1]}: {exc.strerror}",
                hint="choose another --metrics-listen port",
            ) from exc
        self.thread = threading.Thread(target=self.server.serve_forever, name="govnet-metrics", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _bind_when_free(receiver: TrapReceiver, stop: asyncio.Event) -> None:
    """Listen for traps as soon as the port is free (the leader before may still hold it for the
    seconds it takes to step down), saying so once; until ``stop``."""
    waited: float | None = None
    tries = 0
    while not stop.is_set():
        try:
            await receiver.start()
        except GovnetError as exc:
            if waited is None:
                waited = time.monotonic()
                log.warning("trap port busy, trying again", extra={"error": exc.message})
            # Quickly at first (a leader stepping down frees it within seconds), then less often.
            await aio.first_of(stop, timeout=min(TRAP_RETRY_MAX_S, TRAP_RETRY_S * (1 + tries)))
            tries += 1
            continue
        log.info(
            "listening for traps",
            extra={
                "listen": f"{receiver.host}:{receiver.port}",
                "waited_s": 0.0 if waited is None else round(time.monotonic() - waited, 1),
            },
        )
        return


def known_engines(store: Store, monitor: Monitor) -> list[tuple[Target, bytes]]:
    """The SNMPv3 engine IDs of the devices as last polled (in the store): a monitor that starts,
    or a leader taking over, accepts their v3 traps before its own first poll of them."""
    out = []
    try:
        rows = store.current("device", detail=True)
    except StoreError:
        return []  # the store cannot be read now: engine IDs are learnt from the polls
    for row in rows:
        poll = monitor.targets.get(row.name)
        value = (row.detail or {}).get("engine_id")
        if poll is None or poll.target.version != "3" or not isinstance(value, str):
            continue
        try:
            engine_id = bytes.fromhex(value)
        except ValueError:
            continue
        if 5 <= len(engine_id) <= 32:  # RFC 3411's snmpEngineID
            out.append((poll.target, engine_id))
    return out


def poll_targets(network: Network, options: RunOptions) -> list[PollTarget]:
    """The inventory's poll targets, intervals overridden when asked."""
    targets = targets_from_inventory(network)
    if options.interval is not None:
        targets = [replace(t, interval=options.interval) for t in targets]
    return targets


def settle_heap() -> None:
    """Ready the process for a long run with a large heap that changes slowly (the inventory,
        every device's last state and rate baselines).

        CPython's cyclic collector, left at its defaults, scans the whole heap about once a second
    X's new state survives its young collections, and
        a full collection follows whenever a quarter of the old objects are new): measured at 5,000
        devices, that was about 40 % of the process's CPU. What start-up built (modules, the inventory,
        the topology) is moved out of the collector's reach for good (``gc.freeze``, after a collection
        so that no garbage is frozen), and young collections run after :data:`GC_THRESHOLDS` instead
        of every 700 allocations; garbage cycles are still collected, a little later. Once per process
    (a second call, a second run in the same process, changes nothing).
    """
    if gc.get_threshold() == GC_THRESHOLDS:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def build_monitor(
    network: Network, store: Store, options: RunOptions, scraper: Scraper | None = None
) -> Monitor:
    """The :class:`Monitor` for these options; it polls with ``scraper`` (SNMP by default)."""
    targets = poll_targets(network, options)
    return Monitor(
        network,
        store,
        scraper if scraper is not None else SnmpScraper(),
        targets,
        concurrency=options.concurrency,
        alerts=AlertEngine(options.rules),
    )


async def run_monitor(
    network: Network,
    store: Store,
    options: RunOptions,
    on_tick: Callable[[CycleReport], None] | None = None,
    on_ready: Callable[[Monitor], None] | None = None,
    stop: asyncio.Event | None = None,
    scraper: Scraper | None = None,
    notifier: Notifier | None = None,
) -> Monitor:
    """Run until stopped; returns the monitor (for its last state). A ``notifier`` is told of
    every tick's incidents and endpoint changes and delivers meanwhile."""
    stop = stop or asyncio.Event()
    # Store writes that fail are kept and retried, never raised (spool.py): wrap once, share it.
    store = store if isinstance(store, SpoolingStore) else SpoolingStore(store)
    monitor = build_monitor(network, store, options, scraper)
    series = SeriesWriter(VictoriaMetrics(options.series_url)).start() if options.series_url else None
    monitor.series = series
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    receiver = None
    binding = None
    metrics = None
    notify_stop = asyncio.Event()
    delivering = None
    if notifier is not None:
        delivering = asyncio.ensure_future(notifier.run(notify_stop))
    try:
        if options.trap_listen is not None:
            receiver = TrapReceiver(
                options.trap_listen[0],
                options.trap_listen[1],
                monitor.on_trap,
                trap_communities(network),
                known_engines(store, monitor),
            )
            if options.trap_wait:
                binding = asyncio.ensure_future(_bind_when_free(receiver, stop))
            else:
                await receiver.start()
        if options.metrics_listen is not None:
            metrics = _MetricsServer(options.metrics_listen, store, network, options.metrics_token)
        if on_ready is not None:
            on_ready(monitor)
        log.info(
            "monitor started",
            extra={
                "devices": len(monitor.targets),
                "traps": "off" if options.trap_listen is None else "{}:{}".format(*options.trap_listen),
                "store": store.backend,
            },
        )
        last_prune = 0.0

        def tick(report: CycleReport) -> None:
            nonlocal last_prune
            if receiver is not None:  # v3 traps need the sender's engine id: learn it from polls
                for device in report.polled:
                    state = monitor.last.get(device)
                    if state is not None and state.engine_id:
                        receiver.learn(monitor.targets[device].target, state.engine_id)
            if report.at - last_prune > PRUNE_EVERY_S:
                store.prune(report.at)
                last_prune = report.at
            if notifier is not None:  # written on the notifier's own thread: the loop goes on
                notifier.submit(report)
            if on_tick is not None:
                on_tick(report)

        await monitor.run(stop, tick, duration=options.duration)
    finally:
        notify_stop.set()
        if delivering is not None:  # a delivery under way may finish (bounded), then it stops
            _, late = await asyncio.wait({delivering}, timeout=15.0)
            await aio.cancel_and_wait(*late, timeout=5.0)
        if isinstance(monitor.scraper, SnmpScraper):
            monitor.scraper.close()
        if binding is not None:
            await aio.cancel_and_wait(binding, timeout=5.0)
        if receiver is not None:
            receiver.close()
        if metrics is not None:
            metrics.close()
        if series is not None:
            series.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
        log.info("monitor stopped")
    return monitor
