"""Real devices' SNMP walks (PyPI ``snmpsim-data``) served by ``snmpsim`` on loopback, for the tests.

Both live in a virtual environment of their own, ``.venv-snmpsim`` (``scripts/setup.sh`` makes it),
built on the system's Python so that the responder can run as ``nobody`` (a Python under /root is
out of that user's reach) and has a dbm module to index its files with; snmpsim's own pysnmp never
meets govnet's.

Only the recordings under :data:`ALLOWED` are used: the other folders of the package are kept for
acceptance. Each is served decompressed (snmpsim re-decompresses a ``.bz2`` on every inexact
lookup, which made one GETBULK take 29 s) under a flat name that is its community:
``network/switch/cisco-c3560.snmprec.bz2`` → ``network-switch-cisco-c3560``. The decompressed
copies and snmpsim's index live in ``.venv-snmpsim`` too and are kept: indexing the 68 files takes
a minute or more once, then the responder answers about a second after it starts.
"""

from __future__ import annotations

import bz2
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv-snmpsim"
RESPONDER = VENV / "bin" / "snmpsim-command-responder"
#: The folders of snmpsim-data the tests may use (the others are kept for acceptance).
ALLOWED = ("network/switch", "os", "UPS", "camera", "storage", "iot", "bmc", "unclassified")
SUFFIXES = (".snmprec.bz2", ".snmprec")


@dataclass(frozen=True)
class Recording:
    """One device's walk: its community, where it came from, where the plain copy is served from."""

    community: str
    source: Path
    served: Path


def data_root() -> Path | None:
    """snmpsim-data's ``data`` directory in the simulator's venv, if installed."""
    found = sorted(glob.glob(str(VENV / "lib" / "python3*" / "site-packages" / "snmpsim_data" / "data")))
    return Path(found[-1]) if found else None


def recordings(root: Path | None = None) -> list[Recording]:
    """Every recording of the allowed folders (none when snmpsim-data is not installed)."""
    root = root if root is not None else data_root()
    if root is None:
        return []
    out = []
    for folder in ALLOWED:
        for path in sorted((root / folder).rglob("*")):
            suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
            if suffix is None or not path.is_file():
                continue
            rel = str(path.relative_to(root))[: -len(suffix)]
            community = rel.replace("/", "-")
            out.append(Recording(community, path, VENV / "recordings" / f"{community}.snmprec"))
    return sorted(out, key=lambda r: r.community)


def prepare(items: list[Recording]) -> None:
    """Write the plain copies that are missing or older than their source (atomically)."""
    for rec in items:
        served = rec.served
        if served.exists() and served.stat().st_mtime >= rec.source.stat().st_mtime:
            continue
        served.parent.mkdir(parents=True, exist_ok=True)
        part = served.with_suffix(".part")
        opener = bz2.open if rec.source.name.endswith(".bz2") else open
        with opener(rec.source, "rb") as src, open(part, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        part.replace(served)


def free_udp_port() -> int:
    """A UDP port on loopback that is free now (picked by the OS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_sysuptime(port: int, community: str, timeout: float) -> bool:
    """One raw v2c GET of sysUpTime.0 (hand-encoded, independent of govnet): any answer counts."""
    oid = bytes([0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 3, 0])
    varbind = _tlv(0x30, oid + b"\x05\x00")
    pdu = _tlv(0xA0, _tlv(0x02, b"\x01") + _tlv(0x02, b"\x00") + _tlv(0x02, b"\x00") + _tlv(0x30, varbind))
    message = _tlv(0x30, _tlv(0x02, b"\x01") + _tlv(0x04, community.encode()) + pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(message, ("127.0.0.1", port))
        try:
            answer, _ = s.recvfrom(65535)
        except OSError:
            return False
    return answer[:1] == b"\x30"


def _tlv(tag: int, body: bytes) -> bytes:
    assert len(body) < 0x10000
    size = bytes([len(body)]) if len(body) < 0x80 else b"\x82" + len(body).to_bytes(2, "big")
    return bytes([tag]) + size + body


@contextmanager
def snmpsim(items: list[Recording], *, ready_within: float = 300.0) -> Iterator[int]:
    """Serve ``items`` on a free loopback port (yielded) until the block ends; always stopped by PID.

    Waits until a GET for the first recording is answered: the responder indexes every file first.
    """
    prepare(items)
    data, index = VENV / "recordings", VENV / "index"
    index.mkdir(parents=True, exist_ok=True)
    wanted = {r.served.name for r in items}
    for stale in data.glob("*.snmprec"):  # a recording no longer in the package is not served
        if stale.name not in wanted:
            stale.unlink()
    cmd = [str(RESPONDER), f"--data-dir={data}", f"--cache-dir={index}"]
    if os.geteuid() == 0:  # it refuses to run as root; its files must be nobody's to write
        for path in (data, index, *data.iterdir(), *index.iterdir()):
            shutil.chown(path, "nobody", "nogroup")
        cmd += ["--process-user=nobody", "--process-group=nogroup"]
    port = free_udp_port()
    log = open(VENV / "responder.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [*cmd, f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + ready_within
        while not _get_sysuptime(port, items[0].community, 1.0):
            if proc.poll() is not None:
                tail = (VENV / "responder.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"snmpsim exited with {proc.returncode}: {tail}")
            if time.monotonic() > end:
                raise RuntimeError(f"snmpsim did not answer within {ready_within:g} s (still indexing?)")
        yield port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
