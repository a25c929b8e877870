"""``govnet config ...`` and ``govnet provision ...``: render, diff and push intended configurations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from govnet.cli.context import app_context
from govnet.errors import GovnetError
from govnet.output import console, print_json
from govnet.tasks.backup import backup as run_backup
from govnet.tasks.backup import configs_at
from govnet.tasks.netmiko_send import plan_all, send_all
from govnet.tasks.provision import select
from govnet.tasks.render import RenderError, render_device
from govnet.tasks.rollout import rollout

if TYPE_CHECKING:
    from govnet.tasks.provision import DeviceResult

config_app = typer.Typer(help="Intended configurations: render.", no_args_is_help=True)
provision_app = typer.Typer(
    help="Roll intended configurations out: diff (dry run) and push.", no_args_is_help=True
)

Filters = Annotated[
    list[str] | None,
    typer.Option(
        "--filter", help="key=value: name (glob), role, district, platform, site; repeat to narrow."
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object {devices: [...]}")]


@config_app.command()
def render(
    ctx: typer.Context,
    outdir: Annotated[Path, typer.Argument(help="Directory for one <device>.conf per device.")],
    filter: Filters = None,
) -> None:
    """Write every selected device's intended configuration."""
    network = app_context(ctx).network()
    names = select(network, filter or [])
    outdir.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in names:
        try:
            (outdir / f"{name}.conf").write_text(render_device(network, name), encoding="utf-8")
        except RenderError as exc:
            problems.append(exc.message)
    console.print(
        f"rendered {len(names) - len(problems)} of {len(names)} device(s) into {outdir}", highlight=False
    )
    if problems:
        raise GovnetError("; ".join(problems))


