"""USM cryptography (RFC 3414, 3826, 7860): key localisation, message digests, privacy.

Pure functions and small protocol tables, no I/O: :mod:`govnet.snmp.v3` builds messages with them.

* Keys: password-to-key (RFC 3414 A.2: hash of 1 MiB of the repeated password) and localisation
  to an agent's engine id (``H(Ku || engineID || Ku)``).
* Authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414), HMAC-SHA-224/256/384/512 (RFC 7860,
  MACs truncated to 16/24/32/48 bytes), with the standard library's ``hmac`` (OpenSSL's C code).
* Privacy, with the ``cryptography`` package: DES-CBC (RFC 3414 §8), AES-128-CFB (RFC 3826), and
  AES-192/256-CFB with the key extension net-snmp 5.9 uses for its ``AES-192``/``AES-256`` users:
  draft-blumenthal-aes-usm-04 §3.1.2.1 (``Kul' = Kul || H(Kul)``; checked against snmpd 5.9.3, see
  docs/snmp-v3.md). Cisco's variant (net-snmp's ``AES-192-C``/``AES-256-C``, the Reeder 3DES
  draft's extension: ``Kul' = Kul || localise(P2K(Kul))``) is here as ``aes192c``/``aes256c``.

Keys are bytes in memory only; nothing here logs or formats one.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # cryptography >= 43 keeps TripleDES among the "decrepit" algorithms
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # type: ignore[attr-defined,no-redef,unused-ignore]
try:  # and CFB among the decrepit modes from 47 on
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore[assignment,unused-ignore]

from govnet.errors import GovnetError

_ONE_MIB = 1_048_576


class UsmConfigError(GovnetError):
    """A v3 credential cannot be used as given (unknown protocol, empty or short password)."""


@dataclass(frozen=True, slots=True)
class AuthProtocol:
    """An HMAC authentication protocol: its hash and the MAC length on the wire."""

    name: str
    hash_name: str
    mac_length: int


@dataclass(frozen=True, slots=True)
class PrivProtocol:
    """A privacy protocol: cipher family, key length and how a short key is extended."""

    name: str
    cipher: Literal["des", "aes"]
    key_length: int
    extension: Literal["none", "blumenthal", "reeder"] = "none"


AUTH_PROTOCOLS: dict[str, AuthProtocol] = {
    "md5": AuthProtocol("md5", "md5", 12),
    "sha": AuthProtocol("sha", "sha1", 12),
    "sha224": AuthProtocol("sha224", "sha224", 16),
    "sha256": AuthProtocol("sha256", "sha256", 24),
    "sha384": AuthProtocol("sha384", "sha384", 32),
    "sha512": AuthProtocol("sha512", "sha512", 48),
}

PRIV_PROTOCOLS: dict[str, PrivProtocol] = {
    "des": PrivProtocol("des", "des", 16),  # 8 bytes of key, 8 of pre-IV
    "aes": PrivProtocol("aes", "aes", 16),
    "aes192": PrivProtocol("aes192", "aes", 24, "blumenthal"),
    "aes256": PrivProtocol("aes256", "aes", 32, "blumenthal"),
    "aes192c": PrivProtocol("aes192c", "aes", 24, "reeder"),
    "aes256c": PrivProtocol("aes256c", "aes", 32, "reeder"),
}


def auth_protocol(name: str) -> AuthProtocol:
    """The auth protocol called ``name`` (``sha``, ``sha256``, ...), or a clear error."""
    found = AUTH_PROTOCOLS.get(name.lower().replace("-", ""))
    if found is None:
        raise UsmConfigError(
            f"unknown SNMPv3 auth protocol '{name}'", hint=f"use one of {', '.join(AUTH_PROTOCOLS)}"
        )
    return found


def priv_protocol(name: str) -> PrivProtocol:
    """The privacy protocol called ``name`` (``aes``, ``aes256``, ``des``, ...), or a clear error."""
    found = PRIV_PROTOCOLS.get(name.lower().replace("-", ""))
    if found is None:
        raise UsmConfigError(
            f"unknown SNMPv3 privacy protocol '{name}'", hint=f"use one of {', '.join(PRIV_PROTOCOLS)}"
        )
    return found


# --------------------------------------------------------------------------- keys


def password_to_key(password: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2 (and RFC 7860 §9.3 for SHA-2): the hash of the password repeated to 1 MiB.

    >>> password_to_key(b"maplesyrup", "md5").hex()
    '9faf3283884e92834ebc9847d8edd963'
    """
    if not password:
        raise UsmConfigError("an SNMPv3 password is empty", hint="set the auth/priv key of the credential")
    repeated = password * (_ONE_MIB // len(password) + 1)
    return hashlib.new(hash_name, repeated[:_ONE_MIB]).digest()


def localize_key(master: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """RFC 3414 A.2: ``H(Ku || snmpEngineID || Ku)``, the key for one agent."""
    return hashlib.new(hash_name, master + engine_id + master).digest()


def localized_priv_key(priv: PrivProtocol, master: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """The localised privacy key, extended to the cipher's length where the hash is too short.

    ``master`` is the password's key under the *auth* protocol's hash (RFC 3414 §11.2, RFC 3826
    §1.2). Blumenthal (draft-blumenthal-aes-usm-04 §3.1.2.1) appends ``H(key so far)``; Reeder
    (draft-reeder-snmpv3-usm-3desede-00 §2.1) appends the localisation of ``P2K(key so far)``. With
    the hashes USM has, one round is always enough (16-byte MD5 to 32 bytes at most).
    """
    key = localize_key(master, engine_id, hash_name)
    while len(key) < priv.key_length:
        if priv.extension == "blumenthal":
            key += hashlib.new(hash_name, key).digest()
        elif priv.extension == "reeder":
            key += localize_key(password_to_key(key, hash_name), engine_id, hash_name)
        else:
            raise UsmConfigError(
                f"the auth protocol's hash is too short for {priv.name}",
                hint="pick a stronger auth protocol",
            )
    return key[: priv.key_length]


# --------------------------------------------------------------------------- authentication


def sign(auth: AuthProtocol, key: bytes, message: bytes | bytearray) -> bytes:
    """The truncated HMAC of a whole message (its authentication field zeroed by the caller)."""
    return hmac.digest(key, message, auth.hash_name)[: auth.mac_length]


def verify(auth: AuthProtocol, key: bytes, message: bytes | bytearray, mac: bytes) -> bool:
    """Constant-time check of a received MAC (``message`` has the MAC's place zeroed)."""
    return len(mac) == auth.mac_length and hmac.compare_digest(sign(auth, key, message), mac)


# --------------------------------------------------------------------------- privacy


def _des(key: bytes) -> TripleDES:
    # Single DES is TripleDES with K1 = K2 = K3 (OpenSSL 3 keeps plain DES in its legacy provider).
    return TripleDES(key[:8] * 3)


def encrypt(
    priv: PrivProtocol, key: bytes, boots: int, engine_time: int, salt: int, plaintext: bytes
) -> tuple[bytes, bytes]:
    """Encrypt a scopedPDU: (ciphertext, msgPrivacyParameters).

    ``salt`` is the sender's counter: its low 32 bits with ``boots`` for DES (RFC 3414 §8.1.1.1),
    64 bits for AES (RFC 3826 §3.1.2.1). It must not repeat under one key.
    """
    if priv.cipher == "des":
        params = struct.pack(">II", boots & 0xFFFFFFFF, salt & 0xFFFFFFFF)
        iv = bytes(a ^ b for a, b in zip(key[8:16], params, strict=True))
        padded = plaintext + b"\x00" * (-len(plaintext) % 8)
        encryptor = Cipher(_des(key), modes.CBC(iv)).encryptor()
        return encryptor.update(padded) + encryptor.finalize(), params
    params = struct.pack(">Q", salt & 0xFFFFFFFFFFFFFFFF)
    iv = struct.pack(">II", boots, engine_time) + params
    encryptor = Cipher(algorithms.AES(key), CFB(iv)).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize(), params


class DecryptError(ValueError):
    """The ciphertext or its privacy parameters cannot be decrypted."""


def decrypt(
    priv: PrivProtocol, key: bytes, boots: int, engine_time: int, params: bytes, ciphertext: bytes
) -> bytes:
    """Decrypt a received encryptedPDU (DES output may carry up to 7 padding bytes at the end)."""
    if priv.cipher == "des":
        if len(params) != 8 or len(ciphertext) % 8:
            raise DecryptError("DES privacy parameters or ciphertext length are wrong")
        iv = bytes(a ^ b for a, b in zip(key[8:16], params, strict=True))
        decryptor = Cipher(_des(key), modes.CBC(iv)).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()
    if len(params) != 8:
        raise DecryptError("AES privacy parameters are not 8 bytes")
    iv = struct.pack(">II", boots, engine_time) + params
    decryptor = Cipher(algorithms.AES(key), CFB(iv)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


# --------------------------------------------------------------------------- keyed objects (the hot path)


class Signer:
    """HMAC with one key, its inner and outer hash states made once (RFC 2104).

    A poller signs and checks every message with the same few keys: starting from the saved
    states skips the key setup, and the MAC's place is hashed as zeros without copying the message.
    """

    __slots__ = ("_inner", "_outer", "_zeros", "auth")

    def __init__(self, auth: AuthProtocol, key: bytes) -> None:
        self.auth = auth
        block = hashlib.new(auth.hash_name).block_size
        padded = key.ljust(block, b"\x00") if len(key) <= block else hashlib.new(auth.hash_name, key).digest()
        padded = padded.ljust(block, b"\x00")
        self._inner = hashlib.new(auth.hash_name, bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.new(auth.hash_name, bytes(b ^ 0x5C for b in padded))
        self._zeros = bytes(auth.mac_length)

    def mac(self, message: bytes, at: int = -1) -> bytes:
        """The truncated HMAC of ``message``, reading its ``mac_length`` bytes at ``at`` as zeros."""
        inner = self._inner.copy()
        if at < 0:
            inner.update(message)
        else:
            view = memoryview(message)
            inner.update(view[:at])
            inner.update(self._zeros)
            inner.update(view[at + len(self._zeros) :])
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()[: self.auth.mac_length]

    def verify(self, message: bytes, at: int, mac: bytes) -> bool:
        """Constant-time check of the MAC found at ``at`` in a received message."""
        return len(mac) == self.auth.mac_length and hmac.compare_digest(self.mac(message, at), mac)


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(len(a), "big")


class PrivCipher:
    """A privacy protocol bound to one localised key, for many messages.

    Encryption uses ``cryptography``'s CFB and CBC modes as they are. Decryption, where the big
    responses are, needs no chaining: CFB's keystream is the block cipher applied to the IV and
    the ciphertext shifted by one block, CBC's plaintext is the block decryption XOR the previous
    ciphertext block. One ECB context made per key does that in a single call per message (ECB
    keeps no state between whole blocks), instead of building a cipher object per message.
    Tests check both ways against ``cryptography``'s own modes.
    """

    __slots__ = ("_ecb", "key", "priv")

    def __init__(self, priv: PrivProtocol, key: bytes) -> None:
        self.priv, self.key = priv, key
        if priv.cipher == "des":
            self._ecb = Cipher(_des(key), modes.ECB()).decryptor()
        else:
            self._ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()

    def encrypt(self, boots: int, engine_time: int, salt: int, plaintext: bytes) -> tuple[bytes, bytes]:
        """(ciphertext, msgPrivacyParameters): see :func:`encrypt`."""
        return encrypt(self.priv, self.key, boots, engine_time, salt, plaintext)

    def decrypt(self, boots: int, engine_time: int, params: bytes, ciphertext: bytes) -> bytes:
        """The plaintext of an encryptedPDU (DES output keeps its padding)."""
        if len(params) != 8:
            raise DecryptError("the privacy parameters are not 8 bytes")
        if not ciphertext:
            return b""
        if self.priv.cipher == "des":
            if len(ciphertext) % 8:
                raise DecryptError("a DES ciphertext is not a whole number of blocks")
            iv = _xor(self.key[8:16], params)
            return _xor(self._ecb.update(ciphertext), iv + ciphertext[:-8])
        iv = struct.pack(">II", boots, engine_time) + params
        whole = (len(ciphertext) - 1) // 16 * 16
        keystream = self._ecb.update(iv + ciphertext[:whole])
        return _xor(ciphertext, keystream[: len(ciphertext)])
