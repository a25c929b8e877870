"""Per-interface series in VictoriaMetrics, when one is configured.

The SQL store keeps what the NOC acts on (states, changes, incidents, maintenance, availability);
the samples of every interface (traffic, utilisation, errors, discards), the optical power of every
transceiver and the WiFi client count of every access point, which grow with the size of the
network and are read as ranges, go to a time-series database: VictoriaMetrics (Debian's
``victoria-metrics``, single node) through its Prometheus text import
(``POST /api/v1/import/prometheus``), read back with PromQL (``GET /api/v1/query_range``).

:class:`SeriesWriter` takes the engine's samples without blocking it: a background thread sends
them in batches, retries with back-off while the database is away, and keeps at most
``max_pending`` samples meanwhile; beyond that the oldest are dropped and counted (the loss is
bounded and visible in :attr:`SeriesWriter.dropped`, never silent).

A transceiver's receive power is written once: as ``govnet_optical_power_dbm{direction="rx"}``
(the :class:`Gauge` the engine makes of every optic, as on ``/metrics``), never again as the
sample's ``govnet_interface_rx_dbm``; reading one interface's history gives it under that name
(:meth:`VictoriaMetrics.interface_history`, :meth:`VictoriaMetrics.raw`), as the SQL store does.

Every label value is text from the inventory (device and interface names, link ids): it is
escaped for the exposition format when written and for PromQL string literals when queried, so
a name can never become syntax in either.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from govnet.errors import GovnetError
from govnet.monitor.store import Sample

#: The series written per sample: metric name -> the sample's field.
METRICS = {
    "govnet_interface_in_bps": "in_bps",
    "govnet_interface_out_bps": "out_bps",
    "govnet_interface_util_pct": "util_pct",
    "govnet_interface_in_errors_ps": "in_err_ps",
    "govnet_interface_out_errors_ps": "out_err_ps",
    "govnet_interface_in_discards_ps": "in_disc_ps",
    "govnet_interface_out_discards_ps": "out_disc_ps",
    "govnet_interface_rx_dbm": "rx_dbm",
}


#: A sample's receive power: a name of the history's answer, written as :data:`OPTICAL_POWER`.
RX_DBM = "govnet_interface_rx_dbm"
OPTICAL_POWER = "govnet_optical_power_dbm"
#: The metrics written per sample (the receive power is the optic's gauge).
WRITTEN = {name: attr for name, attr in METRICS.items() if name != RX_DBM}

#: Single-valued series (:class:`Gauge`): metric name -> what it is.
GAUGES = {
    "govnet_optical_power_dbm": "receive or transmit power of a transceiver (dBm), as on /metrics",
    "govnet_wifi_clients": "clients associated with an access point now, as on /metrics",
}


@dataclass(frozen=True)
class Gauge:
    """One reading of a single-valued series: the metric, its device, interface, link and
    direction labels (those that apply), the value."""

    at: float
    metric: str
    device: str
    value: float
    interface: str | None = None
    link: str | None = None
    direction: str | None = None


class SeriesSink(Protocol):
    """Where the engine's series go instead of the SQL store (:class:`SeriesWriter`)."""

    def write_samples(self, samples: Sequence[Sample]) -> None: ...

    def write_gauges(self, gauges: Sequence[Gauge]) -> None: ...


def _labels(device: str, interface: str | None, link: str | None, direction: str | None = None) -> str:
    labels = f'device="{escape_label(device)}"'
    if interface is not None:
        labels += f',interface="{escape_label(interface)}"'
    if link:
        labels += f',link="{escape_label(link)}"'
    if direction:
        labels += f',direction="{escape_label(direction)}"'
    return labels


class SeriesError(GovnetError):
    """The time-series database cannot be written or read."""


