"""Whether the store the API reads can be written: the monitor's own word when it runs in this
process, otherwise a small write probe (at most one every :data:`PROBE_EVERY_S`).

The authoritative answer for a separate ``govnet monitor run`` is that process's own ``/healthz``
and ``govnet_store_*`` metrics (``--metrics-listen``): it is the one that records. The probe tells
whether this store takes writes at all (acknowledgements need it, and a full disk shows here too).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from govnet.monitor.spool import SpoolingStore, StoreHealth, why
from govnet.monitor.store import Store, StoreError

#: Seconds a probe's answer is reused.
PROBE_EVERY_S = 5.0


@dataclass
class StoreProbe:
    """The store's health as the API can know it."""

    store: Store
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _checked: float = float("-inf")
    _health: StoreHealth = field(default_factory=lambda: StoreHealth(True, None, None, 0, 0, 0))

    def health(self) -> StoreHealth:
        """Now (or as of the last probe, less than :data:`PROBE_EVERY_S` ago)."""
        if isinstance(self.store, SpoolingStore):
            return self.store.health()
        with self._lock:
            if time.monotonic() - self._checked >= PROBE_EVERY_S:
                self._checked = time.monotonic()
                self._health = self._probe(self._health)
            return self._health

    def _probe(self, last: StoreHealth) -> StoreHealth:
        now = time.time()
        try:
            self.store.probe_write(now)
        except StoreError as exc:
            since = last.since if not last.writable else now
            return StoreHealth(False, why(exc), since, last.failures + 1, 0, 0)
        return StoreHealth(True, None, None, last.failures, 0, 0)
