"""Prometheus exposition of what the store knows.

Two parts in one ``/metrics`` body:

* interface data under **snmp_exporter's if_mib names and labels** (``ifHCInOctets`` …, labels
  ``ifIndex``, ``ifName``, ``ifAlias``, ``ifDescr``, plus ``device``), so dashboards built for
  snmp_exporter work unchanged. These counters keep their MIB names without ``_total``, as
  snmp_exporter does; prometheus_client insists on ``_total`` for counters, so this block is
  written here, in the same text format;
* ``govnet_*`` gauges for derived state (device/link/endpoint up, utilisation, open incidents),
  through prometheus_client, lint-clean for ``promtool check metrics``.

Reading the store, not the poller's memory, lets the API process and the monitor expose the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from govnet.inventory.network import Network
from govnet.monitor.series import escape_label
from govnet.monitor.spool import SpoolingStore, StoreHealth
from govnet.monitor.store import StateRow, Store
from govnet.snmp.mibs import IF_STATUS

_STATUS_NUMBER = {word: number for number, word in IF_STATUS.items()}

#: (metric, interface field, type, help) in snmp_exporter's if_mib naming.
IF_METRICS = (
    ("ifHCInOctets", "in_octets", "counter", "Octets received on the interface - 1.3.6.1.2.1.31.1.1.1.6"),
    (
        "ifHCOutOctets",
        "out_octets",
        "counter",
        "Octets transmitted on the interface - 1.3.6.1.2.1.31.1.1.1.10",
    ),
    ("ifInErrors", "in_errors", "counter", "Inbound packets with errors - 1.3.6.1.2.1.2.2.1.14"),
    (
        "ifOutErrors",
        "out_errors",
        "counter",
        "Outbound packets not sent because of errors - 1.3.6.1.2.1.2.2.1.20",
    ),
    ("ifInDiscards", "in_discards", "counter", "Inbound packets discarded - 1.3.6.1.2.1.2.2.1.13"),
    ("ifOutDiscards", "out_discards", "counter", "Outbound packets discarded - 1.3.6.1.2.1.2.2.1.19"),
    ("ifHighSpeed", "speed_mbps", "gauge", "Interface bandwidth in Mbit/s - 1.3.6.1.2.1.31.1.1.1.15"),
    ("ifOperStatus", "oper_status", "gauge", "Operational state of the interface - 1.3.6.1.2.1.2.2.1.8"),
    ("ifAdminStatus", "admin_status", "gauge", "Desired state of the interface - 1.3.6.1.2.1.2.2.1.7"),
)


def _labels(pairs: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in pairs.items()) + "}"


def if_mib_text(rows: list[StateRow]) -> str:
    """The interface block, as snmp_exporter's if_mib module names it (from the current states)."""
    devices = [row for row in rows if row.kind == "device" and row.state == "up" and row.detail]
    lines: list[str] = []
    lines.append("# HELP sysUpTime Time since the agent was last re-initialized - 1.3.6.1.2.1.1.3")
    lines.append("# TYPE sysUpTime gauge")
    for row in devices:
        assert row.detail is not None
        if row.detail.get("sys_uptime") is not None:
            lines.append(f"sysUpTime{_labels({'device': row.name})} {row.detail['sys_uptime']}")
    for metric, key, kind, help_text in IF_METRICS:
        lines.append(f"# HELP {metric} {help_text}")
        lines.append(f"# TYPE {metric} {kind}")
        for row in devices:
            assert row.detail is not None
            for iface in row.detail.get("interfaces", []):
                value = _value(iface, key, metric)
                if value is None:
                    continue
                labels = {
                    "device": row.name,
                    "ifAlias": iface.get("ifAlias") or "",
                    "ifDescr": iface.get("ifDescr") or "",
                    "ifIndex": str(iface.get("ifIndex")),
                    "ifName": iface.get("ifName") or "",
                }
                lines.append(f"{metric}{_labels(labels)} {value}")
    return "\n".join(lines) + "\n"


def _value(iface: dict[str, Any], key: str, metric: str) -> float | int | None:
    raw = iface.get(key)
    if key in {"in_octets", "out_octets"} and iface.get("counter_bits") != 64:
        return None  # without ifXTable there is no ifHC* (snmp_exporter would show ifInOctets)
    if key in {"oper_status", "admin_status"}:
        return _STATUS_NUMBER.get(str(raw))
    return raw if isinstance(raw, int | float) else None


