"""``govnet monitor ...``: ad-hoc polls, the monitor loop, incidents, availability, maintenance."""

from __future__ import annotations

import getpass
import json as jsonlib
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from ipaddress import IPv4Address
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr
from rich.live import Live
from rich.table import Table

from govnet import aio
from govnet.api.audit import AuditLog
from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.inventory.secrets import SecretStore
from govnet.monitor.alerts import DEFAULT_RULES
from govnet.monitor.config import targets_from_inventory
from govnet.monitor.engine import CycleReport
from govnet.monitor.metricsauth import metrics_access
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.notifier import Delivery, build_notifier
from govnet.monitor.poll import poll_round
from govnet.monitor.rules import load_rules
from govnet.monitor.runner import RunOptions, default_trap_listen, parse_listen, run_monitor, settle_heap
from govnet.monitor.scraper import SnmpScraper
from govnet.monitor.series import check_url
from govnet.monitor.sla import availability, by_district, parse_period
from govnet.monitor.spool import SpoolingStore
from govnet.monitor.store import Store, mask_url, open_store, store_url, upgrade_store
from govnet.monitor.view import incidents_table, render
from govnet.output import console, err_console, print_json
from govnet.snmp.target import Target

if TYPE_CHECKING:
    from govnet.monitor.collector import DeviceState


app = typer.Typer(help="SNMP polling, traps, link health and alerting.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema (also upgraded whenever opened).", no_args_is_help=True)
app.add_typer(db_app, name="db")


class TargetOptionError(GovnetError):
    """A ``--target`` that is not ``IPV4[:PORT]`` (a usage error: exit status 2)."""

    exit_code = 2


def _host_port(target: str) -> tuple[str, int]:
    """``IPV4[:PORT]`` as (address, port), 161 by default; anything else a usage error."""
    host, _, port_text = target.partition(":")
    try:
        IPv4Address(host)
        port = int(port_text or 161)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise TargetOptionError(
            f"--target {target[:80]!r} is not IPV4[:PORT]",
            hint="give the agent's IPv4 address, with its UDP port when not 161: 198.51.100.3:1161",
        )
    return host, port


def _target_from_options(
    target: str,
    community: str | None,
    v3_user: str | None,
    auth_key: str | None,
    priv_key: str | None,
    auth_protocol: str,
    priv_protocol: str,
    timeout: float,
    retries: int,
) -> Target:
    host, port = _host_port(target)
    if v3_user:
        if not (auth_key and priv_key):
            raise GovnetError(
                "--v3-user needs --auth-key and --priv-key", hint="SNMPv3 polling is authPriv only"
            )
        return Target(
            host,
            port,
            "3",
            user=v3_user,
            auth_protocol=auth_protocol,
            auth_key=SecretStr(auth_key),
            priv_protocol=priv_protocol,
            priv_key=SecretStr(priv_key),
            timeout=timeout,
            retries=retries,
        )
    if not community:
        raise GovnetError(
            "give --community C, or --v3-user U --auth-key K --priv-key P",
            hint="or set GOVNET_SNMP_COMMUNITY",
        )
    return Target(host, port, "2c", community=SecretStr(community), timeout=timeout, retries=retries)


