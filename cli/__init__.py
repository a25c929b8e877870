"""The ``govnet`` command: a root with global options and one sub-command group per package.

Each package's commands are in their own module of this package (``cli/inventory.py``, ...); this
module only assembles them, importing one when its sub-command is used (:mod:`govnet.cli.lazy`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from govnet import __version__
from govnet.cli.lazy import Lazy, LazyGroup
from govnet.cli.options import GlobalOptions
from govnet.cli.usage import TyperException, report_typer_error
from govnet.errors import GovnetError
from govnet.logs import configure, settings
from govnet.output import err_console

if __name__ != "govnet.cli":  # one import root: see scripts/restructure.py
    raise ImportError(f"{__name__} is installed as govnet.cli: import it by that name")


#: Every sub-command, in the order ``govnet --help`` lists them, with its module and summary.
SUBCOMMANDS = {
    "serve": Lazy(
        "govnet.cli.api",
        "serve",
        "Serve the status API (/api/v1) and the NOC page (/) over the monitor's store.",
    ),
    "demo": Lazy(
        "govnet.cli.demo",
        "demo",
        "The main job: the sample province as a lab, provisioned, monitored and served.",
    ),
    "inventory": Lazy(
        "govnet.cli.inventory", "app", "The network description: validate, show, stats, export and import."
    ),
    "topology": Lazy(
        "govnet.cli.topology", "app", "The network as a graph: SPOFs, failure impact, what-if, exports."
    ),
    "lab": Lazy("govnet.cli.lab", "app", "A real lab of FRR, sshd, snmpd and lldpd in network namespaces."),
    "monitor": Lazy("govnet.cli.monitor", "app", "SNMP polling, traps, link health and alerting."),
    "config": Lazy("govnet.cli.tasks", "config_app", "Intended configurations: render."),
    "provision": Lazy(
        "govnet.cli.tasks", "provision_app", "Roll intended configurations out: diff (dry run) and push."
    ),
    "api": Lazy("govnet.cli.api", "app", "The status API: tokens."),
    "notify": Lazy("govnet.cli.notify", "app", "Notifications: e-mail, Telegram, signed webhooks, apprise."),
    "report": Lazy(
        "govnet.cli.report", "app", "Reports: availability (SLA) per agency, commune, district and province."
    ),
}


class RootGroup(LazyGroup):
    """The ``govnet`` group: its sub-commands are :data:`SUBCOMMANDS`."""

    lazy = SUBCOMMANDS


app = typer.Typer(
    name="govnet",
    help="Provision and monitor a provincial government dedicated data network (TSLCD).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=RootGroup,
)


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
    log_level: Annotated[
        str | None,
        typer.Option(help="Log from this level: debug, info, warning, error ($GOVNET_LOG_LEVEL; warning)."),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(help="Log lines as text (a terminal) or json (a log shipper) ($GOVNET_LOG_FORMAT)."),
    ] = None,
    log_file: Annotated[
        Path | None, typer.Option(help="Append log lines to this file instead of stderr ($GOVNET_LOG_FILE).")
    ] = None,
) -> None:
    """Global options, stored for the sub-commands (see :func:`govnet.cli.context.app_context`)."""
    configure(settings(log_level, log_format, log_file))
    ctx.obj = GlobalOptions(inventory=inventory, secrets=secrets)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn :class:`GovnetError` into an exit code.

    A usage error (unknown command or option, a bad value) is one line on stderr naming the fix,
    exit status 2, never a traceback: see :mod:`govnet.cli.usage`.
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
        # click's own exceptions (a library may use click itself): click is loaded if one was raised
        click = sys.modules.get("click")
        if click is not None and isinstance(exc, click.ClickException):
            exc.show()
            return int(exc.exit_code)
        raise
    return result if isinstance(result, int) else 0
