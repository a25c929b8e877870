"""Delivery to real receivers on loopback: a webhook endpoint verifying Standard Webhooks
signatures, aiosmtpd, a Telegram Bot API stand-in, apprise's JSON service; and the outbox holding
every message for a receiver that is down, then delivering each once, in order."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.notifier import Delivery, Notifier
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.notify.trial import send_trial
from govnet.monitor.store import Change, open_store
from tests.notifykit import (
    HttpReceiver,
    SmtpServer,
    TelegramFake,
    WebhookReceiver,
    new_whsec,
    self_signed,
    signature_ok,
    wait_until,
    write_channels,
)

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:test-bot-token-XYZ"


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govnet.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=REPO,
        timeout=180,
    )


def test_notify_test_delivers_through_every_kind(tmp_path: Path) -> None:
    secret = new_whsec()
    hook = WebhookReceiver(secret)
    telegram = TelegramFake(TOKEN)
    posted: list[dict[str, Any]] = []

    def apprise_json(path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        posted.append(json.loads(body))
        return 200, b"{}"

    apprise_target = HttpReceiver(apprise_json)
    for server in (hook, telegram, apprise_target):
        server.start()
    try:
        with SmtpServer() as smtp:
            channels = write_channels(
                tmp_path / "channels.yaml",
                f"""\
noc_url: http://127.0.0.1:8080/
channels:
  - name: ioc
    kind: webhook
    url: {hook.url}/hooks/govnet
    secret: {{env: IOC_WEBHOOK_SECRET}}
  - name: noc-mail
    kind: email
    host: 127.0.0.1
    port: {smtp.port}
    security: none
    sender: govnet@example.gov.vn
    to: [noc@example.gov.vn, truc@example.gov.vn]
  - name: tg
    kind: telegram
    token: {{env: TG_TOKEN}}
    chat_id: "-100200300"
    api_url: {telegram.url}
    language: en
  - name: other
    kind: apprise
    url: {{secret: apprise-url}}
""",
            )
            env = {
                "HOME": str(tmp_path),
                "IOC_WEBHOOK_SECRET": secret,
                "TG_TOKEN": TOKEN,
                "GOVNET_SECRET_APPRISE_URL": f"json://127.0.0.1:{apprise_target.port}/apprise",
            }
            proc = run_cli(["notify", "test", "--channels", str(channels), "--json"], env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            results = {r["channel"]: r for r in json.loads(proc.stdout)}
            assert set(results) == {"ioc", "noc-mail", "tg", "other"}
            assert all(r["ok"] for r in results.values()), results
            # The webhook: one POST, signature verified by the receiver's own code, id as reported.
            (got,) = hook.hooks
            assert got.valid and got.msg_id == results["ioc"]["message_id"]
            assert got.json["type"] == "test" and got.json["data"]["test"]["channel"] == "ioc"
            # E-mail: accepted by the SMTP server for both recipients, Vietnamese by default.
            wait_until(lambda: len(smtp.mails) == 1, 10, "the test mail")
            ((rcpts, mail),) = smtp.mails
            assert rcpts == ["noc@example.gov.vn", "truc@example.gov.vn"]
            assert "THỬ NGHIỆM" in str(mail["Subject"])
            assert "Tin nhắn thử nghiệm từ govnet qua kênh 'noc-mail'" in mail.get_content()
            # Telegram: plain text (no parse mode), English on request.
            (sent,) = telegram.messages
            assert sent["chat_id"] == "-100200300" and "parse_mode" not in sent
            assert "A test message from govnet through the channel 'tg'" in sent["text"]
            # apprise's json:// service posted the message.
            assert len(posted) == 1 and "THỬ NGHIỆM" in posted[0]["title"]
            # Secrets never appear in what the command printed.
            for value in (secret, TOKEN, "test-bot-token"):
                assert value not in proc.stdout + proc.stderr
            # --channel picks one.
            proc = run_cli(["notify", "test", "--channels", str(channels), "--channel", "ioc"], env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert len(hook.hooks) == 2 and len(telegram.messages) == 1 and hook.hooks[1].valid
            assert "ok ioc: HTTP 204" in proc.stdout
    finally:
        for server in (hook, telegram, apprise_target):
            server.stop()


def test_notify_test_reports_a_failed_channel_without_its_secret(tmp_path: Path) -> None:
    telegram = TelegramFake("another:token")  # our token is refused: HTTP 401
    telegram.start()
    hook = WebhookReceiver(new_whsec())  # never started: connection refused
    try:
        channels = write_channels(
            tmp_path / "channels.yaml",
            f"""\
