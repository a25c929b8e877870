"""The outbox on SQLite and on a real PostgreSQL server: per-channel order, back-off, durability
across a reopen, and its own table beside the monitor's."""

from __future__ import annotations

import pytest

from govnet.monitor.notify.outbox import Outbox, OutboxError, Pending, backoff
from govnet.monitor.store import open_store


def pending(n: int, channel: str, at: float) -> Pending:
    return Pending(f"msg_{channel}_{n}", channel, "incident.opened", f"incident:{n}", n, at, {"n": n}, at)


def test_order_backoff_and_reopen(store_url: str) -> None:
    store = open_store(store_url)  # the monitor's tables first, as in production
    outbox = Outbox(store_url)
    assert outbox.add([pending(i, "a", 100.0 + i) for i in range(3)] + [pending(9, "b", 100.0)]) == 4
    heads = outbox.heads(200.0)
    assert [(r.channel, r.payload["n"]) for r in heads] == [("a", 0), ("b", 9)]  # one head per channel
    # A failure holds the channel's head back (doubling back-off), the other channel goes on.
    due = outbox.failed(heads[0], 200.0, "the webhook answered HTTP 503", first=5, maximum=60)
    assert 205.0 <= due <= 205.5
    outbox.delivered(heads[1].id, 200.0)
    assert outbox.heads(201.0) == []
    assert outbox.next_due() == pytest.approx(due)
    # Reopened (a restart): the same head, with its attempt counted, and nothing lost.
    outbox.close()
    outbox = Outbox(store_url)
    (head,) = outbox.heads(due)
    assert (head.payload["n"], head.attempts, head.last_error) == (0, 1, "the webhook answered HTTP 503")
    outbox.delivered(head.id, due)
    assert [r.payload["n"] for r in outbox.heads(due)] == [1]
    assert outbox.last_sent(0, "a", ["incident.opened"]) == 100.0
    assert outbox.last_sent(0, "b", ["incident.opened"]) is None
    assert [r.message_id for r in outbox.rows("a", pending_only=True)] == ["msg_a_1", "msg_a_2"]
    # Pruning forgets delivered messages only.
    assert outbox.prune(due + 1) == 2
    assert [r.message_id for r in outbox.rows()] == ["msg_a_1", "msg_a_2"]
    # The monitor's store still works beside it.
    assert store.incidents() == []
    outbox.close()
    store.close()


def test_backoff_doubles_up_to_the_maximum() -> None:
    delays = [backoff(n, 5, 60) for n in range(1, 7)]
    for got, base in zip(delays, [5, 10, 20, 40, 60, 60], strict=True):
        assert base <= got <= base * 1.1


def test_a_bad_store_url_is_refused_with_the_password_masked() -> None:
    with pytest.raises(OutboxError, match=r"unknown store URL mysql://u:\*\*\*@db/x"):
        Outbox("mysql://u:hunter2@db/x")
    with pytest.raises(OutboxError) as caught:
        Outbox("postgresql://u:hunter2@127.0.0.1:1/x")
    assert "hunter2" not in str(caught.value)
