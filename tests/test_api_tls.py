"""`govnet serve` over HTTPS with a certificate the test makes, verified by the client; plain HTTP
refused off loopback, with the reason."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from govnet.api.auth import Role
from govnet.api.serving import check_listen
from govnet.errors import GovnetError
from govnet.inventory import sample_dir
from tests.procs import REPO, free_port, stop_process
from tests.test_api import World, world  # noqa: F401 - the shared module fixture


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("govnet test CA"))
        .issuer_name(_name("govnet test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("govnet API"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].chmod(0o600)
    return paths


def serve(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GOVNET_INVENTORY": str(sample_dir()), **env},
        cwd=REPO,
    )


@pytest.fixture
def https(world: World, tmp_path: Path) -> Iterator[tuple[str, Path, str]]:  # noqa: F811
    ca, cert, key = make_pki(tmp_path)
    token, _ = world.tokens.create(Role.NOC, note="over TLS")
    port = free_port()
    store = world.client.app.state.govnet.store.db.path  # type: ignore[attr-defined]
    proc = serve(
        "--port",
        str(port),
        "--store",
        f"sqlite:///{store}",
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        env={"GOVNET_API_TOKENS": str(world.tokens.path)},
    )
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert proc.poll() is None, f"serve exited: {proc.communicate()[1]}"
                assert time.monotonic() < end, "serve did not listen within 60 s"
                time.sleep(0.2)
        yield f"https://127.0.0.1:{port}", ca, token
    finally:
        stop_process(proc)


def test_https_with_a_test_certificate_works_end_to_end(https: tuple[str, Path, str]) -> None:
    base, ca, token = https
    trust = ssl.create_default_context(cafile=str(ca))
    with httpx.Client(base_url=base, verify=trust, timeout=30) as client:
        summary = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {token}"})
        assert summary.status_code == 200 and summary.json()["agencies"]["total"] > 0
        assert summary.headers["strict-transport-security"].startswith("max-age=")
        assert client.get("/").headers["strict-transport-security"].startswith("max-age=")
        login = client.post("/api/v1/session", json={"token": token})
        assert login.status_code == 200
        cookie = login.headers["set-cookie"].lower()
        assert "; secure" in cookie and "; httponly" in cookie and "samesite=strict" in cookie
        assert token not in login.headers["set-cookie"]
        assert client.get("/api/v1/summary").status_code == 200  # the session, over TLS
    # A client that does not trust the test CA refuses the server.
    with httpx.Client(base_url=base, timeout=30) as untrusting, pytest.raises(httpx.ConnectError):
        untrusting.get("/api/v1/healthz")


def test_serve_refuses_plain_http_off_loopback_and_says_why(tmp_path: Path) -> None:
    port = free_port()
    proc = serve(
        "--host", "0.0.0.0", "--port", str(port), "--store", f"sqlite:///{tmp_path / 'm.db'}", env={}
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    said = out + err
    assert "refusing to serve plain HTTP on 0.0.0.0" in said and "clear text" in said, said
    assert "--tls-cert" in said and "--insecure-http" in said
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_listen_checks(tmp_path: Path) -> None:
    check_listen("127.0.0.1", None, None, insecure_http=False)
    check_listen("::1", None, None, insecure_http=False)
    check_listen("0.0.0.0", None, None, insecure_http=True)  # behind a TLS proxy, said explicitly
    with pytest.raises(GovnetError, match="refusing"):
        check_listen("noc.example", None, None, insecure_http=False)
    _ca, cert, key = make_pki(tmp_path)
    check_listen("0.0.0.0", cert, key, insecure_http=False)
    with pytest.raises(GovnetError, match="go together"):
        check_listen("0.0.0.0", cert, None, insecure_http=False)
    with pytest.raises(GovnetError, match="cannot use"):
        check_listen("0.0.0.0", cert, cert, insecure_http=False)  # a certificate is not a key
    with pytest.raises(GovnetError, match="no such file"):
        check_listen("0.0.0.0", tmp_path / "nope.pem", key, insecure_http=False)


def demo(*args: str, home: Path) -> subprocess.Popen[str]:
    """``govnet demo --no-lab`` (the sample province served, nothing brought up) in its own HOME."""
    return subprocess.Popen(
        [sys.executable, "-m", "govnet.cli", "demo", "--no-lab", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            "GOVNET_INVENTORY": str(sample_dir()),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "GOVNET_API_TOKENS": str(home / "tokens.json"),
            "GOVNET_STORE": f"sqlite:///{home / 'demo.db'}",
            "COLUMNS": "400",
        },
        cwd=REPO,
    )


def test_demo_serves_https_with_a_test_certificate_end_to_end(tmp_path: Path) -> None:
    ca, cert, key = make_pki(tmp_path)
    port = free_port()
    proc = demo(
        "--port",
        str(port),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        "--duration",
        "300",
        home=tmp_path,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        end = time.monotonic() + 120
        while not any(line.startswith("API:") for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < end, "demo printed no API URL within 120 s:\n" + "".join(lines)
            time.sleep(0.2)
        api = next(line for line in lines if line.startswith("API:"))
        assert f"https://127.0.0.1:{port}/api/v1/summary" in api, api
        token = api.split("Bearer ")[1].rstrip(")\n ")
        trust = ssl.create_default_context(cafile=str(ca))
        with httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=trust, timeout=30) as client:
            while True:  # the URL is printed as uvicorn starts: wait for it to listen
                try:
                    summary = client.get("/api/v1/summary", headers={"Authorization": f"Bearer {token}"})
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < end and proc.poll() is None, "".join(lines)
                    time.sleep(0.2)
            assert summary.status_code == 200 and summary.json()["agencies"]["total"] > 0
            assert summary.headers["strict-transport-security"].startswith("max-age=")
            login = client.post("/api/v1/session", json={"token": token})
            assert "; secure" in login.headers["set-cookie"].lower()
        with httpx.Client(timeout=30) as untrusting, pytest.raises(httpx.ConnectError):
            untrusting.get(f"https://127.0.0.1:{port}/api/v1/healthz")
        with httpx.Client(timeout=30) as plain, pytest.raises(httpx.HTTPError):
            plain.get(f"http://127.0.0.1:{port}/api/v1/healthz")  # no plain HTTP on the TLS port
    finally:
        stop_process(proc)
        reader.join(timeout=15)


def test_demo_refuses_plain_http_off_loopback_before_starting_anything(tmp_path: Path) -> None:
    port = free_port()
    proc = demo("--host", "0.0.0.0", "--port", str(port), "--duration", "5", home=tmp_path)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "refusing to serve plain HTTP on 0.0.0.0" in out and "--insecure-http" in out, out
    assert "single points of failure" not in out.lower() and not (tmp_path / "tokens.json").exists()
    _ca, cert, _key = make_pki(tmp_path)
    half = demo("--host", "0.0.0.0", "--tls-cert", str(cert), home=tmp_path)
    out, _ = half.communicate(timeout=120)
    assert half.returncode != 0 and "go together" in out, out