channels:
  - name: tg
    kind: telegram
    token: {{env: TG_TOKEN}}
    chat_id: "42"
    api_url: {telegram.url}
  - name: ioc
    kind: webhook
    url: {hook.url}/
    secret: {{env: IOC_WEBHOOK_SECRET}}
""",
        )
        env = {"HOME": str(tmp_path), "TG_TOKEN": TOKEN, "IOC_WEBHOOK_SECRET": new_whsec()}
        proc = run_cli(["notify", "test", "--channels", str(channels)], env)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert "FAILED tg: the Telegram Bot API answered HTTP 401: Unauthorized" in out
        assert "FAILED ioc: the webhook could not be reached (ConnectError)" in out
        assert "2 channel(s) failed" in out and TOKEN not in out
        proc = run_cli(["notify", "test", "--channels", str(channels), "--channel", "nope"], env)
        assert proc.returncode == 1 and "no channel named 'nope'" in proc.stdout + proc.stderr
    finally:
        telegram.stop()


class Background:
    """A notifier's delivery loop in a thread of its own (as it runs beside the monitor)."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.ready = threading.Event()
        self.thread.start()
        self.ready.wait(10)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def go() -> None:
            self.stop_event = asyncio.Event()
            self.notifier.wake = asyncio.Event()
            self.ready.set()
            await self.notifier.run(self.stop_event)

        self.loop.run_until_complete(go())

    def stop(self) -> None:
        assert self.stop_event is not None
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(30)
        self.loop.close()


