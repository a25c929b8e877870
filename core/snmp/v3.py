"""SNMPv3 with the User-based Security Model on govnet's own BER codec: the fast v3 path.

A v3 message (RFC 3412 §6) wraps the same PDU as v2c::

    SEQUENCE { msgVersion 3,
               msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags, msgSecurityModel 3 },
               msgSecurityParameters OCTET STRING (UsmSecurityParameters, RFC 3414 §2.4),
               msgData: scopedPDU SEQUENCE { contextEngineID, contextName, PDU }
                        or its encryption, an OCTET STRING }

:class:`V3Session` has :class:`~govnet.snmp.client.V2cSession`'s interface. Per agent it
discovers the engine id, boots and time (RFC 3414 §4: an empty-engine probe answered by an
unknownEngineID report), keeps the agent's clock (§2.3, §3.2.7), and on a notInTimeWindow report
(agent rebooted: boots bumped, time reset) or an unknownEngineID report (agent replaced) adopts the
new values and asks again, once. USM reports become :class:`SnmpUsmError` subclasses whose message
says what is wrong and how to fix it. Agents' clocks and localised keys live in a
:class:`UsmCache` shared by sessions (a poller opens a session per poll); a session that times out
forgets its agent's clock, so the next poll starts with a fresh discovery.

The wire format is :mod:`govnet.snmp.v3wire`, agents' clocks and keys :mod:`govnet.snmp.v3state`,
cryptography :mod:`govnet.snmp.usm`. No key is ever logged, printed or put in a message.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from typing import Any

from govnet.safety import check_target
from govnet.snmp import ber, usm
from govnet.snmp.ber import VarBind
from govnet.snmp.errors import (
    SnmpError,
    SnmpMalformedError,
    SnmpStatusError,
    SnmpTimeoutError,
    SnmpUnreadableError,
)
from govnet.snmp.exchange import Waiting, exchange
from govnet.snmp.target import Target
from govnet.snmp.v3state import DEFAULT_CACHE, AgentClock, LocalKeys, UsmCache
from govnet.snmp.v3wire import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    Envelope,
    decode_envelope,
    decode_scoped_pdu,
    encode_message,
    encode_scoped_pdu,
    octets,
)
from govnet.snmp.walk import get_scalars, walk_columns

#: usmStats counters (RFC 3414 §5) an agent names in its report PDU.
USM_REPORTS = {
    "1.3.6.1.6.3.15.1.1.1.0": "unsupportedSecLevel",
    "1.3.6.1.6.3.15.1.1.2.0": "notInTimeWindow",
    "1.3.6.1.6.3.15.1.1.3.0": "unknownUserName",
    "1.3.6.1.6.3.15.1.1.4.0": "unknownEngineID",
    "1.3.6.1.6.3.15.1.1.5.0": "wrongDigest",
    "1.3.6.1.6.3.15.1.1.6.0": "decryptionError",
}


class SnmpUsmError(SnmpError):
    """The agent's User-based Security Model refused a request (a USM report, or an unusable answer)."""


class SnmpUnknownEngineIdError(SnmpUsmError):
    """The agent kept reporting unknownEngineID after a fresh discovery."""


class SnmpNotInTimeWindowError(SnmpUsmError):
    """The agent's boots/time stayed outside the time window after one resynchronisation."""


class SnmpWrongDigestError(SnmpUsmError):
    """wrongDigest: the auth key or auth protocol differs from the agent's user."""


class SnmpUnknownUserError(SnmpUsmError):
    """unknownUserName: the agent has no such user."""


class SnmpDecryptionError(SnmpUsmError):
    """decryptionError, or the agent ignores encrypted requests: priv key or protocol differ."""


class SnmpUnsupportedSecLevelError(SnmpUsmError):
    """unsupportedSecLevel: the user on the agent has no privacy (or no auth) configured."""


# --------------------------------------------------------------------------- transport