@config_app.command()
def backup(
    ctx: typer.Context,
    filter: Filters = None,
    repo: Annotated[
        Path | None, typer.Option(help="Backup git repository (default ~/.local/state/govnet/backups).")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Running configs into a git repository, secrets masked, one commit per run."""
    network = app_context(ctx).network()
    result = run_backup(network, select(network, filter or []), repo=repo)
    if json:
        print_json(result.as_dict())
    else:
        console.print(
            f"backed up {len(result.saved)} device(s) at commit {result.commit}; "
            f"failed: {', '.join(result.failed) or 'none'}",
            highlight=False,
        )
    if result.failed:
        raise typer.Exit(1)


@config_app.command()
def compliance(ctx: typer.Context, filter: Filters = None, json: JsonFlag = False) -> None:
    """Intended vs running configuration per device (a diff that changes nothing)."""
    network = app_context(ctx).network()
    results = rollout(network, select(network, filter or []), mode="diff")
    rows = [
        {
            "name": r.name,
            "compliant": r.status == "unchanged",
            "status": r.status,
            "diff": r.diff,
            "error": r.error,
        }
        for r in results
    ]
    if json:
        print_json({"devices": rows, "compliant": sum(1 for r in rows if r["compliant"]), "total": len(rows)})
    else:
        table = Table(title=f"compliance: {sum(1 for r in rows if r['compliant'])}/{len(rows)} as intended")
        for column in ("device", "compliant", "lines off", "error"):
            table.add_column(column)
        for r in rows:
            off = sum(1 for line in str(r["diff"]).splitlines() if line[:1] in "+-")
            table.add_row(str(r["name"]), "yes" if r["compliant"] else "NO", str(off), str(r["error"] or ""))
        console.print(table)


def _run(
    ctx: typer.Context,
    mode: Literal["diff", "push"],
    filters: list[str],
    json: bool,
    workers: int,
    max_failures: int,
    revert_in: int,
    configs: dict[str, str] | None = None,
) -> None:

    network = app_context(ctx).network()
    names = select(network, filters)
    if not names:
        raise GovnetError("no device matches the filters", hint="see 'govnet inventory show'")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=json,
        transient=False,
    ) as bar:
        job = bar.add_task(f"provision {mode}", total=len(names))

        def advance(result: DeviceResult) -> None:
            bar.update(job, advance=1, description=f"provision {mode}: {result.name} {result.status}")

        results = rollout(
            network,
            names,
            mode=mode,
            workers=workers,
            max_failures=max_failures,
            revert_in=revert_in,
            progress=advance,
            configs=configs,
        )
    _report(mode, mode == "diff", results, json)


def _report(mode: str, dry_run: bool, results: list[DeviceResult], json: bool) -> None:
    """The per-device report, as a table or the ``--json`` object; exit 1 on failures."""
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    if json:
        print_json(
            {
                "mode": mode,
                "dry_run": dry_run,
                "summary": counts,
                "devices": [r.as_dict() for r in results],
            }
        )
    else:
        table = Table(title=f"provision {mode}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
        for column in ("wave", "device", "status", "lines", "error"):
            table.add_column(column)
        for r in results:
            changed = sum(1 for line in r.diff.splitlines() if line[:1] in "+-")
            table.add_row(str(r.wave), r.name, r.status, str(changed), r.error or "")
        console.print(table)
    if any(r.status in {"failed", "rolled_back"} for r in results):
        raise typer.Exit(1)


@provision_app.command()
def send(
    ctx: typer.Context,
    line: Annotated[list[str], typer.Option("--line", help="A configuration line (repeat for several).")],
    filter: Filters = None,
    commit: Annotated[bool, typer.Option("--commit", help="Really send (default: dry run).")] = False,
    json: JsonFlag = False,
    workers: Annotated[int, typer.Option(help="Devices worked on at once.")] = 16,
) -> None:
    """Send configuration lines over the CLI (Netmiko), for what NAPALM has no path for.

    Dry run by default: the running configuration is read and the lines not yet in it are
    reported; the session itself refuses any change. With --commit they are sent, saved and
    checked in the running configuration: all or nothing on IOS, VRP and RouterOS (undone and read
    back on a refused line), line by line on FRR.
    """
    network = app_context(ctx).network()
    names = select(network, filter or [])
    if not names:
        raise GovnetError("no device matches the filters", hint="see 'govnet inventory show'")
    results = send_all(network, names, line, commit=commit, workers=workers)
    _report("send", not commit, results, json)


@provision_app.command()
def plan(
    ctx: typer.Context,
    filter: Filters = None,
    json: JsonFlag = False,
    workers: Annotated[int, typer.Option(help="Devices worked on at once.")] = 16,
) -> None:
    """Dry run for IOS and VRP: the lines that would take each device from its running to its
    intended configuration (hier-config remediation, read over the CLI). Changes nothing."""
    network = app_context(ctx).network()
    names = select(network, filter or [])
    if not names:
        raise GovnetError("no device matches the filters", hint="see 'govnet inventory show'")
    _report("plan", True, plan_all(network, names, workers=workers), json)


@provision_app.command()
def diff(
    ctx: typer.Context,
    filter: Filters = None,
    json: JsonFlag = False,
    workers: Annotated[int, typer.Option(help="Devices worked on at once.")] = 16,
) -> None:
    """Dry run: the difference between intended and running configuration, per device. Changes nothing."""
    _run(ctx, "diff", filter or [], json, workers, 0, 0)


@provision_app.command()
def push(
    ctx: typer.Context,
    commit: Annotated[
        bool, typer.Option("--commit", help="Really change the devices (dry run otherwise).")
    ] = False,
    filter: Filters = None,
    json: JsonFlag = False,
    workers: Annotated[int, typer.Option(help="Devices worked on at once, within a wave.")] = 16,
    max_failures: Annotated[
        int,
        typer.Option(
            help="Stop the rollout once more devices than this fail. Whatever it says, a device "
            "whose management path runs through a failed, rolled back or skipped device is skipped."
        ),
    ] = 0,
    revert_in: Annotated[
        int, typer.Option(help="Seconds before an unconfirmed device reverts by itself.")
    ] = 120,
) -> None:
    """Commit-confirm in waves from the core outward; confirm only after post-checks pass.

    Cisco IOS, Huawei VRP and MikroTik RouterOS get the remediation over the CLI inside their own
    safety net (revert timer, two-stage commit, safe mode; docs/vendors.md).
    """
    mode: Literal["diff", "push"] = "push" if commit else "diff"
    if not commit and not json:
        console.print("dry run (no --commit): showing what would change", highlight=False)
    _run(ctx, mode, filter or [], json, workers, max_failures, revert_in)


@provision_app.command()
def rollback(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", help="A backup: git revision of the backup repository (e.g. HEAD~1).")
    ],
    commit: Annotated[
        bool, typer.Option("--commit", help="Really change the devices (dry run otherwise).")
    ] = False,
    filter: Filters = None,
    repo: Annotated[Path | None, typer.Option(help="Backup git repository.")] = None,
    json: JsonFlag = False,
    revert_in: Annotated[
        int, typer.Option(help="Seconds before an unconfirmed device reverts by itself.")
    ] = 120,
) -> None:
    """Put devices back to a stored backup (commit-confirm and post-checks as for push)."""
    network = app_context(ctx).network()
    names = select(network, filter or [])
    configs = configs_at(to, names, repo)
    if not commit:
        raise GovnetError(
            "rollback is a change: add --commit", hint="dry run: compare with 'git show' in the repo"
        )
    _run(ctx, "push", filter or [], json, 16, 0, revert_in, configs=configs)
