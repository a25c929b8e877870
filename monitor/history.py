"""One interface's history over a window: from VictoriaMetrics when configured, else the SQL store.

The answer has the same shape from either source: ``{"source", "window", "step", "series":
{metric: [[t, value], ...]}}`` with the metric names of :data:`govnet.monitor.series.METRICS`.
From the store, windows up to a day are its raw samples and longer ones its hourly rollups
(which keep averages of traffic and utilisation, the peak utilisation and the error rate).
"""

from __future__ import annotations

from typing import Any

from govnet.errors import GovnetError
from govnet.monitor.series import METRICS, VictoriaMetrics
from govnet.monitor.store import Store

#: Window name -> (seconds, step of the answer in seconds).
WINDOWS = {"1h": (3600.0, 60.0), "24h": (86400.0, 300.0), "30d": (30 * 86400.0, 3600.0)}


def interface_history(
    store: Store, series: VictoriaMetrics | None, device: str, interface: str, window: str, now: float
) -> dict[str, Any]:
    """The series of ``device``/``interface`` over ``window`` (one of :data:`WINDOWS`) up to ``now``."""
    if window not in WINDOWS:
        raise GovnetError(f"unknown window {window[:20]!r}", hint=f"use one of {', '.join(WINDOWS)}")
    span, step = WINDOWS[window]
    start = now - span
    out: dict[str, Any] = {"window": window, "step": step}
    if series is not None:
        found = series.interface_history(device, interface, start, now, step)
        out.update(source="victoriametrics", series={k: [[t, v] for t, v in pts] for k, pts in found.items()})
        return out
    result: dict[str, list[list[float]]] = {}
    if span <= 86400.0:
        for sample in store.samples(device, interface, since=start):
            for metric, attr in METRICS.items():
                value = getattr(sample, attr)
                if value is not None:
                    result.setdefault(metric, []).append([sample.at, value])
    else:
        rollup = {
            "govnet_interface_in_bps": "in_bps_avg",
            "govnet_interface_out_bps": "out_bps_avg",
            "govnet_interface_util_pct": "util_avg",
            "govnet_interface_util_pct_max": "util_max",
            "govnet_interface_errors_ps": "err_ps_avg",
            "govnet_interface_rx_dbm": "rx_dbm_avg",
            "govnet_interface_rx_dbm_min": "rx_dbm_min",
        }
        for row in store.hourly(device, interface):
            if row["hour"] < start:
                continue
            for metric, key in rollup.items():
                if row[key] is not None:
                    result.setdefault(metric, []).append([row["hour"], row[key]])
    out.update(source="store", series=result)
    return out
