"""Shared fixtures: every test runs with its own HOME and XDG dirs, so nothing touches the user's."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from govnet import logs
from govnet.inventory.network import Network
from tests.labkit import (
    BARE_PREFIX,
    BARE_SUBNET,
    SPARE_SUBNETS,
    TEST_PREFIX,
    TEST_SUBNET,
    TRAP_PORT,
    LabHandle,
    handle,
    lab_skip_reason,
)
from tests.mini import MINI_SECRETS, mini_files, write_inventory
from tests.termination import install as install_termination

LOG_VARIABLES = ("GOVNET_LOG_LEVEL", "GOVNET_LOG_FORMAT", "GOVNET_LOG_FILE")


def pytest_configure(config: pytest.Config) -> None:
    """A run stopped with SIGTERM tears its labs down, as after Ctrl-C (tests/termination.py)."""
    install_termination()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Guard routes for every lab range go in before any test runs (when we may add them)."""
    if os.geteuid() == 0 and shutil.which("ip"):
        from govnet.lab.guard import install_guards

        install_guards()
    # Labs started by tests keep their state in the session's own directory.
    os.environ.setdefault("GOVNET_LAB_STATE", tempfile.mkdtemp(prefix="govnet-lab-state-"))


#: Test files that mostly wait on the lab (minutes of real time): run first, so that under
#: pytest-xdist (``--dist loadfile``) one worker waits on them while the others run the rest.
LONG_FIRST = ("tests/test_monitor_flap_lab.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long waiting tests first (stable order otherwise)."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))


def _session_lab(
    factory: pytest.TempPathFactory, prefix: str, subnet: str, *, bare: bool, trap_port: int
) -> Iterator[LabHandle]:
    """Bring a small lab up for the session and always tear it down (skips only where it cannot run)."""
    reason = lab_skip_reason()
    if reason:
        pytest.skip(f"the lab cannot run here: {reason}")
    from govnet.inventory import sample_dir
    from govnet.inventory.loader import load_inventory
    from govnet.lab.host import subnet_user
    from govnet.lab.lifecycle import up
    from govnet.lab.subset import lab_view, routers
    from govnet.lab.teardown import down
    from govnet.tasks.render import render_device

    home = factory.mktemp(f"{prefix}-home")
    saved = {k: os.environ.get(k) for k in ("HOME", "XDG_CONFIG_HOME")}
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")
    try:
        network = load_inventory(sample_dir())
        down(prefix)  # a previous run that was killed
        free = [s for s in (subnet, *SPARE_SUBNETS) if subnet_user(IPv4Network(s)) is None]
        if not free:
            pytest.fail(f"no free management subnet for the test lab among {subnet} and {SPARE_SUBNETS}")
        mgmt_subnet = IPv4Network(free[0])
        view = lab_view(network, size="small", mgmt_subnet=mgmt_subnet, trap_port=trap_port)
        configs = None if bare else {name: render_device(view, name) for name in routers(view)}
        up(
            network,
            configs,
            size="small",
            bare=bare,
            prefix=prefix,
            trap_port=trap_port,
            wait=30,
            mgmt_subnet=mgmt_subnet,
        )
        yield handle(prefix)
    finally:
        down(prefix)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """The small lab, up once per session with OSPF converged; always torn down."""
    yield from _session_lab(tmp_path_factory, TEST_PREFIX, TEST_SUBNET, bare=False, trap_port=TRAP_PORT)


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh HOME and XDG dirs; no GOVNET_* variable leaks in from the caller."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for var in ("GOVNET_INVENTORY", "GOVNET_SECRETS", *LOG_VARIABLES):
        monkeypatch.delenv(var, raising=False)
    yield home
    logs.reset()  # a test that ran the command line leaves no handler or level behind


@pytest.fixture(scope="session")
def bare_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """A small lab with day-0 configs only (FRR runs, no routing): provisioning's playground."""
    yield from _session_lab(tmp_path_factory, BARE_PREFIX, BARE_SUBNET, bare=True, trap_port=TRAP_PORT + 1)


@pytest.fixture
def mini_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Put the mini inventory's secrets into the environment."""
    for key, value in MINI_SECRETS.items():
        monkeypatch.setenv(key, value)
    return dict(MINI_SECRETS)


@pytest.fixture
def mini_inventory(tmp_path: Path, mini_secrets: dict[str, str]) -> Path:
    """A valid small inventory on disk, with its secrets in the environment."""
    return write_inventory(tmp_path / "inv", mini_files())


def tree_snapshot(*roots: Path) -> dict[str, str]:
    """Path -> content hash of every file under the roots (to prove nothing was written)."""
    snap: dict[str, str] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file():
                snap[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                snap[str(path)] = "dir"
    return snap


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server (Debian's package) for the session; its admin database URL."""
    from tests.pgserver import postgres_bindir, postgres_server

    if postgres_bindir() is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI must run the PostgreSQL tests: install 'postgresql' (scripts/setup.sh)")
        pytest.skip("no PostgreSQL server here (Debian package 'postgresql')")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same store tests on SQLite and on a fresh database of the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    from tests.pgserver import fresh_database

    return fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture(scope="session")
def net(tmp_path_factory: pytest.TempPathFactory) -> Network:
    """The sample province, loaded once (its generated secrets in a throw-away HOME)."""
    from govnet.inventory import sample_dir
    from govnet.inventory.loader import load_inventory

    home = tmp_path_factory.mktemp("sample-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        return load_inventory(sample_dir())
