"""SNMPv3 USM units: RFC 3414 key vectors, SHA-2 and AES key extension against pysnmp's reference
code, message encode/decode round trips, the time window, and report handling over loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr

from govnet.snmp import ber, usm
from govnet.snmp.client import Target, open_session
from govnet.snmp.v3 import SnmpDecryptionError, SnmpNotInTimeWindowError, SnmpUnknownUserError, V3Session
from govnet.snmp.v3state import AgentClock, UsmCache
from govnet.snmp.v3wire import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    decode_envelope,
    decode_scoped_pdu,
    encode_message,
    encode_scoped_pdu,
)

ENGINE = bytes.fromhex("000000000000000000000002")  # RFC 3414 A.3's engine id


def test_rfc3414_a3_md5_and_sha_vectors() -> None:
    ku = usm.password_to_key(b"maplesyrup", "md5")
    assert ku.hex() == "9faf3283884e92834ebc9847d8edd963"
    assert usm.localize_key(ku, ENGINE, "md5").hex() == "526f5eed9fcce26f8964c2930787d82b"
    ku = usm.password_to_key(b"maplesyrup", "sha1")
    assert ku.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    assert usm.localize_key(ku, ENGINE, "sha1").hex() == "6695febc9288e36282235fc7151f128497b38f3f"


@pytest.mark.parametrize("auth", list(usm.AUTH_PROTOCOLS))
def test_keys_match_pysnmp_for_every_hash(auth: str) -> None:
    """RFC 7860 gives no vectors: pysnmp's RFC 3414/7860 code is the reference for SHA-2."""
    from pysnmp.proto.secmod.rfc3414 import localkey

    proto = usm.auth_protocol(auth)
    import hashlib

    def algo(data: bytes = b"") -> object:
        return hashlib.new(proto.hash_name, data)

    ku = usm.password_to_key(b"a-longer passphrase", proto.hash_name)
    assert ku == bytes(localkey.hash_passphrase(b"a-longer passphrase", algo))
    from pyasn1.type import univ

    reference = localkey.localize_key(ku, univ.OctetString(ENGINE), algo)
    assert usm.localize_key(ku, ENGINE, proto.hash_name) == bytes(reference)


@pytest.mark.parametrize("auth", list(usm.AUTH_PROTOCOLS))
@pytest.mark.parametrize("priv", ["aes192", "aes256", "aes192c", "aes256c"])
def test_aes_key_extension_matches_pysnmp(auth: str, priv: str) -> None:
    """Blumenthal (net-snmp's AES-192/256) and Reeder (Cisco, AES-192-C/256-C) as pysnmp has them."""
    # pysnmp's own import cycle: aes192 first, in a fresh process, finds aesbase half-imported;
    # rfc3414 first (as pysnmp itself imports them) does not.
    import pysnmp.proto.secmod.rfc3414  # noqa: F401
    from pysnmp.proto.secmod.eso.priv import aes192, aes256
    from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
    from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

    service = {
        "md5": hmacmd5.HmacMd5.SERVICE_ID,
        "sha": hmacsha.HmacSha.SERVICE_ID,
        "sha224": hmacsha2.HmacSha2.SHA224_SERVICE_ID,
        "sha256": hmacsha2.HmacSha2.SHA256_SERVICE_ID,
        "sha384": (1, 3, 6, 1, 6, 3, 10, 1, 1, 6),  # pysnmp spells its constant SAH384_SERVICE_ID
        "sha512": hmacsha2.HmacSha2.SHA512_SERVICE_ID,
    }[auth]
    reference = {
        "aes192": aes192.AesBlumenthal192,
        "aes256": aes256.AesBlumenthal256,
        "aes192c": aes192.Aes192,
        "aes256c": aes256.Aes256,
    }[priv]()
    proto, hash_name = usm.priv_protocol(priv), usm.auth_protocol(auth).hash_name
    master = usm.password_to_key(b"priv passphrase", hash_name)
    ours = usm.localized_priv_key(proto, master, ENGINE, hash_name)
    from pyasn1.type import univ

    assert ours == bytes(reference.localize_key(service, univ.OctetString(master), univ.OctetString(ENGINE)))
    assert len(ours) == proto.key_length


