"""What a non-authoritative SNMPv3 engine keeps per agent: its clock (RFC 3414 §2.3) and the keys
localised to its engine id, in a cache shared by sessions (a poller opens a session per poll)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from govnet.snmp import usm

TIME_WINDOW = 150  # seconds, RFC 3414 §2.2.3
_MAX_BOOTS = 2**31 - 1


@dataclass(slots=True)
class AgentClock:
    """What a non-authoritative engine keeps per agent (RFC 3414 §2.3)."""

    engine_id: bytes
    boots: int
    engine_time: int
    #: latestReceivedEngineTime
    latest: int
    #: time.monotonic() when ``engine_time`` was received
    at: float

    def now(self) -> int:
        """The agent's snmpEngineTime as estimated here."""
        return min(self.engine_time + int(time.monotonic() - self.at), _MAX_BOOTS)

    def adopt(self, boots: int, engine_time: int) -> None:
        """Take the agent's boots/time as they are (discovery, notInTimeWindow report)."""
        self.boots, self.engine_time, self.latest, self.at = boots, engine_time, engine_time, time.monotonic()

    def receive(self, boots: int, engine_time: int) -> bool:
        """RFC 3414 §3.2.7 b for an authentic message: update the clock; False if outside the window."""
        if boots > self.boots or (boots == self.boots and engine_time > self.latest):
            self.adopt(boots, engine_time)
        return not (
            self.boots == _MAX_BOOTS
            or boots < self.boots
            or (boots == self.boots and engine_time < self.now() - TIME_WINDOW)
        )


@dataclass(frozen=True, slots=True)
class LocalKeys:
    """A user's keys localised to one engine id, bound to their HMAC and cipher."""

    auth: usm.Signer
    priv: usm.PrivCipher | None


class UsmCache:
    """Agents' clocks by address and localised keys, shared by the sessions of one poller.

    Passwords are never stored: the master keys (1 MiB of hashing each) are cached by a SHA-256
    fingerprint of protocol and password, localised keys by that and the engine id.
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self.clocks: dict[tuple[str, int], AgentClock] = {}
        self._masters: dict[tuple[str, bytes], bytes] = {}
        self._local: dict[tuple[bytes, bytes, bytes], LocalKeys] = {}
        self._max = max_entries

    def _master(self, hash_name: str, password: bytes) -> bytes:
        fingerprint = hashlib.sha256(hash_name.encode() + b"\x00" + password).digest()
        key = self._masters.get((hash_name, fingerprint))
        if key is None:
            key = usm.password_to_key(password, hash_name)
            if len(self._masters) >= self._max:
                self._masters.clear()
            self._masters[(hash_name, fingerprint)] = key
        return key

    def keys(
        self,
        auth: usm.AuthProtocol,
        priv: usm.PrivProtocol | None,
        auth_password: bytes,
        priv_password: bytes | None,
        engine_id: bytes,
    ) -> LocalKeys:
        """The user's keys for ``engine_id`` (computed once per credential and engine)."""
        auth_master = self._master(auth.hash_name, auth_password)
        priv_master = (
            self._master(auth.hash_name, priv_password) if priv is not None and priv_password else b""
        )
        slot = (
            hashlib.sha256(f"{auth.name}/{priv.name if priv else '-'}".encode() + auth_master).digest(),
            hashlib.sha256(priv_master).digest(),
            engine_id,
        )
        found = self._local.get(slot)
        if found is None:
            auth_key = usm.localize_key(auth_master, engine_id, auth.hash_name)
            priv_key = usm.localized_priv_key(priv, priv_master, engine_id, auth.hash_name) if priv else None
            found = LocalKeys(
                usm.Signer(auth, auth_key),
                usm.PrivCipher(priv, priv_key) if priv is not None and priv_key is not None else None,
            )
            if len(self._local) >= self._max:
                self._local.clear()
            self._local[slot] = found
        return found


#: The cache sessions use unless given one (the poller's sessions share it).
DEFAULT_CACHE = UsmCache()
