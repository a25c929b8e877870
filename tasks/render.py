"""Render intended configurations from the inventory through Jinja2 templates.

Templates live in ``tasks/templates/<platform>/``; ``device.j2`` serves every role and may be
overridden per role by ``<role>.j2``. A template error or an undefined variable raises
:class:`RenderError` naming the template, the line and the device.
"""

from __future__ import annotations

from ipaddress import ip_interface
from pathlib import Path
from typing import Any

import jinja2

from govnet.errors import GovnetError
from govnet.inventory.network import Network
from govnet.tasks.context import NoLanPortError, device_context
from govnet.tasks.escape import cli_text, cli_word, frr_text, ros_str
from govnet.tasks.guard import SkeletonMismatchError, check_skeleton, mask_values
from govnet.tasks.snmpwords import UnsupportedProtocolError

TEMPLATES = Path(__file__).resolve().parent / "templates"


class RenderError(GovnetError):
    """A template could not be rendered for a device."""

    exit_code = 2


def address(value: str) -> str:
    """The address part of ``A.B.C.D/len`` (or the network of a prefix).

    >>> address("198.18.1.1/30"), address("198.18.64.0/24")
    ('198.18.1.1', '198.18.64.0')
    """
    return str(ip_interface(value).ip)


def netmask(value: str) -> str:
    """The dotted netmask of ``A.B.C.D/len``.

    >>> netmask("198.18.1.1/30")
    '255.255.255.252'
    """
    return str(ip_interface(value).netmask)


def _environment(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # router configs, not HTML
    )
    env.filters["ip"] = address
    env.filters["netmask"] = netmask
    env.filters["cli_text"] = cli_text
    env.filters["cli_word"] = cli_word
    env.filters["frr_text"] = frr_text
    env.filters["ros_str"] = ros_str
    return env


def template_for(platform: str, role: str, root: Path = TEMPLATES) -> str:
    """The template file used for a platform and role (relative to the template root)."""
    for candidate in (f"{platform}/{role}.j2", f"{platform}/device.j2"):
        if (root / candidate).is_file():
            return candidate
    raise RenderError(
        f"no template for platform '{platform}' (role {role})",
        hint=f"add {root / platform / 'device.j2'} or {root / platform / (role + '.j2')}",
    )


def render_device(network: Network, name: str, *, root: Path = TEMPLATES, secrets: bool = False) -> str:
    """The intended configuration of one device, checked line by line against its template.

    The template is rendered a second time with every inventory value replaced by a marker
    (:mod:`govnet.tasks.guard`); a configuration whose lines differ from that skeleton is refused, so
    no value can add, remove or split a command on the way to diff, push or the lab.

    Secret values are ``********`` unless ``secrets``: the text a push hands to the device's
    session, held in memory only (every secret is a one-word value the guard checks too).
    """
    dev = network.devices[name]
    path = template_for(dev.platform, dev.role.value, root)
    env = _environment(root)
    try:
        context = device_context(network, name, secrets=secrets).as_dict()
    except (UnsupportedProtocolError, NoLanPortError) as exc:
        raise RenderError(f"device '{name}': {exc.message}", hint=exc.hint) from exc
    except KeyError as exc:  # a secret the inventory names but the secrets store lacks
        raise RenderError(
            f"device '{name}': no value for the secret {exc.args[0]}",
            hint="add it to the secrets file or its GOVNET_SECRET_* variable",
        ) from exc
    text = _render(env, path, name, context)
    markers: dict[str, str] = {}
    skeleton = _render(env, path, name, mask_values(context, markers))
    try:
        check_skeleton(text, skeleton, markers, show=not secrets)  # real keys never in a message
    except SkeletonMismatchError as exc:
        raise RenderError(
            f"{path}: the configuration of device '{name}' does not follow its template: {exc.message}",
            hint="a text of the inventory carries configuration syntax; correct it and validate the "
            "inventory (this configuration was neither written nor pushed)",
        ) from exc
    return text


def _render(env: jinja2.Environment, path: str, name: str, context: dict[str, Any]) -> str:
    """Render one template with one context; blank lines and trailing blanks dropped."""
    try:
        template = env.get_template(path)
        text = template.render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"{exc.filename or path}:{exc.lineno}: template error for device '{name}': {exc.message}",
            hint="fix the template syntax",
        ) from exc
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, path)
        raise RenderError(
            f"{path}:{line}: missing variable for device '{name}': {exc.message}",
            hint="add the value to the inventory or guard it in the template with 'is defined'",
        ) from exc
    lines = [line.rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


def _template_line(exc: BaseException, path: str) -> int | str:
    tb = exc.__traceback__
    line: int | str = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(path):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