@pytest.mark.parametrize("priv", list(usm.PRIV_PROTOCOLS))
def test_encrypt_decrypt_round_trip(priv: str) -> None:
    proto = usm.priv_protocol(priv)
    key = usm.localized_priv_key(proto, usm.password_to_key(b"k" * 12, "sha256"), ENGINE, "sha256")
    plain = encode_scoped_pdu(ENGINE, b"", ber.encode_pdu(ber.GET, 7, ["1.3.6.1.2.1.1.5.0"]))
    cipher, params = usm.encrypt(proto, key, 3, 1234, 99, plain)
    assert cipher[: len(plain)] != plain
    back = usm.decrypt(proto, key, 3, 1234, params, cipher)
    assert back[: len(plain)] == plain and decode_scoped_pdu(back).request_id == 7
    with pytest.raises(usm.DecryptError):
        usm.decrypt(proto, key, 3, 1234, params[:4], cipher)


def test_unknown_protocol_and_empty_password_are_clear_errors() -> None:
    with pytest.raises(usm.UsmConfigError, match="unknown SNMPv3 auth protocol 'sha3'"):
        usm.auth_protocol("sha3")
    with pytest.raises(usm.UsmConfigError, match="unknown SNMPv3 privacy protocol 'blowfish'"):
        usm.priv_protocol("blowfish")
    with pytest.raises(usm.UsmConfigError, match="empty"):
        usm.password_to_key(b"", "sha1")


def test_message_round_trip_and_mac_position() -> None:
    auth = usm.auth_protocol("sha512")
    key = usm.localize_key(usm.password_to_key(b"secret-passphrase", "sha512"), ENGINE, "sha512")
    scoped = encode_scoped_pdu(
        ENGINE, b"", ber.encode_pdu(ber.GET_BULK, 4242, ["1.3.6.1.2.1.2.2.1.2"], 0, 25)
    )
    message, offset = encode_message(
        4242, FLAG_AUTH | FLAG_REPORTABLE, ENGINE, 7, 300, b"noc", 48, b"", scoped
    )
    assert message[offset : offset + 48] == bytes(48)
    signed = message[:offset] + usm.sign(auth, key, message) + message[offset + 48 :]
    env = decode_envelope(signed)
    assert (env.msg_id, env.flags, env.engine_id, env.boots, env.engine_time, env.user) == (
        4242, FLAG_AUTH | FLAG_REPORTABLE, ENGINE, 7, 300, b"noc",
    )  # fmt: skip
    assert env.auth_offset == offset and usm.verify(auth, key, message, env.auth_params)
    tampered = message[:-3] + bytes((message[-3] ^ 1,)) + message[-2:]
    assert not usm.verify(auth, key, tampered, env.auth_params)
    pdu = decode_scoped_pdu(signed, env.payload)
    assert (pdu.tag, pdu.request_id, pdu.error_index) == (ber.GET_BULK, 4242, 25)
    for cut in (1, 10, 40, len(signed) - len(scoped)):
        with pytest.raises(ber.BerError):
            decode_envelope(signed[:cut])
    v2c = ber.encode_request(1, b"public", ber.GET, 1, ["1.3.6.1.2.1.1.5.0"])
    with pytest.raises(ber.BerError, match="not an SNMPv3 message"):
        decode_envelope(v2c)


def test_time_window_follows_rfc3414_3_2_7() -> None:
    clock = AgentClock(ENGINE, 0, 0, 0, 0.0)
    clock.adopt(5, 1000)
    assert clock.receive(5, 1001) and clock.latest == 1001
    assert clock.receive(6, 3), "a reboot (boots + 1) moves the clock on"
    assert (clock.boots, clock.engine_time) == (6, 3)
    assert not clock.receive(5, 5000), "boots going back is outside the window"
    clock.adopt(6, 1000)
    assert not clock.receive(6, 1000 - 151), "older than 150 s is outside the window"
    assert clock.receive(6, 1000 - 149)


# --------------------------------------------------------------------------- reports over loopback


class FakeAgent:
    """A UDP responder on 127.0.0.1 that answers discovery, then every request with ``answer``."""

    def __init__(self, answer: Callable[[bytes], bytes | None]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.answer = answer
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            self.requests.append(data)
            env = decode_envelope(data)
            reply = report(env.msg_id, "4", 0) if not env.engine_id else self.answer(data)
            if reply is not None:
                self.sock.sendto(reply, peer)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=2)
        self.sock.close()


