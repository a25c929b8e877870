"""Rates from counters, correct through the things real agents do.

* **Counter wraps.** A 32-bit counter that went down wrapped once (at 1 Gbit/s an ifInOctets
  wraps every 34 s): add 2^32. A 64-bit counter that went down was reset, not wrapped.
* **Reboots.** sysUpTime went back: every counter restarted, so this cycle gives no rate (not a
  bogus huge one) and the new values become the baseline.
* **ifIndex renumbering.** Interfaces are tracked by name, not ifIndex; when a name's ifIndex
  changes its baseline is dropped rather than compared with another port's counters.
* **Impossible rates.** A rate above the interface's speed (× a margin) is discarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from govnet.monitor.collector import DeviceState, Interface

WRAP = {32: 1 << 32, 64: 1 << 64}
#: A computed rate above speed × this margin is treated as a counter glitch.
SPEED_MARGIN = 1.5


@dataclass(frozen=True)
class Rates:
    """Per-interface rates over one polling interval."""

    name: str
    seconds: float
    in_bps: float | None
    out_bps: float | None
    in_errors_ps: float | None
    out_errors_ps: float | None
    in_discards_ps: float | None
    out_discards_ps: float | None
    utilisation_pct: float | None


def counter_delta(previous: int | None, current: int | None, bits: int) -> int | None:
    """Increase of a counter between two readings, or None when it cannot be known.

    >>> counter_delta(4_294_967_000, 200, 32)  # wrapped once
    496
    >>> counter_delta(5_000, 200, 64) is None  # a 64-bit counter that went down was reset
    True
    """
    if previous is None or current is None:
        return None
    if current >= previous:
        return current - previous
    if bits == 32:
        return current + WRAP[32] - previous
    return None


@dataclass
class _Baseline:
    if_index: int
    at: float
    iface: Interface


@dataclass
class RateTracker:
    """Keeps the previous reading of every interface of every device."""

    uptime: dict[str, int] = field(default_factory=dict)
    baselines: dict[tuple[str, str], _Baseline] = field(default_factory=dict)

    def update(self, device: str, state: DeviceState, at: float) -> dict[str, Rates]:
        """Rates since the previous reading of ``device`` (empty on the first one or after a reboot)."""
        if not state.reachable or state.sys_uptime is None:
            return {}
        rebooted = device in self.uptime and state.sys_uptime < self.uptime[device]
        self.uptime[device] = state.sys_uptime
        if rebooted:
            for key in [k for k in self.baselines if k[0] == device]:
                del self.baselines[key]
        out: dict[str, Rates] = {}
        for iface in state.interfaces:
            key = (device, iface.name or str(iface.if_index))
            before = self.baselines.get(key)
            self.baselines[key] = _Baseline(iface.if_index, at, iface)
            if before is None or before.if_index != iface.if_index or at <= before.at:
                continue
            out[iface.name] = self._rates(before, iface, at)
        return out

    @staticmethod
    def _rates(before: _Baseline, now: Interface, at: float) -> Rates:
        seconds = at - before.at
        old = before.iface
        bits = now.counter_bits if now.counter_bits == old.counter_bits else 32

        def per_second(a: int | None, b: int | None, width: int) -> float | None:
            delta = counter_delta(a, b, width)
            return None if delta is None else delta / seconds

        in_bps = per_second(old.in_octets, now.in_octets, bits)
        out_bps = per_second(old.out_octets, now.out_octets, bits)
        in_bps = in_bps * 8 if in_bps is not None else None
        out_bps = out_bps * 8 if out_bps is not None else None
        speed_bps = (now.speed_mbps or 0) * 1_000_000
        glitch = False
        if speed_bps:
            limit = speed_bps * SPEED_MARGIN
            glitch = any(r is not None and r > limit for r in (in_bps, out_bps))
            in_bps = None if in_bps is not None and in_bps > limit else in_bps
            out_bps = None if out_bps is not None and out_bps > limit else out_bps
        busiest = max((r for r in (in_bps, out_bps) if r is not None), default=None)
        utilisation = 100 * busiest / speed_bps if busiest is not None and speed_bps and not glitch else None
        return Rates(
            name=now.name,
            seconds=seconds,
            in_bps=in_bps,
            out_bps=out_bps,
            in_errors_ps=per_second(old.in_errors, now.in_errors, 32),
            out_errors_ps=per_second(old.out_errors, now.out_errors, 32),
            in_discards_ps=per_second(old.in_discards, now.in_discards, 32),
            out_discards_ps=per_second(old.out_discards, now.out_discards, 32),
            utilisation_pct=utilisation,
        )
