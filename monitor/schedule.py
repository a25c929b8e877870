"""When each device is polled: cycles aligned to its interval, confirmation polls.

Each device is polled on its class's interval, at times aligned to the interval (``k × interval``
plus a stable per-device offset that spreads the load), so every process agrees on which *cycle*
a poll belongs to — that is what names a poll job ``DEVICE@CYCLE``, so a leader taking over
submits nothing twice, and what "each device exactly once per cycle" is checked against. The
next start of every device sits in a heap: finding what is due costs what is due, not the number
of devices.
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections.abc import Container, Mapping

from govnet.monitor.config import PollTarget


def offset(device: str, interval: float) -> float:
    """The device's stable place within its interval (spreads the polls)."""
    return (zlib.crc32(device.encode()) % 1000) / 1000 * interval


def slot(device: str, interval: float, now: float) -> int:
    """The cycle ``now`` falls in, for ``device``."""
    return int((now - offset(device, interval)) // interval)


class Schedule:
    """The next cycle of every device, and the confirmation polls asked for."""

    def __init__(self, targets: Mapping[str, PollTarget]) -> None:
        self.targets = targets
        self.next_cycle: dict[str, int] = {}
        #: Devices awaiting a confirmation poll, with when it was asked for (a poll that started
        #: earlier does not count).
        self.confirm: dict[str, float] = {}
        # (start of the device's next cycle, device); -inf: never polled, due at once.
        self._heap: list[tuple[float, str]] = [(-math.inf, device) for device in targets]
        heapq.heapify(self._heap)

    def _start(self, device: str, cycle: int) -> float:
        interval = self.targets[device].interval
        return cycle * interval + offset(device, interval)

    def due(self, now: float, busy: Container[str]) -> list[tuple[str, int]]:
        """(device, cycle) of every device whose next slot has come, and confirmation polls
        (cycle -1); devices in ``busy`` (a poll under way) wait."""
        out: list[tuple[str, int]] = []
        later: list[tuple[float, str]] = []
        while self._heap and self._heap[0][0] <= now:
            start, device = heapq.heappop(self._heap)
            if device in busy:
                later.append((start, device))
                continue
            current = slot(device, self.targets[device].interval, now)
            if device not in self.next_cycle:
                self.next_cycle[device] = current  # first poll: the current cycle
            if current >= self.next_cycle[device]:
                out.append((device, current))
            else:  # rounding at the slot's edge: look again next time
                later.append((start, device))
        for entry in later:
            heapq.heappush(self._heap, entry)
        scheduled = {device for device, _ in out}
        for device, since in self.confirm.items():
            if device not in scheduled and device not in busy and now >= since:
                out.append((device, -1))
        return out

    def started(self, device: str, cycle: int) -> None:
        """A scheduled poll of ``cycle`` went out: the device is next due at ``cycle + 1``."""
        self.next_cycle[device] = cycle + 1
        heapq.heappush(self._heap, (self._start(device, cycle + 1), device))

    def request(self, device: str, when: float) -> None:
        """Poll ``device`` at ``when`` or as soon as possible after; a request already pending
        keeps its earlier time."""
        self.confirm[device] = min(when, self.confirm.get(device, when))

    def polled(self, device: str, started: float) -> None:
        """A poll that started at ``started`` came back: it confirms a request made before."""
        if device in self.confirm and started >= self.confirm[device]:
            del self.confirm[device]

    def next_wakeup(self, now: float, busy: Container[str]) -> float:
        """Seconds until the next device is due (at most 1 s, so traps are handled promptly)."""
        soonest = 1.0
        if self._heap:
            soonest = min(soonest, max(0.0, self._heap[0][0] - now))
        for device, since in self.confirm.items():
            if device not in busy:
                soonest = min(soonest, max(0.0, since - now))
        return soonest