USER_KEY = usm.localize_key(usm.password_to_key(b"auth-passphrase", "sha1"), ENGINE, "sha1")


def report(msg_id: int, counter: str, flags: int, boots: int = 1, engine_time: int = 100) -> bytes:
    """An unauthenticated (or, with FLAG_AUTH, signed) report naming usmStats ``counter``."""
    body = ber.tlv(
        ber.SEQUENCE, ber.encode_oid(f"1.3.6.1.6.3.15.1.1.{counter}.0") + ber.encode_int(1, ber.COUNTER32)
    )
    pdu = ber.tlv(
        ber.REPORT,
        ber.encode_int(msg_id) + ber.encode_int(0) + ber.encode_int(0) + ber.tlv(ber.SEQUENCE, body),
    )
    user = b"noc" if flags & FLAG_AUTH else b""
    mac = 12 if flags & FLAG_AUTH else 0
    scoped = encode_scoped_pdu(ENGINE, b"", pdu)
    message, offset = encode_message(msg_id, flags, ENGINE, boots, engine_time, user, mac, b"", scoped)
    if flags & FLAG_AUTH:
        message = (
            message[:offset] + usm.sign(usm.auth_protocol("sha"), USER_KEY, message) + message[offset + 12 :]
        )
    return message


@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[bytes], bytes | None]], FakeAgent]]:
    made: list[FakeAgent] = []

    def make(answer: Callable[[bytes], bytes | None]) -> FakeAgent:
        made.append(FakeAgent(answer))
        return made[-1]

    yield make
    for agent in made:
        agent.close()


def target(port: int, timeout: float = 1.0) -> Target:
    return Target(
        "127.0.0.1", port, "3", user="noc", auth_key=SecretStr("auth-passphrase"),
        priv_key=SecretStr("priv-passphrase"), timeout=timeout, retries=0,
    )  # fmt: skip


def test_unknown_user_report_is_a_clear_error(fake: Callable[..., FakeAgent]) -> None:
    agent = fake(lambda data: report(decode_envelope(data).msg_id, "3", 0))
    with pytest.raises(SnmpUnknownUserError, match=r"no SNMPv3 user 'noc'.*fix: create the user"):
        asyncio.run(V3Session(target(agent.port), UsmCache()).get(["1.3.6.1.2.1.1.5.0"]))
    first = decode_envelope(agent.requests[0])
    assert first.engine_id == b"" and first.flags == FLAG_REPORTABLE, "discovery: no engine id, no auth"
    second = decode_envelope(agent.requests[1])
    assert second.engine_id == ENGINE and second.flags == FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE
    assert (second.boots, second.user) == (1, b"noc")


def test_decryption_error_report(fake: Callable[..., FakeAgent]) -> None:
    agent = fake(lambda data: report(decode_envelope(data).msg_id, "6", 0))
    with pytest.raises(SnmpDecryptionError, match="cannot decrypt requests of user 'noc'"):
        asyncio.run(V3Session(target(agent.port), UsmCache()).get(["1.3.6.1.2.1.1.5.0"]))


def test_not_in_time_window_resyncs_once_then_errors(fake: Callable[..., FakeAgent]) -> None:
    """Each notInTimeWindow report (signed, as RFC 3414 §3.2.7a says) carries new boots: the
    session takes them and asks again once; a second report is an error, not a loop."""
    boots = iter(range(2, 100))
    agent = fake(lambda data: report(decode_envelope(data).msg_id, "2", FLAG_AUTH, next(boots), 5))
    with pytest.raises(SnmpNotInTimeWindowError, match="outside the time window"):
        asyncio.run(V3Session(target(agent.port), UsmCache()).get(["1.3.6.1.2.1.1.5.0"]))
    sent = [decode_envelope(d) for d in agent.requests]
    assert len(sent) == 3 and sent[2].boots == 2, "one resync with the reported boots"


def test_open_session_picks_the_fast_v3_path() -> None:
    t = target(161)
    assert isinstance(open_session(t), V3Session)
    assert type(open_session(t, engine="pysnmp")).__name__ == "PysnmpSession"


