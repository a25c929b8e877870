"""Inventory strings in vendor configurations: data, never syntax (RouterOS quoting, IOS/VRP refusal).

RouterOS reads ``;`` as the end of a command, ``$`` as a variable, ``[ ]`` as a command to run and
``?`` as a request for help (MikroTik manual, Scripting: "Constant Escape Sequences", "Line
joining", "Variables"): every inventory string its template writes goes through ``ros_str``
(double quotes, ``\\"`` ``\\\\`` ``\\$`` ``\\?`` and ``\\XX`` escapes). Cisco IOS and Huawei VRP have
no quoting for a key or community: ``?`` is help there (the character is never entered), ``!`` and
``#`` start comments, ``|`` a filter; such a value is refused when the inventory is validated,
naming the credential and its field, and the render guard refuses it again should one ever get
past (a value set after validation, a test's own network).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from govnet.cli import main
from govnet.inventory.models import SNMPv3Credential
from govnet.inventory.network import Network, ResolvedSecrets
from govnet.tasks.render import RenderError, render_device
from tests.platform_syntax import _values, check_routeros, ros_value
from tests.replatform import as_platform

#: One-word values (the inventory refuses blanks in a key) that would end a RouterOS property or
#: command, run a command, read a variable, ask for help, or start a comment, if written bare.
HOSTILE_KEYS = [
    "k3y;/system/reset-configuration",
    'k3y"/user/add',
    "k3y$password",
    "k3y[/system/reboot]",
    "k3y?",
    "k3y\\",
    "k3y|include",
    "k3y!x#y",
    "k3y{:put}",
]


def _v3_device(net: Network) -> str:
    """The first vendor device polled with SNMPv3 (its keys go into its configuration)."""
    return next(
        n
        for n in sorted(net.devices)
        if net.devices[n].platform != "frr"
        and isinstance(
            net.credentials[net.snmp_profiles[net.devices[n].snmp_profile].credential], SNMPv3Credential
        )
    )


def _with_keys(net: Network, name: str, auth: str, priv: str) -> Network:
    """``net`` whose device ``name`` has these SNMPv3 keys, set past the inventory's checks."""
    cred = net.credentials[net.snmp_profiles[net.devices[name].snmp_profile].credential]
    values = dict(net.secrets.values)
    values[(cred.name, "auth_key")] = SecretStr(auth)
    values[(cred.name, "priv_key")] = SecretStr(priv)
    return dataclasses.replace(net, secrets=ResolvedSecrets(values))


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_routeros_writes_every_inventory_string_quoted_and_escaped(net: Network, key: str) -> None:
    """Each line stays one command with the key as one property's exact value."""
    name = _v3_device(net)
    hostile = as_platform(_with_keys(net, name, key, key + "-priv"), name, "mikrotik_routeros")
    text = render_device(hostile, name, secrets=True)
    assert len(text.splitlines()) == len(render_device(hostile, name).splitlines())
    assert check_routeros(text, set(hostile.devices[name].interfaces)) == []
    (line,) = [ln for ln in text.splitlines() if ln.startswith("/snmp community add ")]
    values = {k: ros_value(v) for k, v in _values(line[len("/snmp community add ") :])}
    assert values["authentication-password"] == key
    assert values["encryption-password"] == key + "-priv"
    assert values["name"] == "govnet-noc"
    # no bare RouterOS syntax outside quoted strings
    outside = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    assert not re.search(r"[;$?{}\\]", outside), outside


def test_every_routeros_name_is_quoted(net: Network) -> None:
    """Host names, interface names, BGP connection names, SNMP users: quoted like comments."""
    hub = next(n for n in sorted(net.devices) if net.devices[n].role.value == "hub")
    text = render_device(as_platform(net, hub, "mikrotik_routeros"), hub)
    assert f'/system identity set name="{hub}"\n' in text
    assert re.search(r'interface="ether\d+" comment=', text)
    assert re.search(r'\[ find default-name="ether\d+" \]', text)
    assert re.search(r'/routing bgp connection add name="[a-z0-9-]+-\d+" ', text)
    assert 'trap-community="govnet-noc"' in text or "trap-community=" not in text


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp"])
@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_ios_and_vrp_refuse_a_key_they_cannot_express(net: Network, platform: str, key: str) -> None:
    """IOS and VRP take a key bare: a value holding their syntax is refused at render time too."""
    name = _v3_device(net)
    moved = as_platform(_with_keys(net, name, key, "g00d-priv"), name, platform)
    with pytest.raises(RenderError, match="does not follow its template") as info:
        render_device(moved, name, secrets=True)
    assert key not in info.value.message and key not in str(info.value.hint)


@pytest.mark.parametrize(
    "secret,field",
    [
        ("GOVNET_SECRET_MINI_AUTH", "auth_key"),
        ("GOVNET_SECRET_MINI_PRIV", "priv_key"),
        ("GOVNET_SECRET_MINI_COMMUNITY", "community"),
    ],
)
@pytest.mark.parametrize("value", ["S3cr3t;/system/reset-configuration", "S3cr3t?", "S3cr3t|x"])
def test_inventory_validation_refuses_a_key_holding_command_line_syntax(
    mini_inventory: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    secret: str,
    field: str,
    value: str,
) -> None:
    monkeypatch.setenv(secret, value)
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if f"field '{field}'" in line]
    assert lines, err
    assert any(f"holds {value[6]!r} at character 7" in line for line in lines), err
    assert "S3cr3t" not in err, "a secret value must never be printed"


def test_a_non_ascii_key_is_refused_and_a_plain_one_passes(
    mini_inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVNET_SECRET_MINI_AUTH", "S3cr3t-ch\u00eca-kh\u00f3a")
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 2
    assert "non-ASCII" in capsys.readouterr().err
    monkeypatch.setenv("GOVNET_SECRET_MINI_AUTH", "S3cr3t-._,:/+=@%^&*()<>~")
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 0
