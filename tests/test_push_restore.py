"""How a failed push reports the device's state, for the cases the lab cannot produce on demand.

The lab tests (test_push_atomic) show a refused change rolled back on a real FRR; here a
device that will not go back, or cannot be read back, must never be reported ``rolled_back``.
The stand-in device below keeps a running config as text and misbehaves as told.
"""

from __future__ import annotations

from typing import Any

import pytest

from govnet.inventory.network import Network
from govnet.tasks import provision
from govnet.tasks.provision import push_device

BEFORE = "hostname core-01\nip route 198.19.1.0/28 Null0\nend\n"
INTENDED = "hostname core-01\nip route 198.19.2.0/28 Null0\nend\n"
HALF = "hostname core-01\nip route 0.0.0.0/0 Null0\nend\n"


class Device:
    """A device's state, shared by every session opened to it."""

    def __init__(self) -> None:
        self.running = BEFORE
        self.pending = False
        self.checkpoint = BEFORE
        self.commit_leaves = HALF  # what a failing commit leaves running
        self.rollback_restores = True
        self.replace_restores = True
        self.readable_after_restore = True
        self.restored = False


class Session:
    """A NAPALM-like driver on :class:`Device` (only what push_device uses)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.candidate = ""

    def close(self) -> None:
        pass

    def is_alive(self) -> dict[str, bool]:
        return {"is_alive": True}

    def load_replace_candidate(self, config: str | None = None, filename: str | None = None) -> None:
        self.candidate = config or ""

    def compare_config(self) -> str:
        return "" if self.candidate == self.device.running else "+ip route 198.19.2.0/28 Null0"

    def discard_config(self) -> None:
        self.candidate = ""

    def get_config(self, retrieve: str = "all") -> dict[str, str]:
        if self.device.restored and not self.device.readable_after_restore:
            raise ConnectionError("session lost")
        return {"running": self.device.running, "startup": "", "candidate": ""}

    def get_interfaces(self) -> dict[str, Any]:
        return {}

    def get_bgp_neighbors(self) -> dict[str, Any]:
        return {"global": {"peers": {}}}

    def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
        if self.candidate == BEFORE:  # govnet pushing the previous config back
            if self.device.replace_restores:
                self.device.running = BEFORE
            self.device.restored = True
            return
        self.device.running = self.device.commit_leaves
        self.device.pending = bool(revert_in)
        raise RuntimeError("the device rejected the configuration while applying it: line 3")

    def has_pending_commit(self) -> bool:
        return self.device.pending

    def rollback(self) -> None:
        if self.device.rollback_restores:
            self.device.running = self.device.checkpoint
        self.device.pending = False
        self.device.restored = True

    def confirm_commit(self) -> None:
        self.device.pending = False


def push(net: Network, device: Device) -> provision.DeviceResult:
    return push_device(net, "core-01", lambda name: Session(device), config=INTENDED, revert_in=1, settle=0)


@pytest.fixture(autouse=True)
def _short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(provision, "TIMER_MARGIN", 1.0)


def test_a_refused_commit_that_changed_nothing_is_rolled_back_after_reading_it_back(net: Network) -> None:
    device = Device()
    device.commit_leaves = BEFORE
    result = push(net, device)
    assert result.status == "rolled_back", result
    assert "commit refused" in (result.error or "") and "line by line" in (result.error or "")


def test_a_half_applied_commit_is_rolled_back_to_the_checkpoint(net: Network) -> None:
    device = Device()
    result = push(net, device)
    assert result.status == "rolled_back", result
    assert "checkpoint" in (result.error or "") and device.running == BEFORE


def test_without_a_checkpoint_the_previous_config_is_pushed_back(net: Network) -> None:
    device = Device()
    device.pending = False
    device.commit_leaves = HALF

    class NoTimer(Session):
        def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
            super().commit_config(message, None)

    result = push_device(net, "core-01", lambda name: NoTimer(device), config=INTENDED, revert_in=1, settle=0)
    assert result.status == "rolled_back", result
    assert "pushed back" in (result.error or "") and device.running == BEFORE


def test_a_device_that_does_not_go_back_is_failed_with_state_unknown(net: Network) -> None:
    device = Device()
    device.rollback_restores = False
    device.replace_restores = False
    result = push(net, device)
    assert result.status == "failed", result
    error = result.error or ""
    assert "device state unknown, previous config restored: no" in error
    assert "0.0.0.0/0" in error  # the line still differing is named


def test_a_restore_govnet_cannot_read_back_is_failed_restored_yes(net: Network) -> None:
    device = Device()
    device.readable_after_restore = False
    result = push(net, device)
    assert result.status == "failed", result
    assert "device state unknown, previous config restored: yes" in (result.error or "")


def test_a_commit_the_running_config_does_not_show_is_not_changed(net: Network) -> None:
    """The device took the commit but runs something else (a line dropped, or put back):
    the read-back diff is not empty, so the push is rolled back, never reported "changed"."""
    device = Device()
    dropped = "hostname core-01\nend\n"

    class Dropping(Session):
        def commit_config(self, message: str = "", revert_in: int | None = None) -> None:
            if self.candidate == BEFORE:
                super().commit_config(message, revert_in)
                return
            self.device.checkpoint = self.device.running
            self.device.running = dropped  # accepted without an error, the route not kept
            self.device.pending = bool(revert_in)

    result = push_device(
        net, "core-01", lambda name: Dropping(device), config=INTENDED, revert_in=1, settle=0
    )
    assert result.status == "rolled_back", result
    assert "does not show the change" in (result.error or "")
    assert "+ip route 198.19.2.0/28 Null0" in (result.error or "")
    assert device.running == BEFORE and not device.pending