def escape_label(value: str) -> str:
    r"""A label value for the exposition format and for PromQL string literals.

    >>> escape_label('eth1')
    'eth1'
    >>> escape_label('a"b\\c') == 'a\\"b\\\\c'
    True
    >>> escape_label('x\ny')
    'x\\ny'
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(samples: Sequence[Sample | Gauge]) -> bytes:
    """Samples and gauges as Prometheus text lines with millisecond timestamps (``None`` and
    non-finite values left out; a sample's receive power too: its optic's gauge carries it).

    >>> s = Sample(1700000000.5, "cpe-1", "eth1", "l1", 1000.0, None, 0.5)
    >>> g = Gauge(1700000000.5, "govnet_wifi_clients", "ap-1", 12)
    >>> print(exposition([s, g]).decode(), end="")
    govnet_interface_in_bps{device="cpe-1",interface="eth1",link="l1"} 1000.0 1700000000500
    govnet_interface_util_pct{device="cpe-1",interface="eth1",link="l1"} 0.5 1700000000500
    govnet_wifi_clients{device="ap-1"} 12.0 1700000000500
    """
    lines = []
    for s in samples:
        stamp = round(s.at * 1000)
        if isinstance(s, Gauge):
            if s.metric in GAUGES and math.isfinite(s.value):
                labels = _labels(s.device, s.interface, s.link, s.direction)
                lines.append(f"{s.metric}{{{labels}}} {float(s.value)!r} {stamp}\n")
            continue
        labels = _labels(s.device, s.interface, s.link)
        for metric, attr in WRITTEN.items():
            value = getattr(s, attr)
            if value is not None and math.isfinite(value):
                lines.append(f"{metric}{{{labels}}} {float(value)!r} {stamp}\n")
    return "".join(lines).encode()


def check_url(url: str) -> str:
    """``http(s)://HOST:PORT`` with no credentials, query or fragment; the base for the API paths.

    >>> check_url("http://127.0.0.1:8428/")
    'http://127.0.0.1:8428'
    >>> check_url("file:///etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    govnet.monitor.series.SeriesError: bad VictoriaMetrics URL 'file:///etc/passwd' (fix: ...)
    """
    parts = urllib.parse.urlsplit(url)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise SeriesError(
            f"bad VictoriaMetrics URL {url[:120]!r}",
            hint="write http://HOST:PORT (credentials, if any, belong in a proxy in front of it)",
        )
    return url.rstrip("/")


class VictoriaMetrics:
    """Writes and reads series over VictoriaMetrics' HTTP API (no proxy: straight to the server)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = check_url(url)
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, path: str, data: bytes | None = None) -> bytes:
        request = urllib.request.Request(
            self.url + path, data=data, method="POST" if data is not None else "GET"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                body: bytes = answer.read()
                return body
        except urllib.error.HTTPError as exc:
            text = exc.read()[:300].decode("utf-8", "replace")
            raise SeriesError(f"VictoriaMetrics at {self.url} answered {exc.code}: {text}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SeriesError(
                f"VictoriaMetrics at {self.url} cannot be reached: {exc}",
                hint="start victoria-metrics or fix --series",
            ) from None

    def write(self, samples: Sequence[Sample | Gauge]) -> None:
        """Send samples now (raises :class:`SeriesError`)."""
        body = exposition(samples)
        if body:
            self._call("/api/v1/import/prometheus", body)

    def query_range(self, query: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """A PromQL range query's series: ``[{"metric": {...}, "values": [[t, "v"], ...]}, ...]``."""
        params = urllib.parse.urlencode(
            {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}s"}
        )
        return self._result(f"/api/v1/query_range?{params}")

    def _result(self, path: str) -> list[dict[str, Any]]:
        """The ``data.result`` of a query's answer; :class:`SeriesError` for anything else (a
        proxy's page, another server on that port, a truncated body)."""
        body = self._call(path)
        try:
            doc = json.loads(body)
            if doc.get("status") != "success":
                raise SeriesError(f"VictoriaMetrics refused the query: {str(doc.get('error'))[:200]}")
            result = doc["data"]["result"]
            if not isinstance(result, list):
                raise TypeError("result is not a list")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise SeriesError(
                f"{self.url} did not answer as VictoriaMetrics ({type(exc).__name__}): {body[:80]!r}",
                hint="check that --series points at VictoriaMetrics itself",
            ) from None
        return result

    def _points(self, series: dict[str, Any]) -> list[tuple[float, float]]:
        try:
            return [(float(t), float(v)) for t, v in series["values"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise SeriesError(
                f"{self.url} answered a series that is not [[time, value], ...] ({type(exc).__name__})"
            ) from None

    def raw(
        self, metric: str, device: str, interface: str, start: float, end: float
    ) -> list[tuple[float, float]]:
        """The stored samples of one series in (start, end], as written (no step, no lookback)."""
        if metric not in METRICS:
            raise SeriesError(f"unknown metric {metric[:60]!r}", hint=f"use one of {', '.join(METRICS)}")
        selector = _selector(device, interface, metric)
        span = max(1, int(end - start))
        params = urllib.parse.urlencode({"query": f"{selector}[{span}s]", "time": f"{end:.3f}"})
        return [point for series in self._result(f"/api/v1/query?{params}") for point in self._points(series)]

    def interface_history(
        self, device: str, interface: str, start: float, end: float, step: float
    ) -> dict[str, list[tuple[float, float]]]:
        """Every metric of one interface over [start, end]: name -> [(t, value), ...]."""
        names = "|".join(WRITTEN)
        query = (
            f'{{__name__=~"{names}",device="{escape_label(device)}",interface="{escape_label(interface)}"}}'
        )
        out: dict[str, list[tuple[float, float]]] = {}
        for series in self.query_range(query, start, end, step):
            labels = series.get("metric") if isinstance(series, dict) else None
            name = labels.get("__name__", "") if isinstance(labels, dict) else ""
            out[str(name)] = self._points(series)
        # the port's receive power (a port with several receive lanes: the weakest of them)
        for series in self.query_range(f"min({_selector(device, interface, RX_DBM)})", start, end, step):
            out[RX_DBM] = self._points(series)
        return out


def _selector(device: str, interface: str, metric: str) -> str:
    """The PromQL selector of one interface's ``metric`` (:data:`RX_DBM`: its optic's rx gauge)."""
    where = f'device="{escape_label(device)}",interface="{escape_label(interface)}"'
    if metric == RX_DBM:
        return f'{OPTICAL_POWER}{{{where},direction="rx"}}'
    return f"{metric}{{{where}}}"


@dataclass
class SeriesWriter:
    """Sends the engine's samples in the background (see the module's docstring)."""

    db: VictoriaMetrics
    max_pending: int = 1_000_000
    batch: int = 20_000
    sent: int = 0
    dropped: int = 0
    failures: int = 0
    last_error: str | None = None
    _queue: deque[Sample | Gauge] = field(default_factory=deque, repr=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _closing: bool = False
    _thread: threading.Thread | None = None

    def start(self) -> SeriesWriter:
        self._thread = threading.Thread(target=self._run, name="govnet-series", daemon=True)
        self._thread.start()
        return self

    def write_gauges(self, gauges: Sequence[Gauge]) -> None:
        """Queue gauges (optical power, WiFi clients), with the samples and under the same bound."""
        self.write_samples(gauges)

    def write_samples(self, samples: Sequence[Sample | Gauge]) -> None:
        """Queue samples (never blocks on the database)."""
        with self._lock:
            self._queue.extend(samples)
            over = len(self._queue) - self.max_pending
            for _ in range(max(0, over)):
                self._queue.popleft()
            self.dropped += max(0, over)
            self._lock.notify()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        backoff = 0.5
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._lock.wait()
                if not self._queue and self._closing:
                    return
                chunk = [self._queue.popleft() for _ in range(min(self.batch, len(self._queue)))]
            try:
                self.db.write(chunk)
            except SeriesError as exc:
                with self._lock:  # back at the front, oldest first; the oldest go beyond the bound
                    self.failures += 1
                    self.last_error = exc.message
                    self._queue.extendleft(reversed(chunk))
                    over = len(self._queue) - self.max_pending
                    for _ in range(max(0, over)):
                        self._queue.popleft()
                    self.dropped += max(0, over)
                if self._closing:
                    return  # closing with the database away: what is left counts as dropped
                time.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 0.5
            with self._lock:
                self.sent += len(chunk)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (within ``timeout``), then stop; the rest counts as dropped."""
        with self._lock:
            self._closing = True
            self._lock.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self.dropped += len(self._queue)
            self._queue.clear()