@app.command("poll-once")
def poll_once(
    ctx: typer.Context,
    target: Annotated[str | None, typer.Option(help="IPV4[:PORT] to poll without any inventory.")] = None,
    community: Annotated[
        str | None, typer.Option(envvar="GOVNET_SNMP_COMMUNITY", help="SNMP v2c community.")
    ] = None,
    v3_user: Annotated[str | None, typer.Option(help="SNMP v3 user (authPriv).")] = None,
    auth_key: Annotated[
        str | None, typer.Option(envvar="GOVNET_SNMP_AUTH_KEY", help="v3 auth passphrase.")
    ] = None,
    priv_key: Annotated[
        str | None, typer.Option(envvar="GOVNET_SNMP_PRIV_KEY", help="v3 priv passphrase.")
    ] = None,
    auth_protocol: Annotated[str, typer.Option(help="sha, sha224, sha256, sha384, sha512 or md5.")] = "sha",
    priv_protocol: Annotated[str, typer.Option(help="aes, aes192, aes256, aes192c, aes256c or des.")] = "aes",
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 2.0,
    retries: Annotated[int, typer.Option(help="Retries per request.")] = 1,
    concurrency: Annotated[int, typer.Option(help="Devices polled at once (inventory mode).")] = 64,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Poll one device (--target) or every device of the inventory once: uptime, interfaces, LLDP."""
    scraper = SnmpScraper()
    if target is not None:
        one = _target_from_options(
            target, community, v3_user, auth_key, priv_key, auth_protocol, priv_protocol, timeout, retries
        )
        (state,) = aio.run(poll_round(scraper, [one]))
        if json:
            print_json(state.as_dict())
        else:
            _print_states([("-", state)])
        raise typer.Exit(0 if state.reachable else 1)
    poll_targets = targets_from_inventory(app_context(ctx).network())
    states: list[DeviceState] = aio.run(
        poll_round(scraper, [p.target for p in poll_targets], concurrency=concurrency)
    )
    pairs = list(zip([p.device for p in poll_targets], states, strict=True))
    if json:
        print_json(
            {
                "devices": [{"device": name, **state.as_dict()} for name, state in pairs],
                "reachable": sum(1 for _, s in pairs if s.reachable),
                "total": len(pairs),
            }
        )
        return
    _print_states(pairs)


def _print_states(pairs: Sequence[tuple[str, DeviceState]]) -> None:
    table = Table(title="poll")
    for column in (
        "device",
        "host",
        "reachable",
        "uptime",
        "interfaces up/total",
        "LLDP",
        "error / warnings",
    ):
        table.add_column(column)
    for name, state in pairs:
        up = sum(1 for i in state.interfaces if i.oper_status == "up")
        table.add_row(
            name,
            state.host,
            "yes" if state.reachable else "NO",
            f"{(state.sys_uptime or 0) / 100:.0f} s" if state.sys_uptime is not None else "-",
            f"{up}/{len(state.interfaces)}",
            str(len(state.lldp)),
            state.error or "; ".join(state.warnings),
        )
    console.print(table)


# --------------------------------------------------------------------------- the loop


@app.command("run")
def run(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            envvar="GOVNET_STORE", help="sqlite:///PATH or postgresql://… (default: SQLite in the state dir)."
        ),
    ] = None,
    trap_listen: Annotated[
        str | None, typer.Option(help="HOST:PORT for traps (default: the inventory's first trap receiver).")
    ] = None,
    no_traps: Annotated[bool, typer.Option("--no-traps", help="Poll only.")] = False,
    metrics_listen: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT to serve /metrics and /healthz on, e.g. 127.0.0.1:9810. On loopback with no"
            " authentication; any other address needs --metrics-token-file (the API's /metrics needs a"
            " NOC token)."
        ),
    ] = None,
    metrics_token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the bearer token every /metrics scrape must carry (Prometheus:"
            " authorization: {credentials_file: FILE}); /healthz stays open."
        ),
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Poll every device every N s (default: per device class).")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Stop after N seconds.")] = None,
    live: Annotated[
        bool | None, typer.Option("--live/--no-live", help="Live view (default: on a terminal).")
    ] = None,
    events: Annotated[bool, typer.Option("--events", help="Print every change as a JSON line.")] = False,
    rules: Annotated[
        Path | None, typer.Option(help="YAML file of alert thresholds replacing or adding to the defaults.")
    ] = None,
    redis: Annotated[
        str | None,
        typer.Option(
            envvar="GOVNET_REDIS",
            help="redis://HOST:PORT/DB or unix:///PATH: schedule and correlate under a lease; "
            "`monitor worker` processes poll.",
        ),
    ] = None,
    redis_namespace: Annotated[str, typer.Option(help="Key prefix on the Redis server.")] = "govnet",
    series: Annotated[
        str | None,
        typer.Option(
            envvar="GOVNET_SERIES",
            help="VictoriaMetrics' URL (http://HOST:8428): interface samples go there, not to the store.",
        ),
    ] = None,
    lease_ttl: Annotated[
        float,
        typer.Option(
            min=1.0,
            max=600.0,
            help="With --redis: the leader's lease (a standby takes over when it expires, within it).",
        ),
    ] = 15.0,
    channels: Annotated[
        Path | None, typer.Option(help="Channels YAML file: notify of incidents (docs/notifications.md).")
    ] = None,
) -> None:
    """Poll on schedule, receive traps, fold faults into incidents, until Ctrl-C."""
    metrics_at = parse_listen(metrics_listen) if metrics_listen else None
    if metrics_token_file is not None and metrics_at is None:
        raise GovnetError(
            "--metrics-token-file needs --metrics-listen",
            hint="add --metrics-listen HOST:PORT",
        )
    metrics_token = metrics_access(metrics_at, metrics_token_file) if metrics_at else None
    network = app_context(ctx).network()
    channels_file = None
    if channels is not None:  # checked before anything starts: a wrong file is an error at once
        channels_file = load_channels(channels, SecretStore(app_context(ctx).secrets_path))

    def store_notice(text: str) -> None:  # the Redis leader's own notices (stderr)
        err_console.print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}", highlight=False, markup=False)

    # A store that refuses writes (a full disk) never stops the monitor: see monitor/spool.py.
    # Store outages are log lines (ERROR; their end INFO), not printed again here (govnet.logs).
    the_store = SpoolingStore(open_store(store))
    listen = (
        None if no_traps else (parse_listen(trap_listen) if trap_listen else default_trap_listen(network))
    )
    options = RunOptions(
        trap_listen=listen,
        metrics_listen=metrics_at,
        metrics_token=metrics_token,
        interval=interval,
        duration=duration,
        rules=load_rules(rules) if rules is not None else DEFAULT_RULES,
        series_url=check_url(series) if series else None,
    )
    where = mask_url(store) if store else "SQLite in the state directory"
    console.print(
        f"monitor: {len(network.devices)} devices, store {where}, "
        f"traps {'off' if listen is None else f'{listen[0]}:{listen[1]}'}"
        + (f", /metrics on {metrics_listen}" if metrics_listen else ""),
        highlight=False,
    )
    show_live = sys.stdout.isatty() if live is None else live
    notifier = None
    if channels_file is not None:

        def delivered(d: Delivery) -> None:
            if events:
                print(jsonlib.dumps({"event": "notification", **d.__dict__}, ensure_ascii=False), flush=True)

        notifier = build_notifier(channels_file, the_store, network, delivered)

    def emit(report: CycleReport) -> None:
        if events:
            for change in report.changes:
                print(jsonlib.dumps({"event": "change", **change.__dict__}, ensure_ascii=False), flush=True)
            for incident_id in report.opened:
                print(jsonlib.dumps({"event": "incident_opened", "id": incident_id}), flush=True)
            for incident_id in report.closed:
                print(jsonlib.dumps({"event": "incident_closed", "id": incident_id}), flush=True)

    settle_heap()  # a long run over a large heap: the cyclic collector's cost kept small
    if redis is not None:
        from govnet.monitor.distcli import run_leader  # noqa: PLC0415  (redis: --redis only)

        run_leader(
            network,
            the_store,
            options,
            redis,
            redis_namespace,
            lease_ttl,
            emit,
            store_notice,
            events,
            notifier,
        )
        if notifier is not None:
            notifier.outbox.close()
        the_store.close()
        return
    if show_live:
        with Live(render(the_store, network), console=console, refresh_per_second=2) as view:

            def on_tick(report: CycleReport) -> None:
                emit(report)
                view.update(render(the_store, network))

            aio.run(run_monitor(network, the_store, options, on_tick=on_tick, notifier=notifier))
    else:
        aio.run(run_monitor(network, the_store, options, on_tick=emit, notifier=notifier))
    if notifier is not None:
        notifier.outbox.close()
    the_store.close()


@db_app.command("upgrade")
def db_upgrade(
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
) -> None:
    """Upgrade the store's schema to this govnet's (Alembic migrations; every row is kept)."""
    before, after = upgrade_store(store)
    where = mask_url(store_url(store))
    if before == after:
        typer.echo(f"{where}: already at revision {after}")
    else:
        typer.echo(f"{where}: upgraded from revision {before or '(new store)'} to {after}")


@app.command("worker")
def worker(
    ctx: typer.Context,
    redis: Annotated[
        str, typer.Option(envvar="GOVNET_REDIS", help="redis://HOST:PORT/DB or unix:///PATH (required).")
    ],
    group: Annotated[
        list[str] | None, typer.Option(help="Poll only this poller group (a district); repeat for more.")
    ] = None,
    name: Annotated[str | None, typer.Option(help="This worker's name (default HOST-PID).")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Polls at a time.")] = 64,
    redis_namespace: Annotated[str, typer.Option(help="Key prefix on the Redis server.")] = "govnet",
    duration: Annotated[float | None, typer.Option(help="Stop after N seconds.")] = None,
    claim_after: Annotated[
        float | None,
        typer.Option(
            min=1.0,
            help="Claim jobs a live worker left unfinished this long (default: 2x the longest poll + 5 s); "
            "a dead worker's are claimed when its heartbeat expires (seconds).",
        ),
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Print every poll and broker event as a JSON line.")
    ] = False,
) -> None:
    """Take poll jobs from Redis and poll them (the inventory's secrets stay on this machine)."""
    from govnet.monitor.distcli import run_worker  # noqa: PLC0415  (redis: the worker only)

    run_worker(
        app_context(ctx).network(),
        redis,
        redis_namespace,
        group or [],
        name,
        concurrency,
        duration,
        claim_after,
        events,
    )


@app.command("incidents")
def incidents(
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Open incidents (root cause, blast radius), newest first."""
    the_store = open_store(store)
    rows = the_store.incidents(open_only=not all_, limit=limit)
    if json:
        print_json({"incidents": [r.as_dict() for r in rows]})
    else:
        console.print(incidents_table(rows))
    the_store.close()


@app.command("ack")
def ack(
    incident_id: Annotated[int, typer.Argument(help="Incident id.")],
    by: Annotated[str, typer.Option(help="Who acknowledges.")],
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
) -> None:
    """Acknowledge an incident."""
    the_store = open_store(store)
    if not the_store.acknowledge(incident_id, by, time.time()):
        raise GovnetError(f"no incident {incident_id}", hint="see 'govnet monitor incidents --all'")
    console.print(f"incident {incident_id} acknowledged by {by}")


@app.command("sla")
def sla(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="How far back: 90m, 24h, 30d, 2w.")] = "30d",
    district: Annotated[str | None, typer.Option(help="Only this district (id).")] = None,
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Availability per agency and per district over a period, maintenance windows excluded."""
    network = app_context(ctx).network()
    seconds = parse_period(period)
    if district is not None and district not in network.district_names:
        raise GovnetError(
            f"no district '{district}'", hint=f"one of: {', '.join(sorted(network.district_names))}"
        )
    the_store = open_store(store)
    items = [a for a in availability(network, the_store, seconds) if district in (None, a.district)]
    districts = by_district(items, network)
    if json:
        print_json({"period": period, "endpoints": [a.as_dict() for a in items], "districts": districts})
        return
    table = Table(title=f"availability over {period} (maintenance excluded)")
    for column in ("district", "agencies monitored", "availability"):
        table.add_column(column)
    for row in districts:
        table.add_row(
            str(row["name"]), str(row["agencies"]), f"{float(str(row['availability'])) * 100:.3f} %"
        )
    console.print(table)
    worst = sorted((a for a in items if a.availability is not None), key=lambda a: a.availability or 0)[:10]
    for item in worst:
        console.print(
            f"  {item.name} ({item.district}): {(item.availability or 0) * 100:.3f} %", highlight=False
        )


maintenance_app = typer.Typer(help="Declared maintenance windows (excluded from availability).")
app.add_typer(maintenance_app, name="maintenance")


@maintenance_app.command("add")
def maintenance_add(
    target: Annotated[
        str, typer.Argument(help="*, device:NAME, district:ID, commune:ID or endpoint:KIND:ID.")
    ],
    start: Annotated[str, typer.Option(help="ISO time, e.g. 2026-11-22T22:00+07:00.")],
    end: Annotated[str, typer.Option(help="ISO time.")],
    reason: Annotated[str, typer.Option(help="Why (shown in reports).")],
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
) -> None:
    """Declare a maintenance window."""
    if not (target == "*" or target.split(":", 1)[0] in {"device", "district", "commune", "endpoint"}):
        raise GovnetError(
            f"bad maintenance target '{target}'",
            hint="use *, device:NAME, district:ID, commune:ID (see /api/v1/communes) or endpoint:KIND:ID",
        )
    try:
        starts, ends = (datetime.fromisoformat(t).timestamp() for t in (start, end))
    except ValueError as exc:
        raise GovnetError(f"bad time: {exc}", hint="write ISO 8601, e.g. 2026-11-22T22:00+07:00") from exc
    the_store = open_store(store)
    wid = the_store.add_maintenance(target, starts, ends, reason)
    _audit(the_store, "maintenance.add", f"window {wid}: {target} {start} – {end} ({reason})")
    console.print(f"maintenance window {wid} for {target} recorded")


@maintenance_app.command("delete")
def maintenance_delete(
    window_id: Annotated[int, typer.Argument(help="The window's id (see 'maintenance list').")],
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
) -> None:
    """Remove a maintenance window (recorded in the audit log)."""
    the_store = open_store(store)
    removed = the_store.delete_maintenance(window_id)
    if removed is None:
        raise GovnetError(f"no maintenance window {window_id}", hint="see 'govnet monitor maintenance list'")
    _audit(the_store, "maintenance.delete", f"window {window_id}: {removed.target} ({removed.reason})")
    console.print(f"maintenance window {window_id} removed")


def _audit(the_store: Store, action: str, target: str) -> None:
    """Record a command-line change in the API's audit log, as ``cli`` from ``local:<user>``."""
    AuditLog(the_store).record(None, action, target, f"local:{getpass.getuser()}", "ok")


@maintenance_app.command("list")
def maintenance_list(
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The store URL.")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every declared window."""
    windows = open_store(store).maintenance()
    if json:
        print_json({"windows": [w.__dict__ for w in windows]})
        return
    for w in windows:
        span = " – ".join(
            datetime.fromtimestamp(t).astimezone().isoformat(timespec="minutes") for t in (w.starts, w.ends)
        )
        console.print(f"{w.id}: {w.target}  {span}  {w.reason}", highlight=False)
