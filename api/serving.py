"""How ``govnet serve`` listens: over TLS, or over plain HTTP on loopback only unless told otherwise.

Off loopback, plain HTTP would carry bearer tokens and session cookies in clear text on the
province's network: ``serve`` refuses it unless ``--insecure-http`` is given (for a deployment
behind a TLS-terminating proxy on the same host, say), and gives the reason.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from govnet.errors import GovnetError


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def check_listen(host: str, tls_cert: Path | None, tls_key: Path | None, insecure_http: bool) -> None:
    """Refuse a plain-HTTP listener off loopback, and half a TLS configuration."""
    if (tls_cert is None) != (tls_key is None):
        raise GovnetError(
            "--tls-cert and --tls-key go together", hint="give both: the certificate chain and its key"
        )
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise GovnetError(f"no such file: {path}", hint="give the PEM files of the certificate and key")
    if tls_cert is not None:
        check_tls_files(tls_cert, tls_key)
        return
    if not is_loopback(host) and not insecure_http:
        raise GovnetError(
            f"refusing to serve plain HTTP on {host}: bearer tokens and session cookies would cross "
            "the network in clear text",
            hint="give --tls-cert FILE --tls-key FILE, or --insecure-http if a TLS proxy on this "
            "host fronts it, or listen on 127.0.0.1",
        )


def check_tls_files(cert: Path, key: Path | None) -> None:
    """Load the pair once, so that a wrong file is a clear error, not a uvicorn traceback."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise GovnetError(
            f"cannot use {cert} and {key} for TLS: {exc}",
            hint="--tls-cert is the PEM certificate (chain), --tls-key its PEM private key, unencrypted",
        ) from exc
