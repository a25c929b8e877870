"""Standard Webhooks signatures (https://www.standardwebhooks.com/, symmetric scheme).

The secret is ``whsec_`` followed by the base64 of the key bytes; the signed content is
``{webhook-id}.{webhook-timestamp}.{body}`` and the ``webhook-signature`` header carries
``v1,<base64 of HMAC-SHA256>`` (a space-separated list while keys rotate). The id stays the same
on every retry of one message, so a receiver can drop a duplicate; the timestamp is the attempt's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

PREFIX = "whsec_"
#: How far a receiver should accept a timestamp from its own clock (the libraries' default).
TOLERANCE_S = 300


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def new_secret() -> str:
    """A fresh ``whsec_`` secret (32 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_message_id() -> str:
    """A unique ``webhook-id`` (no ``.`` in it, as the spec asks)."""
    return "msg_" + secrets.token_urlsafe(18).replace(".", "_")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for one attempt.

    >>> sign("whsec_" + base64.b64encode(b"k" * 32).decode(), "msg_1", 1674087231, b'{"a":1}')
    'v1,alaTLXJ3BCwkaroe0orlTcbbhqcl0iWUtmaGxmREs2Y='
    """
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, msg_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """The three headers of one attempt."""
    stamp = int(time.time() if now is None else now)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, msg_id, stamp, body),
    }


def verify(
    secret: str, msg_id: str, timestamp: str, signature_header: str, body: bytes, now: float | None = None
) -> bool:
    """What a receiver does: a timestamp within :data:`TOLERANCE_S` and one ``v1`` signature that matches."""
    if not timestamp.isdigit() or abs(int(timestamp) - (time.time() if now is None else now)) > TOLERANCE_S:
        return False
    expected = sign(secret, msg_id, int(timestamp), body).encode()
    return any(
        hmac.compare_digest(expected, candidate.encode())
        for candidate in signature_header.split()
        if candidate.startswith("v1,")
    )
