"""Who may read ``monitor run --metrics-listen``'s ``/metrics``: loopback, or a bearer token.

The monitor's own ``/metrics`` says which device and link is down and where traffic goes: on
loopback it is for a Prometheus on the same machine and needs no token; anywhere else it needs
``--metrics-token-file FILE``, and every scrape then carries ``Authorization: Bearer <token>``
(Prometheus: ``authorization: {credentials_file: FILE}`` in the scrape job). ``/healthz`` stays
open, as the API's does: it says only whether the monitor can record. The token is read once from
its file, never logged or put in a message.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from pydantic import SecretStr

from govnet.errors import GovnetError

#: The shortest token accepted (a guessable one protects nothing).
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Whether a listen address is reachable from this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    >>> is_loopback("noc.example")  # a name may resolve to anything: not known to be loopback
    False
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(path: Path) -> SecretStr:
    """The bearer token in ``path`` (surrounding whitespace dropped)."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise GovnetError(
            f"cannot read the metrics token file {path}: {getattr(exc, 'strerror', None) or exc}",
            hint="write the token (one line, e.g. from `openssl rand -hex 32`) to a file only govnet reads",
        ) from None
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() or not c.isprintable() for c in token):
        raise GovnetError(
            f"the metrics token in {path} is not one line of at least {MIN_TOKEN_CHARS} printable characters",
            hint="write a random token, e.g. `openssl rand -hex 32 > FILE`",
        )
    return SecretStr(token)


def metrics_access(listen: tuple[str, int], token_file: Path | None) -> SecretStr | None:
    """The token ``/metrics`` asks for (None: none, on loopback only); refuses an open endpoint
    reachable beyond this machine."""
    token = read_token(token_file) if token_file is not None else None
    host, port = listen
    if token is None and not is_loopback(host):
        raise GovnetError(
            f"--metrics-listen {host}:{port} is reachable beyond this machine, and the monitor's "
            "/metrics tells which devices and links are down",
            hint="listen on 127.0.0.1 for a Prometheus on this machine, or add --metrics-token-file FILE "
            "(Prometheus: authorization: {credentials_file: FILE})",
        )
    return token


def authorized(header: str | None, token: SecretStr | None) -> bool:
    """Whether a request's ``Authorization`` header lets it read ``/metrics`` (constant time).

    >>> t = SecretStr("s3cret-token-0123456789")
    >>> authorized("Bearer s3cret-token-0123456789", t), authorized("Bearer nope", t), authorized(None, t)
    (True, False, False)
    >>> authorized(None, None)
    True
    """
    if token is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    expected = token.get_secret_value().encode()
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)
