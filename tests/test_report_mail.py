"""The monthly SLA report through the notification channels, with a real SMTP server (aiosmtpd) and
a webhook receiver on loopback: ``govnet report sla --send`` sends it now (PDF and CSV attached to
the e-mail, the JSON summary to the webhook, signed); the notifier queues last month's report on the
1st, once (a restart on the same store does not send it again), and not later in the month."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from govnet.inventory import sample_dir
from govnet.inventory.network import Network
from govnet.monitor.notify import monthly
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.monthly import message_id
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.notify.schema import ReportWebhook
from govnet.monitor.store import open_store
from tests.notifykit import SmtpServer, WebhookReceiver, new_whsec, wait_until, write_channels

REPO = Path(__file__).resolve().parent.parent
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
CLI = (sys.executable, "-m", "govnet.cli")


def channels_file(tmp_path: Path, smtp_port: int, hook_url: str) -> Path:
    return write_channels(
        tmp_path / "channels.yaml",
        f"""\
timezone: Asia/Ho_Chi_Minh
channels:
  - name: leaders
    kind: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    sender: govnet@example.gov.vn
    to: [lanhdao@example.gov.vn]
    events: [incident, report]
  - name: ioc
    kind: webhook
    url: {hook_url}/hooks
    secret: {{env: IOC_SECRET}}
    events: [incident, report]
  - name: oncall
    kind: email
    host: 127.0.0.1
    port: {smtp_port}
    security: none
    sender: govnet@example.gov.vn
    to: [truc@example.gov.vn]
