"""The interlock's ranges are settings with safe defaults, checked before any packet leaves."""

from __future__ import annotations

import os
import subprocess
import sys
from ipaddress import IPv4Network

import pytest

from govnet.errors import SafetyError
from govnet.safety import SafetySettings, check_target


def _govnet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govnet.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


def test_a_configured_deny_range_is_never_contacted() -> None:
    settings = SafetySettings.from_env({"GOVNET_DENY_RANGES": "10.0.0.0/8"})
    assert settings.deny_ranges == (IPv4Network("10.0.0.0/8"),)
    with pytest.raises(SafetyError, match=r"10\.1\.2\.3 is in 10\.0\.0\.0/8, a range govnet never contacts"):
        check_target("10.1.2.3", settings=settings)
    check_target("10.1.2.3", settings=SafetySettings.from_env({}))  # not denied by default: passes


def test_by_default_nothing_is_denied_and_a_lab_address_still_needs_its_lab_route() -> None:
    settings = SafetySettings.from_env({})
    assert settings.deny_ranges == ()
    with pytest.raises(SafetyError, match=r"no lab route|default route"):
        check_target("198.18.255.254", settings=settings)  # a lab address no lab serves


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GOVNET_LAB_RANGES": "8.8.0.0/16"}, "public address space"),
        ({"GOVNET_LAB_RANGES": "198.18.0.0/15", "GOVNET_DENY_RANGES": "198.19.0.0/16"}, "overlaps"),
        ({"GOVNET_DENY_RANGES": "10.0.0.300/8"}, "GOVNET_DENY_RANGES: '10.0.0.300/8' is not an IPv4"),
    ],
)
def test_bad_settings_are_refused_with_the_variable_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SafetyError, match=message):
        SafetySettings.from_env(env)


def test_the_cli_refuses_a_denied_target_before_any_packet() -> None:
    proc = _govnet(
        {"GOVNET_DENY_RANGES": "10.0.0.0/8"},
        "monitor",
        "poll-once",
        "--target",
        "10.9.9.9",
        "--community",
        "x",
        "--json",
    )
    assert proc.returncode == 1, proc.stderr
    assert "a range govnet never contacts" in proc.stdout
    bad = _govnet(
        {"GOVNET_LAB_RANGES": "8.8.0.0/16"},
        "monitor",
        "poll-once",
        "--target",
        "127.0.0.1",
        "--community",
        "x",
    )
    assert bad.returncode != 0
    assert "GOVNET_LAB_RANGES: 8.8.0.0/16 is public address space" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_name_or_an_ipv6_address_is_refused_with_a_hint_not_a_valueerror() -> None:
    # The route check works on IPv4 addresses: a name would be resolved past it.
    for address in ("localhost", "::1", "hub-01.example"):
        with pytest.raises(SafetyError, match=r"is not an IPv4 address") as caught:
            check_target(address)
        assert caught.value.hint


@pytest.mark.parametrize("target", ["::1", "198.18.0.10:snmp", "198.18.0.10:70000", "localhost"])
def test_poll_once_refuses_a_target_that_is_not_ipv4_port_without_a_traceback(target: str) -> None:
    proc = _govnet({}, "monitor", "poll-once", "--target", target, "--community", "x")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert f"--target '{target}' is not IPV4[:PORT]" in proc.stderr, proc.stderr
