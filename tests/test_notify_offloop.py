"""The notifier's store I/O never runs on the event loop: a database held by a lock stalls the
notifications, not the polls beside them.

A real store (SQLite, and the real PostgreSQL server) is locked by another connection while the
notifier delivers to a real webhook receiver on loopback: SQLite's write lock (``BEGIN
IMMEDIATE``), or a PostgreSQL row lock (``SELECT ... FOR UPDATE``) on the outbox rows. The
notifier's write of its first delivery waits for the lock; meanwhile a heartbeat coroutine on the
same loop measures how late it wakes. The messages still arrive once each, in order.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import psycopg
import pytest

from govnet.inventory.network import Network
from govnet.monitor.engine import CycleReport
from govnet.monitor.notify.channels import load_channels
from govnet.monitor.notify.notifier import Notifier
from govnet.monitor.notify.outbox import Outbox
from govnet.monitor.store import Change, open_store
from tests.notifykit import WebhookReceiver, new_whsec, wait_until, write_channels

#: How long the other connection holds its lock once the first message went out.
HOLD_S = 2.5


class Locker(threading.Thread):
    """Takes a lock on the store, holds it from the first delivery on for :data:`HOLD_S`, releases."""

    def __init__(self, store_url: str, hook: WebhookReceiver) -> None:
        super().__init__(daemon=True)
        self.url, self.hook = store_url, hook
        self.locked = threading.Event()
        self.released_at = 0.0
        self.sent_while_held: int | None = None
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            if self.url.startswith("sqlite:///"):
                conn = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
                conn.execute("BEGIN IMMEDIATE")  # SQLite's write lock: every other writer waits
                self._hold(lambda: conn.execute("COMMIT"))
                conn.close()
            else:
                with psycopg.connect(self.url) as pg:
                    pg.execute("SELECT id FROM notify_outbox FOR UPDATE")  # row locks on the outbox
                    self._hold(pg.commit)
        except BaseException as exc:  # told to the test, which fails with it
            self.failure = exc
            self.locked.set()

    def _hold(self, release: object) -> None:
        self.locked.set()
        wait_until(lambda: bool(self.hook.hooks), 60, "the first delivery")
        time.sleep(HOLD_S)
        self.sent_while_held = len(self.hook.hooks)
        self.released_at = time.monotonic()
        release()  # type: ignore[operator]


def test_a_locked_store_does_not_stall_the_event_loop(store_url: str, tmp_path: Path, net: Network) -> None:
    secret = new_whsec()
    hook = WebhookReceiver(secret)
    hook.start()
    path = write_channels(
        tmp_path / "channels.yaml",
        f"""\
channels:
  - name: ioc
    kind: webhook
    url: {hook.url}/hooks
    secret: {{env: IOC_SECRET}}
    events: [endpoint]
""",
    )
    store = open_store(store_url)
    agencies = sorted(net.agencies)[:3]
    now = time.time()
    changes = [
        Change(now + i, "endpoint", f"agency:{a}", "up", "down", "correlation")
        for i, a in enumerate(agencies)
    ]
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("IOC_SECRET", secret)
            notifier = Notifier(load_channels(path), Outbox(store_url), store, net)
        notifier.on_report(CycleReport(at=now, changes=changes))  # three messages waiting
        reader = Outbox(store_url)
        locker = Locker(store_url, hook)
        locker.start()
        assert locker.locked.wait(30) and locker.failure is None, locker.failure

        async def scenario() -> float:
            stop = asyncio.Event()
            lag = 0.0

            async def heartbeat() -> None:
                nonlocal lag
                loop = asyncio.get_running_loop()
                while not stop.is_set():
                    due = loop.time() + 0.02
                    await asyncio.sleep(0.02)
                    lag = max(lag, loop.time() - due)

            beating = asyncio.ensure_future(heartbeat())
            delivering = asyncio.ensure_future(notifier.run(stop))
            deadline = time.monotonic() + 90
            while sum(r.delivered is not None for r in await asyncio.to_thread(reader.rows)) < len(agencies):
                assert time.monotonic() < deadline, "the messages were not all delivered"
                assert not delivering.done(), delivering
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.wait_for(delivering, 30)
            await beating
            return lag

        lag = asyncio.run(scenario())
        locker.join(30)
        assert locker.failure is None, locker.failure
        # The notifier did wait on the lock: the first message went out, its delivery could not be
        # recorded, so the channel's next message was not sent while the lock was held ...
        assert locker.sent_while_held == 1
        # ... and the loop went on meanwhile (the heartbeat was never late by a fraction of it).
        assert lag < HOLD_S / 2, f"the event loop stalled {lag:.2f} s while the store was locked"
        got = hook.hooks
        assert [h.json["data"]["endpoint"]["id"] for h in got] == agencies  # once each, in order
        assert all(h.valid for h in got)
        reader.close()
    finally:
        hook.stop()
        store.close()