def test_a_receiver_down_for_2_minutes_gets_every_message_once_in_order(
    tmp_path: Path, net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = new_whsec()
    monkeypatch.setenv("IOC_WEBHOOK_SECRET", secret)
    hook = WebhookReceiver(secret)  # down: nothing listens on its port yet
    path = write_channels(
        tmp_path / "channels.yaml",
        f"""\
retry: {{first: 1s, maximum: 8s}}
channels:
  - name: ioc
    kind: webhook
    url: {hook.url}/hooks
    secret: {{env: IOC_WEBHOOK_SECRET}}
    events: [endpoint]
""",
    )
    store_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = open_store(store_url)
    channels = load_channels(path)
    agencies = sorted(net.agencies)[:6]
    attempts: list[Delivery] = []
    first = Notifier(channels, Outbox(store_url), store, net, on_delivery=attempts.append)
    now = time.time()
    changes = [
        Change(now + i, "endpoint", f"agency:{a}", "up", "down", "correlation")
        for i, a in enumerate(agencies)
    ]
    first.on_report(CycleReport(at=now, changes=changes))
    running = Background(first)
    try:
        time.sleep(120)  # the receiver stays down for two minutes while the notifier keeps trying
    finally:
        running.stop()
    assert hook.hooks == []
    assert len(attempts) >= 5 and not any(a.ok for a in attempts)
    # Only the oldest message was tried, with back-off (1, 2, 4, 8, 8 ... s): not hammered.
    assert {a.message_id for a in attempts} == {attempts[0].message_id}
    assert len(attempts) < 30
    # The monitor restarts (a new notifier on the same store) and the receiver comes back.
    hook.start()
    try:
        second = Notifier(channels, Outbox(store_url), store, net)
        running = Background(second)
        try:
            wait_until(lambda: len(hook.hooks) >= len(agencies), 60, "every message after the return")
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            running.stop()
        got = hook.hooks
        assert [h.json["data"]["endpoint"]["id"] for h in got] == agencies  # once each, in order
        assert len({h.msg_id for h in got}) == len(agencies) and all(h.valid for h in got)
        assert got[0].msg_id == attempts[0].message_id  # the same webhook-id as the failed attempts
        assert all(r.delivered is not None for r in Outbox(store_url).rows())
    finally:
        hook.stop()
        store.close()


def test_the_receiver_verifies_only_what_was_signed() -> None:
    """The test receiver's own check is a real one: a changed body or an old timestamp fails."""
    secret = new_whsec()
    from govnet.monitor.notify.signing import headers

    body = b'{"type":"test"}'
    h = headers(secret, "msg_x", body)
    assert signature_ok(secret, "msg_x", h["webhook-timestamp"], h["webhook-signature"], body)
    assert not signature_ok(secret, "msg_x", h["webhook-timestamp"], h["webhook-signature"], body + b" ")
    assert not signature_ok(new_whsec(), "msg_x", h["webhook-timestamp"], h["webhook-signature"], body)
    old = headers(secret, "msg_x", body, now=time.time() - 3600)
    assert not signature_ok(secret, "msg_x", old["webhook-timestamp"], old["webhook-signature"], body)


def test_email_over_starttls_with_a_login(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    password = "mật-khẩu-SMTP-9x!"
    with SmtpServer(tls=(cert, key), login=("govnet", password)) as smtp:
        text = f"""\
channels:
  - name: mail
    kind: email
    host: 127.0.0.1
    port: {smtp.port}
    security: starttls
    ca_file: cert.pem
    username: govnet
    password: {{env: SMTP_PASSWORD}}
    sender: govnet@example.gov.vn
    to: [noc@example.gov.vn]
"""
        channels = write_channels(tmp_path / "channels.yaml", text)
        env = {"HOME": str(tmp_path), "SMTP_PASSWORD": password}
        proc = run_cli(["notify", "test", "--channels", str(channels)], env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        wait_until(lambda: len(smtp.mails) == 1, 10, "the mail")
        assert smtp.logins == ["PLAIN:ok"]
        # A wrong password is refused and said so, without the password.
        proc = run_cli(
            ["notify", "test", "--channels", str(channels)], {**env, "SMTP_PASSWORD": "sai-mat-khau"}
        )
        assert proc.returncode == 1
        assert "FAILED mail: the SMTP server refused the login (code 535)" in proc.stdout
        assert "sai-mat-khau" not in proc.stdout + proc.stderr
        # Without the CA file the server's certificate is not trusted: refused before any login.
        channels.write_text(text.replace("    ca_file: cert.pem\n", ""), encoding="utf-8")
        proc = run_cli(["notify", "test", "--channels", str(channels)], env)
        assert proc.returncode == 1 and "FAILED mail: TLS with the SMTP server" in proc.stdout, proc.stdout
        assert len(smtp.mails) == 1 and len(smtp.logins) == 2


def test_apprise_credentials_stay_out_of_the_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def answer(path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        seen.append(headers.get("authorization", ""))
        return 200, b"{}"

    target = HttpReceiver(answer)
    target.start()
    try:
        monkeypatch.setenv(
            "GOVNET_SECRET_APPRISE_URL", f"json://govnet:Bi-Mat-42xyz@127.0.0.1:{target.port}/x"
        )
        path = write_channels(
            tmp_path / "ch.yaml",
            "channels:\n  - name: other\n    kind: apprise\n    url: {secret: apprise-url}\n",
        )
        caplog.set_level(logging.DEBUG)
        (result,) = asyncio.run(send_trial(load_channels(path)))
        assert result.ok, result.detail
        assert seen and seen[0].startswith("Basic ")  # the credentials did reach the service
        assert "Bi-Mat-42xyz" not in caplog.text
    finally:
        target.stop()