@pytest.mark.parametrize("auth", list(usm.AUTH_PROTOCOLS))
def test_signer_is_hmac(auth: str) -> None:
    import hmac
    import os

    proto = usm.auth_protocol(auth)
    key = usm.localize_key(
        usm.password_to_key(b"signer-passphrase", proto.hash_name), ENGINE, proto.hash_name
    )
    signer = usm.Signer(proto, key)
    message = os.urandom(700)
    assert signer.mac(message) == hmac.digest(key, message, proto.hash_name)[: proto.mac_length]
    zeroed = message[:100] + bytes(proto.mac_length) + message[100 + proto.mac_length :]
    assert signer.mac(message, 100) == usm.sign(proto, key, zeroed)
    assert signer.verify(message, 100, usm.sign(proto, key, zeroed))
    assert not signer.verify(message, 101, usm.sign(proto, key, zeroed))


@pytest.mark.parametrize("priv", list(usm.PRIV_PROTOCOLS))
@pytest.mark.parametrize("length", [1, 15, 16, 17, 64, 571, 1400])
def test_priv_cipher_decrypts_like_cryptography_modes(priv: str, length: int) -> None:
    """PrivCipher's one-call ECB decryption equals cryptography's CFB/CBC decryption."""
    import os
    import struct

    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    proto = usm.priv_protocol(priv)
    key = os.urandom(proto.key_length)
    params = os.urandom(8)
    if proto.cipher == "des":
        length = (length + 7) // 8 * 8
        iv = bytes(a ^ b for a, b in zip(key[8:16], params, strict=True))
        algorithm: TripleDES | algorithms.AES = TripleDES(key[:8] * 3)
        mode: modes.CBC | CFB = modes.CBC(iv)
    else:
        algorithm, mode = algorithms.AES(key), CFB(struct.pack(">II", 9, 12345) + params)
    cipher = usm.PrivCipher(proto, key)
    for _ in range(3):  # one ECB context serves message after message
        ciphertext = os.urandom(length)
        reference = Cipher(algorithm, mode).decryptor()
        assert cipher.decrypt(9, 12345, params, ciphertext) == reference.update(ciphertext)
    plain = os.urandom(length)
    encrypted, sent = cipher.encrypt(9, 12345, 77, plain)
    assert cipher.decrypt(9, 12345, sent, encrypted)[:length] == plain


def test_the_poller_engine_is_selectable(monkeypatch: pytest.MonkeyPatch) -> None:
    from govnet.errors import GovnetError
    from govnet.monitor.scraper import SnmpScraper

    monkeypatch.delenv("GOVNET_SNMP_ENGINE", raising=False)
    assert SnmpScraper().engine == "auto"
    monkeypatch.setenv("GOVNET_SNMP_ENGINE", "pysnmp")
    assert SnmpScraper().engine == "pysnmp"
    assert SnmpScraper("fast").engine == "fast"
    monkeypatch.setenv("GOVNET_SNMP_ENGINE", "net-snmp; rm -rf /")
    with pytest.raises(GovnetError, match="GOVNET_SNMP_ENGINE is 'net-snmp; rm -rf /', not one of"):
        SnmpScraper()


def test_a_silent_agent_times_out_and_is_discovered_afresh_next_time(fake: Callable[..., FakeAgent]) -> None:
    """No answer: a timeout (no priv-key probe to an agent that never answered this session),
    and the agent's clock is forgotten so the next poll starts with a discovery."""
    from govnet.snmp.client import SnmpTimeoutError

    agent = fake(lambda data: None)
    cache = UsmCache()
    clock = AgentClock(ENGINE, 0, 0, 0, 0.0)
    clock.adopt(3, 500)
    cache.clocks[("127.0.0.1", agent.port)] = clock
    with pytest.raises(SnmpTimeoutError):
        asyncio.run(V3Session(target(agent.port, timeout=0.3), cache).get(["1.3.6.1.2.1.1.5.0"]))
    assert len(agent.requests) == 1 and decode_envelope(agent.requests[0]).boots == 3
    assert ("127.0.0.1", agent.port) not in cache.clocks
    with pytest.raises(SnmpTimeoutError):
        asyncio.run(V3Session(target(agent.port, timeout=0.3), cache).get(["1.3.6.1.2.1.1.5.0"]))
    assert decode_envelope(agent.requests[1]).engine_id == b"", "a fresh discovery"