class GovnetCollector:
    """``govnet_*`` gauges from the store's current state."""

    def __init__(self, store: Store, network: Network, rows: list[StateRow]) -> None:
        self.store, self.network, self.rows = store, network, rows

    def collect(self) -> Iterator[Metric]:
        """Called by prometheus_client on every scrape."""
        rows = self.rows
        device_up = GaugeMetricFamily(
            "govnet_device_up",
            "1 when the device's SNMP agent answered its last poll.",
            labels=["device", "role"],
        )
        link_up = GaugeMetricFamily(
            "govnet_link_up",
            "1 when the link is up, 0 when down (unknown links are absent).",
            labels=["link"],
        )
        util = GaugeMetricFamily(
            "govnet_link_utilisation_ratio",
            "Busiest direction's rate over the link's speed.",
            labels=["link"],
        )
        endpoint = GaugeMetricFamily(
            "govnet_endpoint_connected",
            "1 when the agency, BTS site or hotspot has a path to the core.",
            labels=["kind", "id", "district"],
        )
        optical = GaugeMetricFamily(
            "govnet_optical_power_dbm",
            "Transceiver receive or transmit power (ENTITY-SENSOR-MIB), in dBm.",
            labels=["device", "ifIndex", "sensor", "direction"],
        )
        wifi = GaugeMetricFamily(
            "govnet_wifi_clients", "WiFi clients associated with the AP or controller.", labels=["device"]
        )
        firing = GaugeMetricFamily(
            "govnet_alert_firing", "1 for every threshold alert firing now.", labels=["rule", "subject"]
        )
        for row in rows:
            if row.kind == "device" and row.name in self.network.devices:
                role = self.network.devices[row.name].role.value
                device_up.add_metric([row.name, role], 1.0 if row.state == "up" else 0.0)
                detail = row.detail or {}
                for optic in detail.get("optics") or ():
                    if optic.get("dbm") is not None:
                        index = str(optic.get("ifIndex") or "")
                        labels = [row.name, index, str(optic["name"]), str(optic["direction"])]
                        optical.add_metric(labels, float(optic["dbm"]))
                if detail.get("wifi_clients") is not None:
                    wifi.add_metric([row.name], float(detail["wifi_clients"]))
            elif row.kind == "alert" and row.state == "firing":
                rule, _, subject = row.name.partition(":")
                firing.add_metric([rule, subject], 1.0)
            elif row.kind == "link" and row.state in {"up", "down"}:
                link_up.add_metric([row.name], 1.0 if row.state == "up" else 0.0)
                if row.detail and row.detail.get("util_pct") is not None:
                    util.add_metric([row.name], float(row.detail["util_pct"]) / 100)
            elif row.kind == "endpoint":
                kind, _, ident = row.name.partition(":")
                district = (row.detail or {}).get("district", "")
                endpoint.add_metric([kind, ident, str(district)], 1.0 if row.state == "up" else 0.0)
        incidents = GaugeMetricFamily("govnet_incidents_open", "Open incidents by kind.", labels=["kind"])
        counts: dict[str, int] = {"node": 0, "link": 0, "duct": 0}
        for incident in self.store.incidents(open_only=True):
            counts[incident.kind] = counts.get(incident.kind, 0) + 1
        for kind, count in sorted(counts.items()):
            incidents.add_metric([kind], float(count))
        yield from (device_up, link_up, util, endpoint, optical, wifi, firing, incidents)


class StoreHealthCollector:
    """``govnet_store_*``: whether the monitor can record, and what an outage cost."""

    def __init__(self, health: StoreHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[Metric]:
        """Called by prometheus_client on every scrape."""
        h = self.health
        yield GaugeMetricFamily(
            "govnet_store_writable",
            "1 when the store takes writes, 0 while it refuses them.",
            value=float(h.writable),
        )
        yield CounterMetricFamily(
            "govnet_store_write_failures", "Store writes that failed (kept in memory).", value=h.failures
        )
        yield GaugeMetricFamily(
            "govnet_store_pending_rows", "Rows kept in memory until the store takes writes.", value=h.pending
        )
        yield CounterMetricFamily(
            "govnet_store_dropped_rows", "Rows given up while the store refused writes.", value=h.dropped
        )


def store_health(store: Store) -> StoreHealth | None:
    """The health of a monitor's store (None for a plain store: nothing is known)."""
    return store.health() if isinstance(store, SpoolingStore) else None


def exposition(store: Store, network: Network, health: StoreHealth | None = None) -> bytes:
    """The whole ``/metrics`` body (``govnet_store_*`` when the store's health is known)."""
    registry = CollectorRegistry(auto_describe=False)
    rows = store.current()  # one read serves both parts
    registry.register(GovnetCollector(store, network, rows))
    health = health or store_health(store)
    if health is not None:
        registry.register(StoreHealthCollector(health))
    return if_mib_text(rows).encode() + generate_latest(registry)


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
