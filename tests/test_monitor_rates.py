"""Rates through counter wraps, reboots, renumbering and glitches (recorded states, no network)."""

from __future__ import annotations

import pytest

from govnet.monitor.collector import DeviceState, Interface
from govnet.monitor.rates import RateTracker


def state(uptime: int, *ifaces: Interface) -> DeviceState:
    return DeviceState("198.18.0.10", True, sys_uptime=uptime, interfaces=list(ifaces))


def iface(
    index: int,
    name: str,
    in_octets: int,
    out_octets: int = 0,
    bits: int = 64,
    speed: int = 1000,
    errors: int = 0,
) -> Interface:
    return Interface(index, name, "", name, "up", "up", speed, in_octets, out_octets, bits, in_errors=errors)


def test_first_reading_gives_no_rate_then_a_correct_one() -> None:
    t = RateTracker()
    assert t.update("hub", state(100, iface(3, "eth1", 1_000)), at=0.0) == {}
    rates = t.update("hub", state(1100, iface(3, "eth1", 1_000 + 12_500_000, errors=5)), at=10.0)
    assert rates["eth1"].in_bps == pytest.approx(10_000_000)
    assert rates["eth1"].utilisation_pct == pytest.approx(1.0)
    assert rates["eth1"].in_errors_ps == pytest.approx(0.5)


def test_32_bit_counter_wrap_is_added_back() -> None:
    t = RateTracker()
    t.update("cpe", state(100, iface(2, "eth1", 2**32 - 1_000, bits=32)), at=0.0)
    rates = t.update("cpe", state(200, iface(2, "eth1", 9_000, bits=32)), at=1.0)
    assert rates["eth1"].in_bps == pytest.approx(10_000 * 8)


def test_reboot_gives_no_bogus_rate_and_restarts_the_baseline() -> None:
    t = RateTracker()
    t.update("hub", state(50_000, iface(3, "eth1", 9_000_000_000)), at=0.0)
    assert t.update("hub", state(300, iface(3, "eth1", 1_000)), at=10.0) == {}
    rates = t.update("hub", state(1300, iface(3, "eth1", 1_000 + 1_250)), at=20.0)
    assert rates["eth1"].in_bps == pytest.approx(1_000)


def test_64_bit_counter_going_down_without_reboot_is_a_reset_not_a_wrap() -> None:
    t = RateTracker()
    t.update("hub", state(100, iface(3, "eth1", 10**12)), at=0.0)
    rates = t.update("hub", state(200, iface(3, "eth1", 5)), at=1.0)
    assert rates["eth1"].in_bps is None


def test_ifindex_renumbering_drops_the_baseline_of_that_port() -> None:
    t = RateTracker()
    t.update("hub", state(100, iface(3, "eth1", 1_000), iface(4, "eth2", 50)), at=0.0)
    rates = t.update("hub", state(200, iface(7, "eth1", 10**9), iface(4, "eth2", 175)), at=1.0)
    assert "eth1" not in rates  # renumbered: not compared with another index's counters
    assert rates["eth2"].in_bps == pytest.approx(1_000)


def test_rate_above_line_speed_is_discarded() -> None:
    t = RateTracker()
    t.update("cpe", state(100, iface(2, "eth1", 0, speed=100)), at=0.0)
    rates = t.update("cpe", state(200, iface(2, "eth1", 10**9, speed=100)), at=1.0)  # 8 Gbit/s on 100 Mbit/s
    assert rates["eth1"].in_bps is None and rates["eth1"].utilisation_pct is None


def test_unreachable_device_changes_nothing() -> None:
    t = RateTracker()
    t.update("hub", state(100, iface(3, "eth1", 0)), at=0.0)
    assert t.update("hub", DeviceState("198.18.0.10", False, error="timeout"), at=5.0) == {}
    assert t.update("hub", state(1100, iface(3, "eth1", 1_250)), at=10.0)["eth1"].in_bps == pytest.approx(
        1_000
    )
