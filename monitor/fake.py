"""The test double of the scraper interface (:class:`govnet.monitor.scraper.Scraper`), shipped
in the package as httpx ships ``MockTransport``: the monitor, the store, the API and the
benchmarks run on it without a network.

One class, :class:`FakeScraper`, in two uses that can be combined:

* **agents for an inventory** (``FakeScraper(network)``): every device answers as a real agent
  would, IF-MIB rows named after the inventory's interfaces, ifOperStatus down on a port whose
  peer died (:meth:`~FakeScraper.kill`), receive power of optics with DOM
  (:attr:`~FakeScraper.rx`), traffic counters (:attr:`~FakeScraper.octets`), WiFi clients
  (:attr:`~FakeScraper.wifi_clients`), and a *partial* answer where asked (an unsorted table ends a column
  early; the scrape carries a module warning);
* **replay** (``FakeScraper(recorded={host: Scrape})``): the recorded scrape of a host, as it
  was; a recorded host overrides the inventory's agent.

A host that is neither recorded nor a device of the inventory never answers (an unreachable
:class:`Scrape`), as a dead agent does. Agents on the wire, misbehaving in every way a real one
can, are :mod:`govnet.snmp.testing`; the lab runs real ones.

>>> import asyncio
>>> from govnet.snmp.client import Target
>>> from pydantic import SecretStr
>>> fake = FakeScraper(recorded={"198.18.0.10": Scrape("198.18.0.10", varbinds=1)})
>>> def target(host: str) -> Target:
...     return Target(host, community=SecretStr("public"))
>>> asyncio.run(fake.scrape(target("198.18.0.10"))).reachable
True
>>> asyncio.run(fake.scrape(target("198.18.0.11"))).error
'198.18.0.11: no answer (fake)'
>>> fake.calls
['198.18.0.10', '198.18.0.11']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from govnet.inventory.network import Network
from govnet.monitor.config import DEFAULT_MODULES, Module
from govnet.monitor.scraper import Scrape
from govnet.snmp import entity, mibs, wireless
from govnet.snmp.ber import VarBind
from govnet.snmp.client import Target

INTEGER, OCTETS, OBJECT_ID, GAUGE, COUNTER64, TICKS = 0x02, 0x04, 0x06, 0x42, 0x46, 0x43


class FakeScraper:
    """Fake agents for an inventory's devices, and recorded scrapes replayed by host.

    Devices can die (:meth:`kill`, :meth:`revive`), ports go down (:attr:`ports_down`), optics
    lose light (:attr:`rx`) and answers come back partial (:attr:`partial`); :attr:`calls` lists
    the hosts scraped, in order.
    """

    def __init__(
        self, network: Network | None = None, *, recorded: Mapping[str, Scrape] | None = None
    ) -> None:
        self.network = network
        self.recorded = dict(recorded or {})
        self.by_ip = {str(d.mgmt_ip): name for name, d in network.devices.items()} if network else {}
        #: Devices that do not answer.
        self.dead: set[str] = set()
        #: Devices whose ifOperStatus walk stops after the first row (as after an unsorted answer).
        self.partial: set[str] = set()
        #: (device, interface) ports whose ifOperStatus is down.
        self.ports_down: set[tuple[str, str]] = set()
        #: The hosts scraped, in order.
        self.calls: list[str] = []
        #: Receive power (dBm) of the ports that have a transceiver with DOM; warning at -18 dBm.
        self.rx: dict[tuple[str, str], float] = {}
        #: (in, out) octet counters of ports that carry traffic (1000 each on the others, constant).
        self.octets: dict[tuple[str, str], tuple[int, int]] = {}
        #: Associated WiFi clients per device (MIKROTIK-MIB's client count of one radio).
        self.wifi_clients: dict[str, int] = {}
        links = network.links if network else []
        self.ports = {
            name: sorted(
                {lk.a_interface for lk in links if lk.a_device == name}
                | {lk.b_interface for lk in links if lk.b_device == name}
            )
            for name in (network.devices if network else {})
        }

    def scraped_devices(self) -> list[str]:
        """The devices scraped, in order (hosts of no device left out)."""
        return [self.by_ip[host] for host in self.calls if host in self.by_ip]

    def _inventory(self) -> Network:
        if self.network is None:
            raise ValueError("this fake has no inventory: make it with FakeScraper(network) to kill devices")
        return self.network

    def kill(self, device: str) -> list[tuple[str, str]]:
        """The device dies; its neighbours' ports toward it go down. Returns those ports."""
        network = self._inventory()
        self.dead.add(device)
        touched = []
        for lk in network.links_by_device[device]:
            for dev, ifname in ((lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface)):
                self.ports_down.add((dev, ifname))
                if dev != device:
                    touched.append((dev, ifname))
        return touched

    def revive(self, device: str) -> None:
        """The device answers again; its links come back up."""
        network = self._inventory()
        self.dead.discard(device)
        for lk in network.links_by_device[device]:
            self.ports_down -= {(lk.a_device, lk.a_interface), (lk.b_device, lk.b_interface)}

    def if_index(self, device: str, ifname: str) -> int:
        """The ifIndex the fake agent gives a port (1 is lo)."""
        return self.ports[device].index(ifname) + 2

    async def scrape(
        self, target: Target, modules: Sequence[Module] = DEFAULT_MODULES, deadline: float | None = None
    ) -> Scrape:
        """The recorded scrape of ``target.host``, else its device's answer, else no answer."""
        self.calls.append(target.host)
        found = self.recorded.get(target.host)
        if found is not None:
            return found
        device = self.by_ip.get(target.host)
        if device is None:
            return Scrape(target.host, error=f"{target.host}: no answer (fake)")
        if device in self.dead:
            return Scrape(target.host, error="no answer within the deadline")
        return self._answer(target.host, device)

    def _answer(self, host: str, device: str) -> Scrape:
        result = Scrape(host)
        result.scalars[mibs.SYS_UPTIME] = VarBind(mibs.SYS_UPTIME, TICKS, 12345)
        rows: dict[str, list[VarBind]] = {}
        for ifname in self.ports[device]:
            index = self.if_index(device, ifname)
            oper = 2 if (device, ifname) in self.ports_down else 1
            in_octets, out_octets = self.octets.get((device, ifname), (1000, 1000))
            for column, tag, value in (
                ("ifName", OCTETS, ifname.encode()),
                ("ifOperStatus", INTEGER, oper),
                ("ifAdminStatus", INTEGER, 1),
                ("ifHCInOctets", COUNTER64, in_octets),
                ("ifHCOutOctets", COUNTER64, out_octets),
                ("ifHighSpeed", INTEGER, 1000),
            ):
                oid = {**mibs.IF_COLUMNS, **mibs.IFX_COLUMNS}[column]
                rows.setdefault(oid, []).append(VarBind(f"{oid}.{index}", tag, value))
        for (dev, ifname), dbm in self.rx.items():
            if dev == device:
                _optic_rows(rows, self.if_index(device, ifname), f"{ifname} Rx Power", dbm)
        if device in self.wifi_clients:
            column = wireless.MIKROTIK_WL_AP_CLIENT_COUNT
            rows[column] = [VarBind(f"{column}.1", GAUGE, self.wifi_clients[device])]
        if device in self.partial:
            status = mibs.IF_COLUMNS["ifOperStatus"]
            rows[status] = rows.get(status, [])[:1]
            result.warn(
                "interfaces", f"{status}: OID not increasing (fake): the walk of this column stopped there"
            )
        result.columns = rows
        result.varbinds = 1 + sum(len(column) for column in rows.values())
        return result


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