class _Datagrams(Waiting[Envelope]):
    """Hands each well-formed v3 datagram to the request waiting for its msgID."""

    def __init__(self) -> None:
        super().__init__()
        #: Well-formed messages no request waits for (a late answer to a request that ended).
        self.stray = 0

    def datagram_received(self, data: bytes, addr: Any) -> None:
        try:
            envelope = decode_envelope(data)
        except ber.BerError as exc:
            self.garbage += 1
            self.last_garbage = f"{exc} ({ber.shown(data, 12)})"
            return
        # every attempt's msgID stays bound to its request until the request ends: a slow
        # agent's answer to the first attempt counts after a retry went out
        if not self.answer(envelope.msg_id, envelope):
            self.stray += 1


# --------------------------------------------------------------------------- the session


class V3Session:
    """SNMPv3 USM (authPriv or authNoPriv) with govnet's own codec: the fast v3 path."""

    def __init__(self, target: Target, cache: UsmCache | None = None) -> None:
        if not target.user or target.auth_key is None:
            raise SnmpError(f"{target.host}: SNMP v3 needs a user and an auth key", hint="set the credential")
        self.target = target
        self._cache = cache if cache is not None else DEFAULT_CACHE
        self._user = target.user.encode()
        self._auth = usm.auth_protocol(target.auth_protocol)
        self._priv = usm.priv_protocol(target.priv_protocol) if target.priv_key is not None else None
        self._auth_password = target.auth_key.get_secret_value().encode()
        self._priv_password = target.priv_key.get_secret_value().encode() if target.priv_key else None
        self._flags = FLAG_AUTH | FLAG_REPORTABLE | (FLAG_PRIV if self._priv else 0)
        self._level = "authPriv" if self._priv else "authNoPriv"
        self._address = (target.host, target.port)
        self._transport: asyncio.DatagramTransport | None = None
        self._protocol: _Datagrams | None = None
        self._next_id = random.randrange(1, 1 << 30)
        self._salt = random.getrandbits(64)
        self._keys: tuple[bytes, LocalKeys] | None = None
        self.requests = 0
        #: Whether the agent has answered this V3Session at all (discovery included): only then can
        #: silence to encrypted requests mean a wrong priv key rather than a dead agent.
        self._heard = False

    # ---------------------------------------------------------------- plumbing

    async def _open(self) -> tuple[asyncio.DatagramTransport, _Datagrams]:
        if self._transport is None or self._protocol is None:
            check_target(self.target.host)
            loop = asyncio.get_running_loop()
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    _Datagrams, remote_addr=self._address
                )
            except OSError as exc:
                raise SnmpError(f"{self.target.host}: cannot open a UDP socket: {exc.strerror}") from exc
            self._transport, self._protocol = transport, protocol
        return self._transport, self._protocol

    def _new_id(self) -> int:
        """The next msgID (every attempt gets its own), counted as a request sent."""
        self._next_id = (self._next_id + 1) & 0x7FFFFFFF
        self.requests += 1
        return self._next_id

    async def _exchange(self, build: Callable[[int], bytes], attempts: int | None = None) -> Envelope:
        """Send ``build(msg_id)`` (rebuilt per attempt: fresh msgID, salt, time) until an answer to
        any attempt comes back (every attempt's msgID stays bound to this request)."""
        transport, protocol = await self._open()
        tries = self.target.retries + 1 if attempts is None else attempts
        garbage = protocol.garbage
        try:
            envelope: Envelope = await exchange(
                transport, protocol, build, self._new_id, self.target.timeout, tries
            )
        except TimeoutError:
            if protocol.garbage > garbage:  # the agent is there, but says nothing readable
                self._heard = True
                raise SnmpUnreadableError(
                    self.target.host, self.target.port, protocol.garbage - garbage, protocol.last_garbage
                ) from None
            raise SnmpTimeoutError(
                f"{self.target.host}:{self.target.port}: no answer in {self.target.timeout:g} s × {tries}",
                hint="check the address, the v3 user and keys, and that the agent runs",
            ) from None
        self._heard = True
        return envelope

    def _local_keys(self, engine_id: bytes) -> LocalKeys:
        if self._keys is None or self._keys[0] != engine_id:
            keys = self._cache.keys(
                self._auth, self._priv, self._auth_password, self._priv_password, engine_id
            )
            self._keys = (engine_id, keys)
        return self._keys[1]

    def _build(self, clock: AgentClock, flags: int, pdu: Callable[[int], bytes]) -> Callable[[int], bytes]:
        """A message builder for ``_exchange``: the PDU, encrypted and signed as ``flags`` say."""

        def build(msg_id: int) -> bytes:
            keys = self._local_keys(clock.engine_id)
            boots, engine_time = clock.boots, clock.now()
            scoped = encode_scoped_pdu(clock.engine_id, b"", pdu(msg_id))
            priv_params = b""
            if flags & FLAG_PRIV:
                assert keys.priv is not None
                self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
                cipher, priv_params = keys.priv.encrypt(boots, engine_time, self._salt, scoped)
                scoped = ber.tlv(ber.OCTET_STRING, cipher)
            message, offset = encode_message(
                msg_id, flags, clock.engine_id, boots, engine_time, self._user,
                self._auth.mac_length, priv_params, scoped,
            )  # fmt: skip
            mac = keys.auth.mac(message)
            return message[:offset] + mac + message[offset + len(mac) :]

        return build

    def _authentic(self, envelope: Envelope, keys: LocalKeys) -> bool:
        """Whether an answer carries our user's valid MAC (RFC 3414 §3.2.6)."""
        if not envelope.flags & FLAG_AUTH or envelope.user != self._user:
            return False
        return keys.auth.verify(envelope.data, envelope.auth_offset, envelope.auth_params)

    def _scoped_pdu(self, envelope: Envelope, keys: LocalKeys) -> ber.Pdu:
        data, pos = envelope.data, envelope.payload
        if envelope.flags & FLAG_PRIV:
            if self._priv is None or keys.priv is None:
                raise SnmpUsmError(f"{self.target.host}: an encrypted answer to an authNoPriv request")
            try:
                ciphertext, _, _ = octets(data, pos, "encryptedPDU")
            except ber.BerError as exc:
                raise SnmpMalformedError(self.target.host, str(exc)) from None
            try:
                plain = keys.priv.decrypt(
                    envelope.boots, envelope.engine_time, envelope.priv_params, ciphertext
                )
                return decode_scoped_pdu(plain)
            except ber.BerError as exc:
                if exc.request_id is not None:  # decrypted fine: the PDU itself is malformed
                    raise SnmpMalformedError(self.target.host, str(exc), exc.oid) from None
                raise self._undecryptable() from exc
            except usm.DecryptError as exc:
                raise self._undecryptable() from exc
        try:
            return decode_scoped_pdu(data, pos)
        except ber.BerError as exc:
            raise SnmpMalformedError(self.target.host, str(exc), exc.oid) from None

    def _undecryptable(self) -> SnmpDecryptionError:
        assert self._priv is not None
        return SnmpDecryptionError(
            f"{self.target.host}: cannot decrypt the answer for user '{self.target.user}' "
            f"({self._priv.name})",
            hint="check the credential's priv_key and priv_protocol against the agent",
        )

    # ---------------------------------------------------------------- discovery and requests

    async def _discover(self) -> AgentClock:
        """RFC 3414 §4: an unauthenticated, empty GET with no engine id; the report names the engine."""

        def build(msg_id: int) -> bytes:
            scoped = encode_scoped_pdu(b"", b"", ber.encode_pdu(ber.GET, msg_id, []))
            return encode_message(msg_id, FLAG_REPORTABLE, b"", 0, 0, b"", 0, b"", scoped)[0]

        envelope = await self._exchange(build)
        if not envelope.engine_id:
            raise SnmpUsmError(
                f"{self.target.host}: the agent answered engine discovery without an engine id",
                hint="the agent's SNMPv3 is broken or it does not speak v3",
            )
        clock = AgentClock(envelope.engine_id, 0, 0, 0, 0.0)
        clock.adopt(envelope.boots, envelope.engine_time)
        self._cache.clocks[self._address] = clock
        return clock

    def _report_error(self, kind: str, oid: str) -> SnmpError:
        """The error for a USM report the session cannot (or can no longer) recover from."""
        host, user = self.target.host, self.target.user
        priv = self._priv.name if self._priv else "no privacy"
        errors: dict[str, tuple[type[SnmpError], str, str]] = {
            "wrongDigest": (
                SnmpWrongDigestError,
                f"wrong auth key or protocol for user '{user}' (agent reported wrongDigest; "
                f"govnet used {self._auth.name})",
                "check the credential's auth_key and auth_protocol against the agent's user",
            ),
            "unknownUserName": (
                SnmpUnknownUserError,
                f"the agent has no SNMPv3 user '{user}' (unknownUserName)",
                "create the user on the agent, or fix the credential's username",
            ),
            "decryptionError": (
                SnmpDecryptionError,
                f"the agent cannot decrypt requests of user '{user}' (decryptionError; govnet used {priv})",
                "check the credential's priv_key and priv_protocol against the agent's user",
            ),
            "unsupportedSecLevel": (
                SnmpUnsupportedSecLevelError,
                f"the agent's user '{user}' does not support {self._level} (unsupportedSecLevel)",
                "give the agent's user the privacy settings of the credential, or drop priv_key",
            ),
            "notInTimeWindow": (
                SnmpNotInTimeWindowError,
                f"the agent's boots/time stay outside the time window for user '{user}' "
                "after a resynchronisation (notInTimeWindow)",
                "the agent's snmpEngineBoots/Time jump between answers: check its clock and saved state",
            ),
            "unknownEngineID": (
                SnmpUnknownEngineIdError,
                "the agent keeps reporting unknownEngineID after a fresh discovery",
                "another agent may answer at this address; check the address",
            ),
        }
        cls, message, hint = errors.get(
            kind,
            (
                SnmpUsmError,
                f"the agent answered with a report ({oid or 'no varbind'}) instead of a response",
                "check the agent's SNMP configuration (context, security model)",
            ),
        )
        return cls(f"{host}: {message}", hint=hint)

    async def _request(self, tag: int, oids: Sequence[str], max_repetitions: int = 0) -> ber.Pdu:
        clock = self._cache.clocks.get(self._address) or await self._discover()
        recovered: set[str] = set()
        oid_list = list(oids)

        def pdu(msg_id: int) -> bytes:
            return ber.encode_pdu(tag, msg_id, oid_list, 0, max_repetitions)

        while True:
            try:
                envelope = await self._exchange(self._build(clock, self._flags, pdu))
            except SnmpTimeoutError:
                self._cache.clocks.pop(self._address, None)  # next poll: a fresh discovery
                if self._priv is not None and self._heard and await self._answers_without_privacy(clock):
                    raise SnmpDecryptionError(
                        f"{self.target.host}: the agent answers user '{self.target.user}' unencrypted but "
                        "ignores encrypted requests: wrong priv key or protocol "
                        f"(govnet used {self._priv.name})",
                        hint="check the credential's priv_key and priv_protocol against the agent's user",
                    ) from None
                raise
            keys = self._local_keys(clock.engine_id)
            authentic = envelope.engine_id == clock.engine_id and self._authentic(envelope, keys)
            if envelope.flags & FLAG_AUTH and not authentic:
                raise SnmpUsmError(
                    f"{self.target.host}: an answer failed authentication (forged, or another engine)",
                    hint="check that only the agent answers at this address",
                )
            if authentic and not envelope.flags & FLAG_PRIV and self._priv is not None:
                # Only a report may come back unencrypted to an authPriv request.
                try:
                    result = decode_scoped_pdu(envelope.data, envelope.payload)
                except ber.BerError as exc:
                    raise SnmpMalformedError(self.target.host, str(exc), exc.oid) from None
                if result.tag != ber.REPORT:
                    raise SnmpUsmError(f"{self.target.host}: an unencrypted response to an authPriv request")
            else:
                result = self._scoped_pdu(envelope, keys)
            if result.tag == ber.REPORT:
                oid = result.varbinds[0].oid if result.varbinds else ""
                kind = USM_REPORTS.get(oid, "")
                if kind == "unknownEngineID" and kind not in recovered:
                    recovered.add(kind)  # the agent was replaced: discover it again
                    self._cache.clocks.pop(self._address, None)
                    clock = await self._discover()
                    continue
                same_engine = envelope.engine_id == clock.engine_id
                if kind == "notInTimeWindow" and kind not in recovered and same_engine:
                    recovered.add(kind)  # the agent rebooted (or lost its boots): take its clock
                    clock.adopt(envelope.boots, envelope.engine_time)
                    continue
                raise self._report_error(kind, oid)
            if not clock.receive(envelope.boots, envelope.engine_time):
                self._cache.clocks.pop(self._address, None)
                raise SnmpNotInTimeWindowError(
                    f"{self.target.host}: an answer outside the time window (an old or replayed message)",
                    hint="the next poll discovers the agent again; if this repeats, check the agent's clock",
                )
            if result.request_id != envelope.msg_id:  # authentic, so the agent's own fault
                raise SnmpMalformedError(
                    self.target.host,
                    f"an answer's request-id ({result.request_id}) differs from its msgID "
                    f"({envelope.msg_id})",
                )
            if result.tag != ber.RESPONSE:
                raise SnmpMalformedError(
                    self.target.host, f"a {ber.pdu_name(result.tag)} PDU where a Response was due"
                )
            if result.error_status:
                raise SnmpStatusError(self.target.host, result.error_status, result.error_index)
            return result

    async def _answers_without_privacy(self, clock: AgentClock) -> bool:
        """After encrypted requests went unanswered: does an authNoPriv probe get an authentic answer?

        net-snmp drops a request it cannot decrypt without a report; an answer to the same user
        without privacy proves address, user and auth key right, so the priv key or protocol is not.
        """

        def pdu(msg_id: int) -> bytes:
            return ber.encode_pdu(ber.GET, msg_id, [])

        try:
            envelope = await self._exchange(self._build(clock, FLAG_AUTH | FLAG_REPORTABLE, pdu), attempts=1)
        except SnmpTimeoutError:
            return False
        return envelope.engine_id == clock.engine_id and self._authentic(
            envelope, self._local_keys(clock.engine_id)
        )

    # ---------------------------------------------------------------- the Session interface

    async def get(self, oids: Sequence[str]) -> list[VarBind]:
        """GET of the given OIDs (in order; what the agent refuses is asked again without it)."""
        return await get_scalars(self._get_once, list(oids), self.target.host)

    async def _get_once(self, oids: list[str]) -> list[VarBind]:
        return (await self._request(ber.GET, oids)).varbinds

    async def walk(self, oid: str) -> list[VarBind]:
        """GETBULK walk of a subtree (see :func:`govnet.snmp.client.walk_columns`)."""
        return (await self.walk_columns([oid]))[oid]

    async def walk_columns(
        self, columns: Sequence[str], first_rows: int | None = None
    ) -> dict[str, list[VarBind]]:
        """Walk several columns with multi-varbind GETBULKs (client.walk_columns does the walking)."""

        async def bulk(oids: list[str], reps: int) -> list[VarBind]:
            return (await self._request(ber.GET_BULK, oids, reps)).varbinds

        return await walk_columns(
            bulk,
            columns,
            self.target.max_repetitions,
            self.target.host,
            first_rows=first_rows,
            max_varbinds=self.target.max_varbinds,
        )

    async def close(self) -> None:
        """Close the socket (the agent's clock and keys stay in the cache)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None
