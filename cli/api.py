"""``govnet serve`` and ``govnet api token …``."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.cli.context import app_context
from govnet.errors import GovnetError
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
    role: Annotated[str, typer.Option(help="ioc, noc or engineer.")],
    district: Annotated[str | None, typer.Option(help="Limit the token to one district (id).")] = None,
    expires: Annotated[str | None, typer.Option(help="Lifetime: 12h, 30d, 2w (default: none).")] = None,
    note: Annotated[str, typer.Option(help="Who it is for.")] = "",
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    try:
        the_role = Role(role)
    except ValueError as exc:
        raise GovnetError(f"unknown role '{role}'", hint="use ioc, noc or engineer") from exc
    if district is not None:
        names = app_context(ctx).network().district_names
        if district not in names:
            raise GovnetError(f"no district '{district}'", hint=f"one of: {', '.join(sorted(names))}")
    token, record = TokenStore().create(the_role, district, parse_period(expires) if expires else None, note)
    console.print(
        f"token {record.id} ({record.role}{', ' + district if district else ''}); shown once:",
        highlight=False,
    )
    print(token)


@token_app.command("list")
def token_list(json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Tokens (ids, roles, scopes, expiry; never the tokens)."""
    records = TokenStore().records()
    rows = [
        {"id": r.id, "role": r.role.value, "district": r.district, "expires": r.expires, "note": r.note}
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
        console.print(
            f"{r['id']}  {r['role']:<8} {r['district'] or '*':<12} expires {expiry}  {r['note']}",
            highlight=False,
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id (see 'token list').")]) -> None:
    """Revoke a token."""
    if not TokenStore().revoke(token_id):
        raise GovnetError(f"no token '{token_id}'", hint="see 'govnet api token list'")
    console.print(f"token {token_id} revoked")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: Annotated[str | None, typer.Option(envvar="GOVNET_STORE", help="The monitor's store URL.")] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(help="An origin allowed to call the API from a browser (the IOC's); repeat."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
    series: Annotated[
        str | None,
        typer.Option(envvar="GOVNET_SERIES", help="VictoriaMetrics' URL: interface history is read there."),
    ] = None,
) -> None:
    """Serve the status API (/api/v1) and the NOC page (/) over the monitor's store."""
    import uvicorn  # noqa: PLC0415  (the web server: 'serve' only, not 'api token')

    network = app_context(ctx).network()
    state = ApiState(
        network,
        open_store(store),
        TokenStore(),
        cors_origins=list(cors_origin or []),
        series=VictoriaMetrics(series) if series else None,
    )
    console.print(f"govnet API on http://{host}:{port}/ (OpenAPI at /api/v1/docs)", highlight=False)
    # No access log: it would print every request line, and the NOC page polls.
    uvicorn.run(
        create_app(state), host=host, port=port, access_log=False, log_level="warning", workers=workers
    )
