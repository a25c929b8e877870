"""govnet's logging: the two formats, the levels, the options, the secret mask, hostile text.

Records go through the handler :func:`govnet.logs.configure` installs, exactly as under the
``govnet`` command; the API's auth failures and 5xx answers through the real app; a trap with a
hostile field and one with a wrong community through the real trap receiver on loopback.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from govnet import logs
from govnet.api.app import create_app
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.cli import main
from govnet.inventory.loader import load_inventory
from govnet.monitor.store import open_store
from govnet.monitor.traps import LINK_DOWN, SNMP_TRAP_OID, TrapEvent, TrapReceiver
from govnet.snmp.ber import INTEGER, OCTET_STRING, SEQUENCE, TRAP_V2, encode_int, encode_oid, tlv
from tests.labkit import LANE
from tests.procs import REPO, stop_process

#: A string that would forge a second log line, a field and a terminal's view if written raw.
HOSTILE = (
    "hub-01\n2026-12-01T00:00:00.000Z ERROR   govnet.forged: forged line device=core-01"
    '\r\x00\x1b[2J\u2028" x=y'
)


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "govnet.log"
    logs.reset()


def test_json_lines_hold_one_object_each_with_the_context(log_file: Path) -> None:
    logs.configure(logs.LogSettings("debug", "json", log_file))
    log = logging.getLogger("govnet.monitor")
    log.warning("device unreachable", extra={"device": "hub-01", "address": "198.18.0.12", "district": "d1"})
    log.debug("poll done", extra={"device": "hub-01", "reachable": True, "varbinds": 42, "ifs": ["eth0"]})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("store write failed", extra={"store": "sqlite"})
    lines = read_lines(log_file)
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    first = records[0]
    assert first["level"] == "WARNING" and first["logger"] == "govnet.monitor"
    assert first["message"] == "device unreachable"
    assert (first["device"], first["address"], first["district"]) == ("hub-01", "198.18.0.12", "d1")
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert records[1]["reachable"] is True and records[1]["varbinds"] == 42 and records[1]["ifs"] == ["eth0"]
    assert records[2]["level"] == "ERROR" and "RuntimeError: boom" in records[2]["exception"]


def test_text_lines_name_level_logger_and_context(log_file: Path) -> None:
    logs.configure(logs.LogSettings("info", "text", log_file))
    logging.getLogger("govnet.tasks").info(
        "push started", extra={"device": "core-01", "district": "thanh pho", "address": "198.18.0.1"}
    )
    (line,) = read_lines(log_file)
    assert " INFO    govnet.tasks: push started device=core-01 " in line
    assert 'district="thanh pho"' in line and "address=198.18.0.1" in line


def test_levels_filter_govnet_and_keep_libraries_at_warning(log_file: Path) -> None:
    logs.configure(logs.LogSettings("info", "json", log_file))
    logging.getLogger("govnet.monitor").debug("per-poll detail")
    logging.getLogger("govnet.monitor").info("state change")
    logging.getLogger("uvicorn.error").info("Started server process")
    logging.getLogger("netmiko").info("library chatter")
    logging.getLogger("netmiko").warning("library warning")
    messages = [json.loads(line)["message"] for line in read_lines(log_file)]
    assert messages == ["state change", "Started server process", "library warning"]

    logs.configure(logs.LogSettings("error", "json", log_file))
    logging.getLogger("govnet.monitor").warning("degraded")
    logging.getLogger("govnet.monitor").error("failed")
    logging.getLogger("paramiko").warning("library warning below error")
    assert [json.loads(line)["message"] for line in read_lines(log_file)][3:] == ["failed"]


def test_settings_come_from_options_then_environment() -> None:
    env = {"GOVNET_LOG_LEVEL": "DEBUG", "GOVNET_LOG_FORMAT": "json", "GOVNET_LOG_FILE": "/tmp/x.log"}
    assert logs.settings(None, None, None, env) == logs.LogSettings("debug", "json", Path("/tmp/x.log"))
    assert logs.settings("error", "text", None, env).level == "error"
    assert logs.settings(None, None, None, {}) == logs.LogSettings("warning", "text", None)


def test_the_command_line_options_configure_the_log(
    tmp_path: Path, mini_inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "govnet.log"
    argv = ["--log-level", "info", "--log-format", "json", "--log-file", str(log_file)]
    assert main([*argv, "--inventory", str(mini_inventory), "inventory", "validate"]) == 0
    logging.getLogger("govnet.anything").info("after the command", extra={"device": "core-a"})
    logging.getLogger("govnet.anything").debug("not at info")
    (line,) = read_lines(log_file)
    assert json.loads(line)["device"] == "core-a"
    capsys.readouterr()
    for bad, word in ((["--log-level", "loud"], "log level"), (["--log-format", "xml"], "log format")):
        assert main([*bad, "inventory", "validate"]) == 2
        assert f"unknown {word}" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert main(["--log-file", str(blocker / "govnet.log"), "inventory", "validate"]) == 1
    assert "cannot write the log file" in capsys.readouterr().err


def test_the_environment_configures_the_command_line_log(
    mini_inventory: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOVNET_LOG_LEVEL", "debug")
    monkeypatch.setenv("GOVNET_LOG_FORMAT", "json")
    assert main(["--inventory", str(mini_inventory), "inventory", "validate"]) == 0
    capsys.readouterr()
    logging.getLogger("govnet.x").debug("to stderr", extra={"k": 1})
    (line,) = capsys.readouterr().err.splitlines()  # stderr as it is now, not as it was at configure
    assert json.loads(line)["k"] == 1


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_known_secrets_are_masked_everywhere_in_a_record(fmt: str, log_file: Path) -> None:
    secret = "S3cr3t-community-9f1c"
    token = "gvn_0a1b2c3d_" + "Q" * 43
    logs.add_secrets([secret])
    logs.configure(logs.LogSettings("debug", fmt, log_file))
    log = logging.getLogger("govnet.tasks")
    log.info("sent snmp-server community %s RO", secret, extra={"line": f"community {secret}"})
    log.info("auth", extra={"header": f"Bearer {token}", "nested": {"k": [secret, {"deep": secret}]}})
    log.info("store", extra={"url": "postgresql://govnet:pa55-w0rd@127.0.0.1/monitor"})
    try:
        raise ValueError(f"device said: {secret}")
    except ValueError:
        log.exception("push failed")
    logging.getLogger("netmiko").warning("write_channel: b'snmp-server community %s'", secret)
    text = log_file.read_text(encoding="utf-8")
    assert secret not in text and "Q" * 43 not in text and "pa55-w0rd" not in text
    assert text.count(logs.MASK) >= 7
    assert "gvn_0a1b2c3d_" + logs.MASK in text  # the token's id stays: it says which token


def test_every_value_the_secret_store_resolves_is_masked(
    mini_inventory: Path, mini_secrets: dict[str, str], log_file: Path
) -> None:
    network = load_inventory(mini_inventory)
    assert network.secrets.plain_values() == set(mini_secrets.values())
    logs.configure(logs.LogSettings("debug", "json", log_file))
    for value in mini_secrets.values():
        logging.getLogger("govnet.x").info(f"oops {value}", extra={"value": value})
    text = log_file.read_text(encoding="utf-8")
    assert all(value not in text for value in mini_secrets.values())


# --------------------------------------------------------------------------- hostile text


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_hostile_string_cannot_forge_a_line_or_a_field(fmt: str, log_file: Path) -> None:
    logs.configure(logs.LogSettings("debug", fmt, log_file))
    logging.getLogger("govnet.monitor").warning(
        f"device unreachable: {HOSTILE}", extra={"device": HOSTILE, HOSTILE: "key"}
    )
    raw = log_file.read_text(encoding="utf-8")
    assert raw.count("\n") == 1 and raw.endswith("\n")
    assert len(raw.splitlines()) == 1  # splitlines also breaks on \r, \x1c-\x1e, \x85, U+2028/9
    assert "\x00" not in raw and "\x1b" not in raw
    if fmt == "json":
        record = json.loads(raw)
        assert record["device"] == HOSTILE and record["message"].endswith(HOSTILE)
        assert record[HOSTILE] == "key"
    else:
        assert 'device="hub-01\\n2026-12-01' in raw  # the value is quoted, its newline escaped


def test_escape_is_readable_for_vietnamese_and_escapes_controls() -> None:
    assert logs.escape("Ủy ban nhân dân Tuyên Quang") == "Ủy ban nhân dân Tuyên Quang"
    assert logs.escape("a\nb\u202ec\x7f") == "a\\nb\\u202ec\\x7f"


# --------------------------------------------------------------------------- traps on the wire

#: The lane's own UDP ports (COMMON.md: 20000 + 1000 × lane).
LANE_PORTS = range(20000 + 1000 * LANE + 600, 20000 + 1000 * LANE + 700)


def _free_udp_port() -> int:
    for port in LANE_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free UDP port in the lane's range")


def _v2c_trap(community: bytes, varbinds: list[tuple[str, bytes]]) -> bytes:
    body = b"".join(tlv(SEQUENCE, encode_oid(oid) + value) for oid, value in varbinds)
    pdu = tlv(TRAP_V2, encode_int(4242) + encode_int(0) + encode_int(0) + tlv(SEQUENCE, body))
    return tlv(SEQUENCE, encode_int(1) + tlv(OCTET_STRING, community) + pdu)


def test_a_trap_with_a_hostile_field_is_one_line_and_a_wrong_community_is_logged(log_file: Path) -> None:
    community = "trap-c0mmunity-" + os.urandom(4).hex()
    logs.add_secrets([community])
    logs.configure(logs.LogSettings("debug", "text", log_file))
    port = _free_udp_port()
    received: list[TrapEvent] = []

    async def exchange() -> None:
        receiver = TrapReceiver("127.0.0.1", port, received.append, [SecretStr(community)])
        await receiver.start()
        try:
            varbinds = [
                ("1.3.6.1.2.1.1.3.0", encode_int(100, 0x43)),
                (SNMP_TRAP_OID, encode_oid(LINK_DOWN)),
                ("1.3.6.1.2.1.2.2.1.1.3", encode_int(3, INTEGER)),
                ("1.3.6.1.2.1.2.2.1.2.3", tlv(OCTET_STRING, HOSTILE.encode())),
            ]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(_v2c_trap(b"not-the-community", varbinds), ("127.0.0.1", port))
                sender.sendto(_v2c_trap(community.encode(), varbinds), ("127.0.0.1", port))
            end = time.monotonic() + 20
            while not received and time.monotonic() < end:
                await asyncio.sleep(0.05)
        finally:
            receiver.close()

    asyncio.run(exchange())
    assert len(received) == 1 and received[0].kind == "linkDown"
    lines = read_lines(log_file)
    ours = [line for line in lines if " govnet." in line]
    rejected = [line for line in ours if "trap rejected: unknown community" in line]
    assert len(rejected) == 1 and "address=127.0.0.1" in rejected[0]
    accepted = [line for line in ours if "govnet.monitor.traps: trap received " in line]
    assert len(accepted) == 1 and "kind=linkDown" in accepted[0] and "if_index=3" in accepted[0]
    (varbinds,) = [line for line in ours if "trap varbinds" in line]
    assert "hub-01\\\\n2026-12-01" in varbinds  # the newline arrives escaped, inside a quoted value
    assert not any(line.startswith("2026-12-01T00:00:00.000Z") for line in lines)
    assert all(line[:4].isdigit() for line in lines), "every line starts with its time"
    assert community not in log_file.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the API


@pytest.fixture
def api(mini_inventory: Path, tmp_path: Path) -> Iterator[tuple[TestClient, TokenStore]]:
    network = load_inventory(mini_inventory)
    tokens = TokenStore(tmp_path / "tokens.json")
    state = ApiState(network, open_store(f"sqlite:///{tmp_path / 'm.db'}"), tokens)
    app = create_app(state)

    @app.get("/api/v1/boom")
    def boom() -> dict[str, Any]:
        raise RuntimeError("a bug in a route")

    with TestClient(app) as client:
        yield client, tokens
    state.store.close()


def test_auth_failures_log_the_token_id_and_client_never_the_token(
    api: tuple[TestClient, TokenStore], log_file: Path
) -> None:
    client, tokens = api
    logs.configure(logs.LogSettings("info", "json", log_file))
    token, record = tokens.create(Role.NOC)
    forged = f"gvn_{record.id}_{'x' * 43}"
    assert client.get("/api/v1/summary", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert client.get("/api/v1/summary").status_code == 401
    assert client.get("/api/v1/summary", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/api/v1/session", json={"token": forged}).status_code == 401
    records = [json.loads(line) for line in read_lines(log_file)]
    failures = [r for r in records if r["message"] == "authentication failed"]
    assert [(r["reason"], r["token_id"], r["path"]) for r in failures] == [
        ("unknown token", record.id, "/api/v1/summary"),
        ("missing bearer token", None, "/api/v1/summary"),
        ("unknown token", record.id, "/api/v1/session"),
    ]
    assert all(r["client"] == "testclient" and r["level"] == "WARNING" for r in failures)
    text = log_file.read_text(encoding="utf-8")
    assert "x" * 43 not in text and token.split("_", 2)[2] not in text


def test_an_unhandled_error_is_one_logged_500(api: tuple[TestClient, TokenStore], log_file: Path) -> None:
    client, _ = api
    logs.configure(logs.LogSettings("warning", "json", log_file))
    answer = client.get("/api/v1/boom")
    assert answer.status_code == 500 and answer.json()["error"]["message"] == "internal error"
    (record,) = [json.loads(line) for line in read_lines(log_file)]
    assert record["level"] == "ERROR" and record["path"] == "/api/v1/boom" and record["status"] == 500
    assert "RuntimeError: a bug in a route" in record["exception"]


# --------------------------------------------------------------------------- govnet serve


def test_serve_logs_uvicorn_and_govnet_in_one_format(mini_inventory: Path, tmp_path: Path) -> None:
    port = _free_tcp_port()
    env = {
        **os.environ,
        "GOVNET_INVENTORY": str(mini_inventory),
        "GOVNET_API_TOKENS": str(tmp_path / "tokens.json"),
        "GOVNET_LOG_LEVEL": "info",
        "GOVNET_LOG_FORMAT": "json",
    }
    store = f"sqlite:///{tmp_path / 'm.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", "serve", "--port", str(port), "--store", store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert proc.stderr is not None
        seen: list[dict[str, Any]] = []
        end = time.monotonic() + 60
        while time.monotonic() < end and not any("Uvicorn running" in r["message"] for r in seen):
            line = proc.stderr.readline()
            if not line:
                break
            seen.append(json.loads(line))  # every line is JSON, uvicorn's too
    finally:
        stop_process(proc)
    loggers = {r["logger"] for r in seen}
    assert {"govnet.api", "uvicorn.error"} <= loggers, seen
    assert not any("color_message" in r for r in seen)  # uvicorn's coloured copy of a message
    (serving,) = [r for r in seen if r["message"] == "API serving"]
    assert serving["port"] == port and serving["devices"] == 4


def _free_tcp_port() -> int:
    for port in range(20000 + 1000 * LANE + 700, 20000 + 1000 * LANE + 800):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free TCP port in the lane's range")


def test_a_trap_from_an_address_no_device_has_is_a_warning(mini_inventory: Path, log_file: Path) -> None:
    from govnet.monitor.traps import LinkMap, parse

    network = load_inventory(mini_inventory)
    logs.configure(logs.LogSettings("info", "json", log_file))
    linkmap = LinkMap(network)
    varbinds = [(SNMP_TRAP_OID, LINK_DOWN), ("1.3.6.1.2.1.2.2.1.1.3", 3)]
    assert linkmap.link_of(parse("198.51.100.77", varbinds)) == (None, None)
    device = next(iter(network.devices.values()))
    assert linkmap.link_of(parse(str(device.mgmt_ip), varbinds))[0] == device.name
    (record,) = [json.loads(line) for line in read_lines(log_file)]
    assert record["level"] == "WARNING" and record["address"] == "198.51.100.77"
    assert record["kind"] == "linkDown" and record["trap_oid"] == LINK_DOWN


def test_a_v3_trap_from_an_unknown_user_is_logged_as_rejected(log_file: Path) -> None:
    from pysnmp.hlapi.v3arch.asyncio import (
        ContextData,
        NotificationType,
        ObjectIdentity,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        send_notification,
        usmAesCfb128Protocol,
        usmHMACSHAAuthProtocol,
    )

    auth, priv = "auth-" + os.urandom(6).hex(), "priv-" + os.urandom(6).hex()
    logs.add_secrets([auth, priv])
    logs.configure(logs.LogSettings("info", "json", log_file))
    port = _free_udp_port()
    received: list[TrapEvent] = []

    async def exchange() -> None:
        receiver = TrapReceiver("127.0.0.1", port, received.append, [SecretStr("some-community")])
        await receiver.start()
        sender = SnmpEngine()
        try:
            await send_notification(
                sender,
                UsmUserData("stranger", auth, priv, usmHMACSHAAuthProtocol, usmAesCfb128Protocol),
                await UdpTransportTarget.create(("127.0.0.1", port)),
                ContextData(),
                "trap",
                NotificationType(ObjectIdentity(LINK_DOWN)),
            )
            end = time.monotonic() + 20
            while time.monotonic() < end and "SNMPv3" not in log_file.read_text(encoding="utf-8"):
                await asyncio.sleep(0.05)
        finally:
            sender.close_dispatcher()
            receiver.close()

    asyncio.run(exchange())
    assert received == []
    (record,) = [json.loads(line) for line in read_lines(log_file) if "SNMPv3" in line]
    assert record["level"] == "WARNING" and record["address"] == "127.0.0.1" and record["reason"]
    text = log_file.read_text(encoding="utf-8")
    assert auth not in text and priv not in text


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        # An '@' in a password: URL parsers (urllib, redis-py) take the last '@' as the end of it.
        ("redis://:p@ss:w0rd@127.0.0.1:6379/0", "redis://:********@127.0.0.1:6379/0"),
        ("postgresql://govnet:a@b@c@127.0.0.1/monitor", "postgresql://govnet:********@127.0.0.1/monitor"),
        ("http://u:plain@h/x and http://v:other@k/y", "http://u:********@h/x and http://v:********@k/y"),
    ],
)
def test_a_url_password_is_masked_whole(url: str, masked: str) -> None:
    assert logs.mask(f"store {url}") == f"store {masked}"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        # libpq and redis-py take the password from the query string too.
        (
            "postgresql://govnet@db/monitor?sslmode=require&password=s3cretPW",
            "postgresql://govnet@db/monitor?sslmode=require&password=********",
        ),
        (
            "redis://127.0.0.1:6379/0?password=s3cretPW&db=1",
            "redis://127.0.0.1:6379/0?password=********&db=1",
        ),
    ],
)
def test_a_password_in_a_url_query_is_masked(url: str, masked: str) -> None:
    assert logs.mask(f"store {url}") == f"store {masked}"


def test_a_store_error_never_prints_the_password_of_the_url_query() -> None:
    """The store's URL in its own error (printed, logged): the password of the query masked too."""
    port = 20000 + 1000 * int(os.environ.get("GOVNET_TEST_LANE", "0")) + 998  # nobody listens there
    url = f"postgresql://govnet@127.0.0.1:{port}/govnet?password=s3cretPW-in-query"
    proc = subprocess.run(
        [sys.executable, "-m", "govnet.cli", "monitor", "incidents"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "GOVNET_STORE": url},
    )
    assert proc.returncode != 0
    assert "cannot open the store" in proc.stderr, proc.stderr
    assert "s3cretPW" not in proc.stdout + proc.stderr, proc.stderr
