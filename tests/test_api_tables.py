"""The API's own tables (sessions, audit log) on both store backends: SQLite and a real PostgreSQL."""

from __future__ import annotations

from govnet.api.audit import TARGET_MAX, AuditLog
from govnet.api.auth import Principal, Role
from govnet.api.sessions import MAX_SESSIONS_PER_TOKEN, Sessions
from govnet.monitor.store import open_store


def test_sessions_and_audit_on_each_backend(store_url: str) -> None:
    store = open_store(store_url)
    try:
        now = [1_000.0]
        sessions = Sessions(store, idle_s=60, absolute_s=600, clock=lambda: now[0])
        sid, session = sessions.start("abcd1234")
        assert sessions.get(sid) == session and sessions.get("not-a-session") is None
        now[0] += 61
        assert sessions.get(sid) is None and sessions.count() == 0  # idle: gone
        sid2, _ = sessions.start("abcd1234")
        sessions.end_token("abcd1234")
        assert sessions.get(sid2) is None

        audit = AuditLog(store, clock=lambda: now[0])
        caller = Principal("abcd1234", Role.NOC, None, "Le Van C")
        audit.record(caller, "incident.ack", "incident 7", "198.51.100.9", "ok")
        audit.record(None, "token.revoke", "token abcd1234" + "x" * 1000, "local:root", "ok")
        entries, total = audit.entries()
        assert total == 2 and [e.action for e in entries] == ["token.revoke", "incident.ack"]
        assert entries[1].token_name == "Le Van C" and entries[1].address == "198.51.100.9"
        assert entries[0].token_name == "cli" and len(entries[0].target) == TARGET_MAX
        assert audit.entries(10, 0, "incident.ack")[1] == 1
        # A second process (another AuditLog over the same store) sees the same log.
        other = open_store(store_url)
        assert AuditLog(other).entries()[1] == 2
        other.close()
    finally:
        store.close()


def test_sessions_nobody_comes_back_to_are_swept_and_each_token_has_a_bounded_number(
    store_url: str,
) -> None:
    """A browser that drops its cookie never asks for its session again: the table must not keep
    it for ever; and one token logging in again and again keeps only its newest sessions."""
    store = open_store(store_url)
    try:
        now = [1_000.0]
        sessions = Sessions(store, idle_s=60, absolute_s=600, clock=lambda: now[0])
        for _ in range(3):
            sessions.start("abandon1")
        now[0] += 61  # idle: over
        kept, _ = sessions.start("keeper01")
        assert sessions.token_ids() == ["keeper01"]
        ids = []
        for _ in range(MAX_SESSIONS_PER_TOKEN + 5):
            now[0] += 1
            ids.append(sessions.start("loop0001")[0])
        assert sessions.token_ids().count("loop0001") == MAX_SESSIONS_PER_TOKEN
        assert all(sessions.get(sid) is None for sid in ids[:5])  # the oldest went
        assert all(sessions.get(sid) is not None for sid in ids[5:])
        assert sessions.get(kept) is not None  # another token's session is untouched
    finally:
        store.close()
