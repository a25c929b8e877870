"""A webhook receiver answering 410 Gone (Standard Webhooks: the endpoint is retired): the message is
not retried, the channel is disabled (logged, kept across restarts, shown by ``govnet notify status``
and ``/api/v1/notifications``), its waiting messages are given up and no new ones are written, while
the other channels go on; ``govnet notify enable`` switches it on again."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from govnet.api.app import create_app
from govnet.api.audit import AuditLog
from govnet.api.auth import Role, TokenStore
from govnet.api.deps import ApiState
from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.notifier import Delivery, Notifier
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.store import Change, open_store
from tests.notifykit import WebhookReceiver, new_whsec, wait_until, write_channels
from tests.test_notify_delivery import REPO, Background


class SwitchableReceiver(WebhookReceiver):
    """Records every request and answers with :attr:`status` (204 until told otherwise)."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret)
        self.status = 204

    def _on_post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        super()._on_post(path, headers, body)
        return self.status, b""


def changes(agencies: list[str], at: float) -> CycleReport:
    rows = [
        Change(at + i, "endpoint", f"agency:{a}", "up", "down", "correlation") for i, a in enumerate(agencies)
    ]
    return CycleReport(at=at, changes=rows)


def test_a_receiver_answering_410_disables_its_channel_and_is_not_retried(
    tmp_path: Path, net: Network, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gone_secret, ok_secret = new_whsec(), new_whsec()
    monkeypatch.setenv("GONE_SECRET", gone_secret)
    monkeypatch.setenv("OK_SECRET", ok_secret)
    gone, fine = SwitchableReceiver(gone_secret), SwitchableReceiver(ok_secret)
    gone.status = 410
    gone.start()
    fine.start()
    path = write_channels(
        tmp_path / "channels.yaml",
        f"""\
retry: {{first: 1s, maximum: 2s}}
channels:
  - name: retired
    kind: webhook
    url: {gone.url}/hooks
    secret: {{env: GONE_SECRET}}
    events: [endpoint]
  - name: ioc
    kind: webhook
    url: {fine.url}/hooks
    secret: {{env: OK_SECRET}}
    events: [endpoint]
""",
    )
    store_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = open_store(store_url)
    channels = load_channels(path)
    agencies = sorted(net.agencies)[:4]
    attempts: list[Delivery] = []
    try:
        notifier = Notifier(channels, Outbox(store_url), store, net, on_delivery=attempts.append)
        notifier.on_report(changes(agencies, time.time()))
        with caplog.at_level(logging.ERROR, logger="govnet.monitor.notify"):
            running = Background(notifier)
            try:
                wait_until(lambda: len(fine.hooks) == len(agencies), 60, "the other channel's messages")
                wait_until(lambda: bool(gone.hooks), 60, "the retired receiver's one attempt")
                time.sleep(5)  # with a 1-2 s back-off, a retry would come within this
            finally:
                running.stop()
        # One attempt, never retried; the others were not even tried.
        assert len(gone.hooks) == 1 and gone.hooks[0].valid
        retired = [a for a in attempts if a.channel == "retired"]
        assert len(retired) == 1 and "410" in retired[0].detail
        outbox = Outbox(store_url)
        rows = outbox.rows("retired")
        assert len(rows) == len(agencies) and all(
            r.given_up is not None and r.delivered is None for r in rows
        )
        assert rows[0].message_id == gone.hooks[0].msg_id and "410" in str(rows[0].last_error)
        off = outbox.disabled()
        assert set(off) == {"retired"} and off["retired"].message_id == gone.hooks[0].msg_id
        said = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
        assert any("retired" in m and "410" in m and "notify enable" in m for m in said), said
        assert gone_secret not in caplog.text
        # The other channel goes on; the retired one gets nothing new, even after a restart.
        again = Notifier(channels, Outbox(store_url), store, net)
        again.on_report(changes(agencies[:1], time.time()))
        assert len(outbox.rows("retired")) == len(agencies) and len(outbox.rows("ioc")) == len(agencies) + 1
        env = {"PATH": "/usr/bin:/bin", "GOVNET_STORE": store_url, "HOME": str(tmp_path)}
        status = run(
            ["notify", "status", "--json", "--channels", str(path)],
            env | {"GONE_SECRET": gone_secret, "OK_SECRET": ok_secret},
        )
        assert status.returncode == 0, status.stderr
        seen = {c["channel"]: c for c in json.loads(status.stdout)["channels"]}
        assert seen["retired"]["enabled"] is False and seen["retired"]["given_up"] == len(agencies)
        assert "410" in seen["retired"]["disabled"]["reason"] and seen["ioc"]["enabled"] is True
        assert seen["ioc"]["delivered"] == len(agencies) and seen["ioc"]["waiting"] == 1
        # Over the API, for the NOC (not for a scoped token).
        tokens = TokenStore(tmp_path / "tokens.json")
        client = TestClient(create_app(ApiState(net, store, tokens)))
        noc = {"Authorization": f"Bearer {tokens.create(Role.NOC)[0]}"}
        items = {c["channel"]: c for c in client.get("/api/v1/notifications", headers=noc).json()["items"]}
        assert items["retired"]["enabled"] is False and items["retired"]["disabled"]["since"] > 0
        district = sorted(net.district_names)[0]
        scoped = {"Authorization": f"Bearer {tokens.create(Role.NOC, district)[0]}"}
        assert client.get("/api/v1/notifications", headers=scoped).status_code == 403
        # Switched on again: new messages go to it (its old ones stay given up).
        enabled = run(["notify", "enable", "--channel", "retired"], env)
        assert enabled.returncode == 0, enabled.stderr
        assert run(["notify", "enable", "--channel", "retired"], env).returncode != 0
        audit = AuditLog(store).entries(10, 0, "notify.enable")[0]
        assert [(e.target, e.token_name) for e in audit] == [("channel retired", "cli")]
        gone.status = 204
        third = Notifier(channels, Outbox(store_url), store, net)
        third.on_report(changes(agencies[1:2], time.time()))
        assert not outbox.disabled()
        assert len(outbox.rows("retired", pending_only=True)) == 1, outbox.rows("retired")
        running = Background(third)
        try:
            wait_until(lambda: len(gone.hooks) == 2, 60, "the re-enabled channel's new message")
        finally:
            running.stop()
        assert json.loads(gone.hooks[1].body)["data"]["endpoint"]["id"] == agencies[1]
    finally:
        gone.stop()
        fine.stop()
        store.close()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govnet.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=180,
    )
