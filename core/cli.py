"""The ``govnet`` command: a root with global options and one sub-command group per package.

Each package owns its commands in its own ``cli.py``; this module only assembles them, so the
command line follows the architecture (inventory → tasks | lab | topology → monitor → api).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from govnet import __version__
from govnet.api.cli import app as api_app
from govnet.api.cli import serve
from govnet.context import AppContext
from govnet.errors import GovnetError
from govnet.inventory.cli import app as inventory_app
from govnet.lab.cli import app as lab_app
from govnet.monitor.cli import app as monitor_app
from govnet.monitor.notify.cli import app as notify_app
from govnet.monitor.reportcli import app as report_app
from govnet.output import err_console
from govnet.tasks.cli import config_app, provision_app
from govnet.topology.cli import app as topology_app
from govnet.usage import TyperException, report_typer_error

app = typer.Typer(
    name="govnet",
    help="Provision and monitor a provincial government dedicated data network (TSLCD).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(inventory_app, name="inventory")
app.add_typer(topology_app, name="topology")
app.add_typer(lab_app, name="lab")
app.add_typer(monitor_app, name="monitor")
app.add_typer(config_app, name="config")
app.add_typer(provision_app, name="provision")
app.add_typer(api_app, name="api")
app.add_typer(report_app, name="report")
app.add_typer(notify_app, name="notify")
app.command("serve")(serve)


def _version(value: bool) -> None:
    if value:
        print(f"govnet {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            "-i",
            envvar="GOVNET_INVENTORY",
            help="Inventory directory (default: $GOVNET_INVENTORY, then the sample province).",
        ),
    ] = None,
    secrets: Annotated[
        Path | None,
        typer.Option(
            "--secrets",
            envvar="GOVNET_SECRETS",
            help="Secrets file, outside the repository (default: ~/.config/govnet/secrets.yaml).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options, stored for the sub-commands."""
    ctx.obj = AppContext(inventory_path=inventory, secrets_path=secrets)


@app.command()
def demo(
    ctx: typer.Context,
    size: Annotated[str, typer.Option(help="Lab size: small, medium or province.")] = "small",
    keep_lab: Annotated[
        bool, typer.Option(help="Leave the lab up (tear down later with 'govnet lab down').")
    ] = False,
    duration: Annotated[float | None, typer.Option(help="Stop by itself after N seconds.")] = None,
    port: Annotated[int, typer.Option(help="Port of the API and NOC page on 127.0.0.1.")] = 8000,
    interval: Annotated[float, typer.Option(help="Poll every device every N seconds.")] = 10.0,
) -> None:
    """The main job: the sample province as a lab, provisioned, monitored and served.

    Validates and summarises the inventory and ranks its single points of failure; where root
    allows, brings the lab up with day-0 configs, provisions it, runs the poller and trap
    receiver, and serves the API and NOC page on 127.0.0.1 (URL and token printed). Ctrl-C stops
    it all and tears the lab down.
    """
    from govnet.demo import run_demo

    run_demo(ctx, size, keep_lab, duration, port, interval)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn :class:`GovnetError` into an exit code.

    A usage error (unknown command or option, a bad value) is one line on stderr naming the fix,
    exit status 2, never a traceback: see :mod:`govnet.usage`.
    """
    try:
        result = app(args=argv, prog_name="govnet", standalone_mode=False)
    except TyperException as exc:  # typer's own (vendored click) errors: usage errors above all
        return report_typer_error(exc)
    except GovnetError as exc:
        err_console.print(Text.assemble(("error:", "bold red"), f" {exc.message}"), highlight=False)
        problems = getattr(exc, "problems", None)
        if problems:
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
        elif exc.hint:
            print(f"  fix: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except (typer.Abort, KeyboardInterrupt) as exc:
        print("aborted" if isinstance(exc, typer.Abort) else "interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
