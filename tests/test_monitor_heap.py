"""``monitor run`` readies its process for a long run over a large heap (monitor/runner.py's
settle_heap): what start-up built is frozen out of the cyclic collector's reach, young collections
run less often, and garbage cycles are still collected. Each check in a fresh interpreter, as the
command runs (the test process's own collector is left alone)."""

from __future__ import annotations

import subprocess
import sys

from govnet.monitor.runner import GC_THRESHOLDS

CHECK = """
import gc
import weakref
from govnet.monitor.runner import GC_THRESHOLDS, settle_heap

class Node:
    pass

garbage = Node(); garbage.me = garbage  # a cycle, unreachable once deleted
gone = weakref.ref(garbage)
del garbage
kept = [Node() for _ in range(1000)]
settle_heap()
frozen = gc.get_freeze_count()
assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()
assert frozen > len(kept), frozen  # start-up's live objects are out of the collector's reach
assert gone() is None  # collected before the freeze, not frozen with the rest
settle_heap()  # once per process
assert gc.get_freeze_count() == frozen
later = Node(); later.me = later  # garbage made after start-up is still collected
gone = weakref.ref(later)
del later
gc.collect()
assert gone() is None
print("ok")
"""


def test_settle_heap_freezes_start_up_and_still_collects_cycles() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], check=False, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert GC_THRESHOLDS[0] > 700, "young collections less often than CPython's default"
