"""``govnet monitor ...``: polling (more to come: run, incidents, sla)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import SecretStr
from rich.table import Table

from govnet import aio
from govnet.context import app_context
from govnet.errors import GovnetError
from govnet.output import console, print_json

if TYPE_CHECKING:
    from monitor.collector import DeviceState


app = typer.Typer(help="SNMP polling, traps, link health and alerting.", no_args_is_help=True)


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
) -> object:
    from govnet.snmp.client import Target

    host, _, port = target.partition(":")
    if v3_user:
        if not (auth_key and priv_key):
            raise GovnetError(
                "--v3-user needs --auth-key and --priv-key", hint="SNMPv3 polling is authPriv only"
            )
        return Target(
            host,
            int(port or 161),
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
    return Target(
        host, int(port or 161), "2c", community=SecretStr(community), timeout=timeout, retries=retries
    )


@app.command("poll-once")
def poll_once(
    ctx: typer.Context,
    target: Annotated[str | None, typer.Option(help="HOST[:PORT] to poll without any inventory.")] = None,
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
    auth_protocol: Annotated[str, typer.Option(help="sha, sha256, sha512 or md5.")] = "sha",
    priv_protocol: Annotated[str, typer.Option(help="aes, aes256 or des.")] = "aes",
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 2.0,
    retries: Annotated[int, typer.Option(help="Retries per request.")] = 1,
    concurrency: Annotated[int, typer.Option(help="Devices polled at once (inventory mode).")] = 64,
    json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Poll one device (--target) or every device of the inventory once: uptime, interfaces, LLDP."""
    from govnet.snmp.client import Target
    from monitor.config import targets_from_inventory
    from monitor.poll import poll_round
    from monitor.scraper import SnmpScraper

    scraper = SnmpScraper()
    if target is not None:
        one = _target_from_options(
            target, community, v3_user, auth_key, priv_key, auth_protocol, priv_protocol, timeout, retries
        )
        assert isinstance(one, Target)
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
