"""Real receivers on loopback for the notification tests: a webhook endpoint that checks Standard
Webhooks signatures on its own (not with govnet's code), a fake Telegram Bot API, an SMTP server
(aiosmtpd), and a channels file writer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.procs import free_port


def new_whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Hook:
    """One request a webhook receiver got."""

    msg_id: str
    timestamp: str
    signature: str
    body: bytes
    valid: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def signature_ok(secret: str, msg_id: str, timestamp: str, header: str, body: bytes) -> bool:
    """The receiver's check, written from the spec: HMAC-SHA256 keyed with base64(secret after
    whsec_) over ``id.timestamp.body``, any ``v1,`` entry of the header, timestamp within 5 min."""
    key = base64.b64decode(secret.split("_", 1)[1])
    mac = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < 300
    return fresh and any(
        part.startswith("v1,") and hmac.compare_digest(part[3:], expected) for part in header.split(" ")
    )


@dataclass
class _Recorder:
    lock: threading.Lock = field(default_factory=threading.Lock)
    items: list[Any] = field(default_factory=list)

    def add(self, item: Any) -> None:
        with self.lock:
            self.items.append(item)

    def snapshot(self) -> list[Any]:
        with self.lock:
            return list(self.items)


class HttpReceiver:
    """A loopback HTTP server that can be stopped and started again on the same port."""

    def __init__(self, handle: Callable[[str, dict[str, str], bytes], tuple[int, bytes]]) -> None:
        self.port = free_port()
        self._handle = handle
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = outer._handle(self.path, headers, body)
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class WebhookReceiver(HttpReceiver):
    """Records every delivery with whether its signature verified."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.got = _Recorder()
        super().__init__(self._on_post)

    def _on_post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        msg_id = headers.get("webhook-id", "")
        stamp = headers.get("webhook-timestamp", "")
        sig = headers.get("webhook-signature", "")
        self.got.add(Hook(msg_id, stamp, sig, body, signature_ok(self.secret, msg_id, stamp, sig, body)))
        return 204, b""

    @property
    def hooks(self) -> list[Hook]:
        return list(self.got.snapshot())


class TelegramFake(HttpReceiver):
    """The Bot API's sendMessage for one token."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.got = _Recorder()
        super().__init__(self._on_post)

    def _on_post(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if path != f"/bot{self.token}/sendMessage":
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        self.got.add(json.loads(body))
        return 200, b'{"ok":true,"result":{"message_id":1}}'

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.got.snapshot())


class _MailHandler:
    def __init__(self) -> None:
        self.got = _Recorder()

    async def handle_DATA(  # noqa: N802 - aiosmtpd calls it by this name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.got.add((list(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a free loopback port; with ``tls`` (cert, key) it demands STARTTLS and a login."""

    def __init__(self, tls: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None) -> None:
        self.handler = _MailHandler()
        self.port = free_port()
        self.logins: list[str] = []
        extra: dict[str, Any] = {}
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            extra = {"tls_context": context, "require_starttls": True}
        if login is not None:

            def check(
                server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
                )
                self.logins.append(f"{mechanism}:{'ok' if ok else 'refused'}")
                return AuthResult(success=ok, handled=False)

            extra |= {"authenticator": check, "auth_require_tls": True}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **extra)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def mails(self) -> list[tuple[list[str], EmailMessage]]:
        return list(self.handler.got.snapshot())


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until true (generous deadlines: the machine is loaded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def write_channels(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made here: (cert.pem, key.pem)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "govnet test SMTP")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