""",
    )


def test_report_sla_send_mails_the_pdf_and_csv_and_posts_the_summary(tmp_path: Path) -> None:
    secret = new_whsec()
    hook = WebhookReceiver(secret)
    hook.start()
    try:
        with SmtpServer() as smtp:
            path = channels_file(tmp_path, smtp.port, hook.url)
            env = {
                "PATH": "/usr/bin:/bin",
                "HOME": str(tmp_path),
                "IOC_SECRET": secret,
                "GOVNET_INVENTORY": str(sample_dir()),
                "GOVNET_STORE": f"sqlite:///{tmp_path / 'monitor.db'}",
            }
            proc = subprocess.run(
                [*CLI, "report", "sla", "--period", "2026-11", "--send", "--channels", str(path)],
                capture_output=True,
                text=True,
                env=env,
                cwd=REPO,
                timeout=300,
                check=False,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert "ok leaders: report 2026-11" in proc.stdout and "ok ioc: report 2026-11" in proc.stdout
            assert "oncall" not in proc.stdout  # it does not take reports
            wait_until(lambda: len(smtp.mails) == 1, 30, "the report mail")
            ((rcpts, mail),) = smtp.mails
            assert rcpts == ["lanhdao@example.gov.vn"]
            assert "Báo cáo khả dụng tháng 2026-11" in str(mail["Subject"])
            files = {part.get_filename(): part for part in mail.iter_attachments()}
            assert set(files) == {"sla-2026-11.pdf", "sla-2026-11.csv"}
            pdf = files["sla-2026-11.pdf"].get_content()
            assert (
                pdf.startswith(b"%PDF") and files["sla-2026-11.pdf"].get_content_type() == "application/pdf"
            )
            csv_text = files["sla-2026-11.csv"].get_content()
            csv_text = csv_text.decode() if isinstance(csv_text, bytes) else csv_text
            assert csv_text.count("\n") > 50  # a line per agency, commune, district
            pdf_file = tmp_path / "got.pdf"
            pdf_file.write_bytes(pdf)
            text = subprocess.run(
                ["pdftotext", str(pdf_file), "-"], capture_output=True, text=True, check=True
            )
            assert "2026-11" in text.stdout
            (got,) = hook.hooks
            assert got.valid and got.json["type"] == "report.sla"
            ReportWebhook.model_validate(got.json)  # the documented shape
            assert got.json["data"]["report"]["period"] == "2026-11"
            # --channel picks one.
            one = subprocess.run(
                [
                    *CLI,
                    "report",
                    "sla",
                    "--period",
                    "2026-11",
                    "--send",
                    "--channels",
                    str(path),
                    "--channel",
                    "ioc",
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd=REPO,
                timeout=300,
                check=False,
            )
            assert one.returncode == 0 and len(hook.hooks) == 2 and len(smtp.mails) == 1, one.stderr
            assert secret not in proc.stdout + proc.stderr + one.stdout + one.stderr
    finally:
        hook.stop()


def test_the_notifier_sends_last_months_report_on_the_1st_once(
    tmp_path: Path, net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = new_whsec()
    monkeypatch.setenv("IOC_SECRET", secret)
    hook = WebhookReceiver(secret)
    hook.start()
    store_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = open_store(store_url)
    try:
        with SmtpServer() as smtp:
            channels = load_channels(channels_file(tmp_path, smtp.port, hook.url))
            mid_month = datetime(2026, 11, 15, 9, 0, tzinfo=ZONE).timestamp()
            first = datetime(2026, 12, 1, 0, 0, 30, tzinfo=ZONE).timestamp()

            def notifier(now: float) -> Notifier:
                return Notifier(channels, Outbox(store_url), store, net, clock=lambda: now)

            assert notifier(mid_month).monthly() == 0  # not the 1st: nothing
            assert notifier(datetime(2026, 12, 9, tzinfo=ZONE).timestamp()).monthly() == 0  # too late
            on_the_1st = notifier(first)
            assert on_the_1st.monthly() == 2  # leaders (e-mail) and ioc (webhook)
            assert on_the_1st.monthly() == 0  # once
            asyncio.run(on_the_1st.deliver_due())
            wait_until(lambda: len(smtp.mails) == 1 and len(hook.hooks) == 1, 30, "the report, once each")
            # The monitor restarts later that day: the store remembers, nothing is sent again.
            restarted = notifier(first + 6 * 3600)
            assert restarted.monthly() == 0
            asyncio.run(restarted.deliver_due())
            ((rcpts, mail),) = smtp.mails
            assert rcpts == ["lanhdao@example.gov.vn"] and "2026-11" in str(mail["Subject"])
            assert {p.get_filename() for p in mail.iter_attachments()} == {
                "sla-2026-11.pdf",
                "sla-2026-11.csv",
            }
            (got,) = hook.hooks
            # (signed at the notifier's clock, 1 December 00:00:30: too old for the receiver's 5-minute
            # check today, so only its id is checked here; the --send test verifies a signature)
            assert got.msg_id == message_id("2026-11", "ioc")
            assert json.loads(got.body)["data"]["report"]["agencies"] == len(net.agencies)
            rows = [r for r in Outbox(store_url).rows() if r.event_type == "report.sla"]
            assert sorted(r.channel for r in rows) == ["ioc", "leaders"] and all(r.delivered for r in rows)
            # Next month, next report.
            assert notifier(datetime(2027, 1, 1, 8, 0, tzinfo=ZONE).timestamp()).monthly() == 2
    finally:
        hook.stop()
        store.close()


def test_a_report_that_cannot_be_built_does_not_stop_the_notifier(
    tmp_path: Path, net: Network, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("IOC_SECRET", new_whsec())
    store_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    store = open_store(store_url)
    try:
        channels = load_channels(channels_file(tmp_path, 9, "http://127.0.0.1:9"))
        first = datetime(2026, 12, 1, 1, 0, tzinfo=ZONE).timestamp()
        notifier = Notifier(channels, Outbox(store_url), store, net, clock=lambda: first)

        def broken(_report: object, _fmt: str) -> bytes:
            raise RuntimeError("renderer broke")

        monkeypatch.setattr(monthly, "render_report", broken)
        assert notifier.monthly() == 0  # logged, not raised: the delivery loop goes on
        assert "could not be built" in caplog.text
        assert Outbox(store_url).rows() == []
        monkeypatch.undo()
        monkeypatch.setenv("IOC_SECRET", new_whsec())
        assert notifier.monthly() == 2  # the next look (a minute later in the loop) queues it
    finally:
        store.close()
