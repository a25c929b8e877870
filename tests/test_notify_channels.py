"""The channels file: validated like the inventory (file, line, entry, field), secrets resolved and
never shown, routes checked against the channels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from govnet.errors import InventoryError
from govnet.inventory.secrets import SecretStore
from govnet.monitor.notify.channels import load_channels
from tests.notifykit import new_whsec, write_channels

GOOD = """\
language: vi
noc_url: http://127.0.0.1:8080/
channels:
  - name: ioc
    kind: webhook
    url: http://127.0.0.1:9/hooks
    secret: {env: TEST_IOC_SECRET}
    events: [incident, endpoint]
  - name: mail
    kind: email
    host: 127.0.0.1
    port: 2525
    security: none
    sender: govnet@example.gov.vn
    to: [noc@example.gov.vn]
  - name: tg
    kind: telegram
    token: {secret: tg-token}
    chat_id: -1001234
    api_url: http://127.0.0.1:9
    language: en
routes:
  - channels: [ioc, mail]
    min_severity: major
    quiet_hours: {start: "22:00", end: "06:00"}
    remind_every: 30m
    escalate_after: 2h
    escalate_to: [tg]
"""


def test_a_good_file_loads_with_its_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = new_whsec()
    monkeypatch.setenv("TEST_IOC_SECRET", secret)
    monkeypatch.setenv("GOVNET_SECRET_TG_TOKEN", "123:abc-token")
    channels = load_channels(write_channels(tmp_path / "ch.yaml", GOOD))
    assert list(channels.channels) == ["ioc", "mail", "tg"]
    assert channels.channels["ioc"].secrets["secret"].get_secret_value() == secret
    assert secret not in repr(channels)  # SecretStr all the way
    assert channels.language_of("tg") == "en" and channels.language_of("mail") == "vi"
    route = channels.routes[0]
    assert (route.remind_every, route.escalate_after, route.escalate_to) == (1800.0, 7200.0, ["tg"])
    assert channels.channels["tg"].config.chat_id == "-1001234"  # type: ignore[union-attr]


def test_every_problem_is_named_with_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IOC_SECRET", "not-a-whsec-value")
    text = """\
channels:
  - name: ioc
    kind: webhook
    url: ftp://127.0.0.1/x
    secret: {env: TEST_IOC_SECRET}
  - name: mail
    kind: email
    host: 127.0.0.1
    sender: govnet@example.gov.vn
    to: [noc@example.gov.vn]
    pasword: {env: NOPE}
  - name: tg
    kind: telegam
routes:
  - channels: [ioc, nobody]
    min_severity: urgent
"""
    path = write_channels(tmp_path / "bad.yaml", text)
    with pytest.raises(InventoryError) as caught:
        load_channels(path)
    report = str(caught.value)
    assert f"{path}:4: channels[0] 'ioc': field 'url': " in report and "http:// or https://" in report
    assert f"{path}:11: channels[1] 'mail': field 'pasword': unknown key 'pasword'" in report
    assert "did you mean 'password'?" in report
    assert f"{path}:13: channels[2] 'tg': field 'kind': unknown channel kind 'telegam'" in report
    assert f"{path}:15: routes[0]: field 'channels': no channel named 'nobody'" in report
    assert f"{path}:16: routes[0]: field 'min_severity'" in report


def test_a_bad_webhook_secret_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_IOC_SECRET", "hunter2-plain-password")
    path = write_channels(
        tmp_path / "ch.yaml",
        "channels:\n  - name: ioc\n    kind: webhook\n    url: http://127.0.0.1:9/\n"
        "    secret: {env: TEST_IOC_SECRET}\n",
    )
    with pytest.raises(InventoryError) as caught:
        load_channels(path)
    report = str(caught.value)
    assert (
        f"{path}:5: channels[0] 'ioc': field 'secret': the webhook secret must start with 'whsec_'" in report
    )
    assert "hunter2" not in report


def test_a_password_in_a_webhook_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = write_channels(
        tmp_path / "ch.yaml",
        "channels:\n  - name: ioc\n    kind: webhook\n    url: https://govnet:Pa55-w0rd@ioc.example/h\n"
        "    secret: {env: NOPE}\n",
    )
    with pytest.raises(InventoryError) as caught:
        load_channels(path, SecretStore(tmp_path / "none.yaml", environ={"NOPE": "whsec_" + "QUFB" * 8}))
    assert f"{path}:4: channels[0] 'ioc': field 'url': the URL holds a password" in str(caught.value)
    assert "Pa55-w0rd" not in str(caught.value)


def test_a_missing_secret_names_where_it_was_looked_for(tmp_path: Path) -> None:
    path = write_channels(
        tmp_path / "ch.yaml",
        "channels:\n  - name: tg\n    kind: telegram\n    chat_id: '42'\n    token: {secret: tg-token}\n",
    )
    with pytest.raises(InventoryError) as caught:
        load_channels(path, SecretStore(tmp_path / "none.yaml", environ={}))
    assert f"{path}:5: channels[0] 'tg': field 'token': no value for secret 'tg-token'" in str(caught.value)


def test_yaml_syntax_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match=r"ch\.yaml:3: YAML syntax error"):
        load_channels(write_channels(tmp_path / "ch.yaml", "channels:\n  - [unclosed\n"))
    with pytest.raises(InventoryError, match="not a mapping"):
        load_channels(write_channels(tmp_path / "ch.yaml", "- just a list\n"))
    with pytest.raises(InventoryError, match="does not exist"):
        load_channels(tmp_path / "missing.yaml")


def test_the_cli_reports_problems_and_never_the_secret(tmp_path: Path) -> None:
    path = write_channels(
        tmp_path / "ch.yaml",
        "channels:\n  - name: ioc\n    kind: webhook\n    url: http://127.0.0.1:9/\n"
        "    secret: {env: TEST_IOC_SECRET}\n    colour: red\n",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "notify", "test", "--channels", str(path)],
        check=False,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "TEST_IOC_SECRET": "whsec_c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2g=",
        },
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "ch.yaml:6: channels[0] 'ioc': field 'colour': unknown key 'colour'" in proc.stdout + proc.stderr
    assert "c2VjcmV0" not in proc.stdout + proc.stderr


def test_monitor_run_refuses_a_bad_channels_file_before_it_polls(
    tmp_path: Path, mini_inventory: Path
) -> None:
    path = write_channels(
        tmp_path / "ch.yaml",
        "channels:\n  - name: tg\n    kind: telegram\n    chat_id: 'not a chat'\n"
        "    token: {env: NOPE_TOKEN}\n"
        "  - name: tg2\n    kind: telegram\n    chat_id: '@noc_truc_ca'\n    token: {env: NOPE_TOKEN}\n",
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "govnet.cli",
            "monitor",
            "run",
            "--no-traps",
            "--no-live",
            "--duration",
            "30",
            "--store",
            f"sqlite:///{tmp_path / 'm.db'}",
            "--channels",
            str(path),
        ],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "GOVNET_INVENTORY": str(mini_inventory)},
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "ch.yaml:4: channels[0] 'tg': field 'chat_id': a Telegram chat id is a number" in out
    assert "ch.yaml:9: channels[1] 'tg2': field 'token': no value for environment variable NOPE_TOKEN" in out
    assert "monitor:" not in out  # refused before the monitor started
