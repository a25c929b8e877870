"""Fake SNMP agents for every device of an inventory (logic tests; the lab tests the wire).

They answer like real ones would — IF-MIB rows named after the inventory's interfaces, oper
status down on a port whose peer died — so the engine, the store and the API can be tested on
the 360-device sample province without a network. A device can also answer *partially*, as real
agents do (an unsorted table ends a column early; the scrape carries a module warning). Agents
on the wire, misbehaving in every way #12 lists, are :mod:`govnet.snmp.testing`.
"""

from __future__ import annotations

from collections.abc import Sequence

from govnet.inventory.network import Network
from govnet.monitor.config import Module
from govnet.monitor.scraper import Scrape
from govnet.snmp import entity, mibs
from govnet.snmp.ber import VarBind
from govnet.snmp.client import Target

INTEGER, OCTETS, OBJECT_ID, COUNTER64, TICKS = 0x02, 0x04, 0x06, 0x46, 0x43


class Agents:
    """Fake agents for every device of the inventory; devices can die and ports go down."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.by_ip = {str(d.mgmt_ip): name for name, d in network.devices.items()}
        self.dead: set[str] = set()
        #: Devices whose ifOperStatus walk stops after the first row (as after an unsorted answer).
        self.partial: set[str] = set()
        self.ports_down: set[tuple[str, str]] = set()
        self.calls: list[str] = []
        #: Receive power (dBm) of the ports that have a transceiver with DOM; warning at -18 dBm.
        self.rx: dict[tuple[str, str], float] = {}
        self.ports = {
            name: sorted(
                {lk.a_interface for lk in network.links if lk.a_device == name}
                | {lk.b_interface for lk in network.links if lk.b_device == name}
            )
            for name in network.devices
        }

    def kill(self, device: str) -> list[tuple[str, str]]:
        """The device dies; its neighbours' ports toward it go down. Returns those ports."""
        self.dead.add(device)
        touched = []
        for lk in self.network.links_by_device[device]:
            for dev, ifname in ((lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface)):
                self.ports_down.add((dev, ifname))
                if dev != device:
                    touched.append((dev, ifname))
        return touched

    def revive(self, device: str) -> None:
        self.dead.discard(device)
        for lk in self.network.links_by_device[device]:
            self.ports_down -= {(lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface)}

    def if_index(self, device: str, ifname: str) -> int:
        return self.ports[device].index(ifname) + 2  # 1 is lo

    async def scrape(
        self, target: Target, modules: Sequence[Module] = (), deadline: float | None = None
    ) -> Scrape:
        device = self.by_ip[target.host]
        self.calls.append(device)
        if device in self.dead:
            return Scrape(target.host, error="no answer within the deadline")
        result = Scrape(target.host)
        result.scalars[mibs.SYS_UPTIME] = VarBind(mibs.SYS_UPTIME, TICKS, 12345)
        rows: dict[str, list[VarBind]] = {}
        for ifname in self.ports[device]:
            index = self.if_index(device, ifname)
            oper = 2 if (device, ifname) in self.ports_down else 1
            for column, tag, value in (
                ("ifName", OCTETS, ifname.encode()),
                ("ifOperStatus", INTEGER, oper),
                ("ifAdminStatus", INTEGER, 1),
                ("ifHCInOctets", COUNTER64, 1000),
                ("ifHCOutOctets", COUNTER64, 1000),
                ("ifHighSpeed", INTEGER, 1000),
            ):
                oid = {**mibs.IF_COLUMNS, **mibs.IFX_COLUMNS}[column]
                rows.setdefault(oid, []).append(VarBind(f"{oid}.{index}", tag, value))
        for (dev, ifname), dbm in self.rx.items():
            if dev == device:
                self._optic_rows(rows, self.if_index(device, ifname), f"{ifname} Rx Power", dbm)
        if device in self.partial:
            status = mibs.IF_COLUMNS["ifOperStatus"]
            rows[status] = rows.get(status, [])[:1]
            result.warn(
                "interfaces", f"{status}: OID not increasing (fake): the walk of this column stopped there"
            )
        result.columns = rows
        result.varbinds = 1 + sum(len(column) for column in rows.values())
        return result

    @staticmethod
    def _optic_rows(rows: dict[str, list[VarBind]], index: int, name: str, dbm: float) -> None:
        """A port entity mapped onto ``index`` holding one Rx sensor (tenths of dBm, thresholds)."""
        port, sensor = 1000 + index, 2000 + index
        for column, suffix, tag, value in (
            (entity.ENT_PHYSICAL_NAME, port, OCTETS, b"port"),
            (entity.ENT_PHYSICAL_NAME, sensor, OCTETS, name.encode()),
            (entity.ENT_PHYSICAL_CONTAINED_IN, sensor, INTEGER, port),
            (entity.ENT_ALIAS_MAPPING_IDENTIFIER, f"{port}.0", OBJECT_ID, f"{entity.IF_INDEX_OID}{index}"),
            (entity.SENSOR_TYPE, sensor, INTEGER, entity.DBM),
            (entity.SENSOR_SCALE, sensor, INTEGER, 9),
            (entity.SENSOR_PRECISION, sensor, INTEGER, 1),
            (entity.SENSOR_VALUE, sensor, INTEGER, round(dbm * 10)),
            (entity.SENSOR_OPER_STATUS, sensor, INTEGER, 1),
            (entity.THRESHOLD_SEVERITY, f"{sensor}.1", INTEGER, 10),
            (entity.THRESHOLD_RELATION, f"{sensor}.1", INTEGER, 1),
            (entity.THRESHOLD_VALUE, f"{sensor}.1", INTEGER, -180),
        ):
            rows.setdefault(column, []).append(VarBind(f"{column}.{suffix}", tag, value))
