"""The monitor's log: one line per event of a cycle, with the device, address and district it concerns.

What each level means here:

* DEBUG — every poll (device, cycle, seconds, varbinds, reachable);
* INFO — a device or link state change, an incident closed, an alert cleared;
* WARNING — a device stops answering (with the poller's error), an incident opens, an alert fires.

The engine calls :meth:`CycleLog.cycle` once per tick with its :class:`CycleReport`; nothing here
writes to the store or changes the monitor's state.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from govnet.inventory.network import Network
from govnet.monitor.store import Store, StoreError

if TYPE_CHECKING:
    from govnet.monitor.alerts import AlertChange
    from govnet.monitor.collector import DeviceState
    from govnet.monitor.store import Change


class CycleReport(Protocol):
    """What a tick did, as :class:`govnet.monitor.engine.CycleReport` has it (the engine imports
    this module, so it is named by its shape)."""

    polled: list[str]
    changes: list[Change]
    opened: list[int]
    closed: list[int]
    alerts: list[AlertChange]


log = logging.getLogger("govnet.monitor")


class CycleLog:
    """Logs what one monitor's cycles found."""

    def __init__(self, network: Network, store: Store) -> None:
        self.network, self.store = network, store

    def device(self, name: str) -> dict[str, Any]:
        """The context of a device: its name, management address and district."""
        dev = self.network.devices.get(name)
        if dev is None:
            return {"device": name}
        return {"device": name, "address": str(dev.mgmt_ip), "district": self.network.district_of(name)}

    def cycle(self, report: CycleReport, last: dict[str, DeviceState]) -> None:
        """Log one tick's polls, state changes, incidents and alerts."""
        if log.isEnabledFor(logging.DEBUG):
            for name in report.polled:
                state = last.get(name)
                if state is not None:
                    log.debug(
                        "poll done",
                        extra={**self.device(name), "reachable": state.reachable, "note": state.note()},
                    )
        for change in report.changes:
            if change.kind == "device":
                self._device_change(change.name, change.old, change.new, last.get(change.name))
            elif change.kind == "link" and change.old is not None:
                link = self.network.links_by_id.get(change.name)
                ends = {"a_device": link.a_device, "b_device": link.b_device} if link else {}
                log.info(
                    "link state changed",
                    extra={
                        "link": change.name,
                        **ends,
                        "old": change.old,
                        "new": change.new,
                        "source": change.source,
                    },
                )
        for alert in report.alerts:
            log.log(
                logging.WARNING if alert.firing else logging.INFO,
                "alert firing" if alert.firing else "alert cleared",
                extra={"rule": alert.rule, "subject": alert.subject, "value": alert.value},
            )
        for incident_id in report.opened:
            self._incident("incident opened", logging.WARNING, incident_id)
        for incident_id in report.closed:
            self._incident("incident closed", logging.INFO, incident_id)

    def _device_change(self, name: str, old: str | None, new: str, state: DeviceState | None) -> None:
        context = {**self.device(name), "old": old, "new": new}
        if new == "unreachable":
            log.warning("device unreachable", extra={**context, "error": state.error if state else None})
        elif old == "unreachable":
            log.info("device answers again", extra=context)
        elif old != new:
            log.info("device state changed", extra=context)

    def _incident(self, message: str, level: int, incident_id: int) -> None:
        context: dict[str, Any] = {"incident": incident_id}
        if incident_id > 0:  # a negative id is one queued while the store refuses writes
            try:
                rows = self.store.incidents(incident_id=incident_id, limit=1)
            except StoreError:  # the store's own trouble is logged where it happens
                rows = []
            if rows:
                row = rows[0]
                context |= {"kind": row.kind, "root_cause": row.root_cause}
                if row.root_cause in self.network.devices:
                    context["district"] = self.network.district_of(row.root_cause)
        log.log(level, message, extra=context)
