"""``govnet serve`` and ``govnet api token …``."""

from __future__ import annotations

import getpass
import logging
import time
from pathlib import Path
from typing import Annotated

import typer

from govnet.api.app import create_app
from govnet.api.audit import AuditLog
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.api.limits import StreamSlots
from govnet.api.serving import check_listen
from govnet.api.sessions import Sessions
from govnet.api.tiles import Tiles
from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.inventory.communes import communes
from govnet.monitor.series import VictoriaMetrics
from govnet.monitor.sla import parse_period
from govnet.monitor.store import open_store
from govnet.output import console, print_json

app = typer.Typer(help="The status API: tokens.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens (stored hashed; printed once).", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option(help="ioc, noc, engineer or admin (each includes the one before).")],
    district: Annotated[str | None, typer.Option(help="Limit the token to one district (id).")] = None,
    commune: Annotated[
        str | None, typer.Option(help="Limit the token to one commune or ward (id, see /api/v1/communes).")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Lifetime: 12h, 30d, 2w (default: none).")] = None,
    note: Annotated[str, typer.Option(help="Who it is for.")] = "",
    store: Annotated[
        str | None, typer.Option(envvar="GOVNET_STORE", help="The store whose audit log records it.")
    ] = None,
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    try:
        the_role = Role(role)
    except ValueError as exc:
        raise GovnetError(f"unknown role '{role}'", hint="use ioc, noc, engineer or admin") from exc
    if district is not None:
        names = app_context(ctx).network().district_names
        if district not in names:
            raise GovnetError(f"no district '{district}'", hint=f"one of: {', '.join(sorted(names))}")
    if commune is not None:
        found = communes(app_context(ctx).network()).get(commune)
        if found is None:
            raise GovnetError(f"no commune '{commune}'", hint="see /api/v1/communes for the ids")
        if district not in (None, found.district):
            raise GovnetError(
                f"commune '{commune}' is in district '{found.district}', not '{district}'",
                hint="give --commune alone: its district follows",
            )
        district = found.district
    lifetime = parse_period(expires) if expires else None
    token, record = TokenStore().create(the_role, district, lifetime, note, commune)
    where = f"commune {commune}" if commune else district or "all districts"
    _audit(store, "token.create", f"token {record.id} ({record.role}, {where}) {note}")
    console.print(
        f"token {record.id} ({record.role}{', ' + where if district else ''}); shown once:",
        highlight=False,
    )
    print(token)


@token_app.command("list")
def token_list(json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Tokens (ids, roles, scopes, expiry; never the tokens)."""
    records = TokenStore().records()
    rows = [
        {
            "id": r.id,
            "role": r.role.value,
            "district": r.district,
            "commune": r.commune,
            "expires": r.expires,
            "note": r.note,
        }
        for r in records
    ]
    if json:
        print_json({"tokens": rows})
        return
    for r in rows:
        expiry = (
            "never"
            if r["expires"] is None
            else time.strftime("%Y-%m-%d %H:%M", time.localtime(float(str(r["expires"]))))
        )
        scope = r["commune"] or r["district"] or "*"
        console.print(
            f"{r['id']}  {r['role']:<8} {scope:<12} expires {expiry}  {r['note']}",
            highlight=False,
        )


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see 'token list').")],
    store: Annotated[
        str | None, typer.Option(envvar="GOVNET_STORE", help="The store of its sessions and audit log.")
    ] = None,
) -> None:
    """Revoke a token (its browser sessions end with it)."""
    if not TokenStore().revoke(token_id):
        raise GovnetError(f"no token '{token_id}'", hint="see 'govnet api token list'")
    Sessions(open_store(store)).end_token(token_id)
    _audit(store, "token.revoke", f"token {token_id}")
    console.print(f"token {token_id} revoked")


def _audit(store: str | None, action: str, target: str) -> None:
    """Record a command-line action in the audit log, as ``cli`` from ``local`` (user named)."""
    AuditLog(open_store(store)).record(None, action, target, f"local:{getpass.getuser()}", "ok")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The monitor's store URL.")] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(help="An origin allowed to call the API from a browser (the IOC's); repeat."),
    ] = None,
    series: Annotated[
        str | None,
        typer.Option(envvar="GOVNET_SERIES", help="VictoriaMetrics' URL: interface history is read there."),
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM certificate (chain): serve HTTPS.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM private key of --tls-cert.")] = None,
    insecure_http: Annotated[
        bool, typer.Option(help="Allow plain HTTP off loopback (behind a TLS proxy on this host).")
    ] = False,
    boundary: Annotated[
        Path | None,
        typer.Option(
            help="GeoJSON boundaries (province, communes) drawn under the NOC map; served by govnet."
        ),
    ] = None,
    tiles: Annotated[
        str | None,
        typer.Option(
            help="Map tiles under the NOC map: a directory of z/x/y.png (served by govnet) or an "
            "https://.../{z}/{x}/{y}.png template."
        ),
    ] = None,
    events_per_token: Annotated[
        int, typer.Option(min=1, help="/events streams one token may hold open at once (screens, tabs).")
    ] = StreamSlots.per_token,
    events_max: Annotated[
        int, typer.Option(min=1, help="/events streams open at once in all.")
    ] = StreamSlots.total,
) -> None:
    """Serve the status API (/api/v1) and the NOC page (/) over the monitor's store."""
    import uvicorn  # noqa: PLC0415  (the web server: 'serve' only, not 'api token')

    check_listen(host, tls_cert, tls_key, insecure_http)
    network = app_context(ctx).network()
    state = ApiState(
        network,
        open_store(store),
        TokenStore(),
        cors_origins=list(cors_origin or []),
        series=VictoriaMetrics(series) if series else None,
        boundary=boundary,
        tiles=Tiles.parse(tiles) if tiles else None,
        streams=StreamSlots(per_token=events_per_token, total=events_max),
    )
    _ = state.boundary_layer  # a bad file is an error now, not on the first page load
    scheme = "https" if tls_cert else "http"
    console.print(f"govnet API on {scheme}://{host}:{port}/ (OpenAPI at /api/v1/docs)", highlight=False)
    logging.getLogger("govnet.api").info(
        "API serving",
        extra={"host": host, "port": port, "devices": len(network.devices), "store": state.store.backend},
    )
    # No access log: it would print every request line, and the NOC page polls. Uvicorn's own
    # loggers go through govnet's handler (log_config=None), in its format, at its level.
    uvicorn.run(
        create_app(state),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        log_level=None,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )


@app.command("audit")
def audit(
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The monitor's store URL.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="How many, newest first.")] = 50,
    action: Annotated[str | None, typer.Option(help="Only this action (incident.ack, ...).")] = None,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The audit log: who acknowledged, ran a dry run, logged in, created or revoked a token."""
    entries, total = AuditLog(open_store(store)).entries(limit, 0, action)
    if json:
        print_json({"items": [e.as_dict() for e in entries], "total": total})
        return
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
        who = f"{e.token_name or '-'} ({e.token_id}, {e.role})"
        console.print(
            f"{when}  {e.action:<18} {e.target:<30} {who}  from {e.address}  {e.outcome}", highlight=False
        )
