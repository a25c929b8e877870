"""Build the agencies / CPE / link part of an inventory from a spreadsheet export.

Provinces keep their agency lists in spreadsheets. The CSV (UTF-8, comma-separated, first row
the header) has these columns:

=============  ========  =====================================================================
column         required  meaning
=============  ========  =====================================================================
name           yes       the agency's name, with diacritics (``UBND xã Đức Hạnh``)
type           yes       an agency type (``commune_committee``, ``hospital``, ``school`` ...)
district       yes       district id from ``province.districts`` (``bu-gia-map``)
commune        no        commune or ward name
lat, lon       yes       WGS84 decimal degrees of the agency's building
uplink_hub     yes       the hub device the new CPE hangs off (``hub-bgm``)
service_level  no        ``gold``, ``silver`` (default) or ``bronze``
id             no        agency id; default: a slug of the hub's district code and the name
=============  ========  =====================================================================

For each row govnet adds a site, a CPE (platform ``frr``, the credentials most CPEs already
use), the agency with a free LAN, and an uplink on the hub's first free interface with a free
/31. Nothing is written unless the whole inventory, with the new file, passes validation.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections import Counter
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

from govnet.errors import InventoryError
from govnet.inventory.loader import load_inventory
from govnet.inventory.models import AgencyType, Role, ServiceLevel, SubnetPurpose
from govnet.inventory.network import Network
from govnet.inventory.problems import Problem
from govnet.inventory.samplebuilder import slug
from govnet.inventory.text import HOSTNAME_MAX, NAME_MAX, shown, text_problem
from govnet.inventory.yamlfile import UnreadableFileError, YamlSyntaxError, dump_yaml, read_text

REQUIRED = ("name", "type", "district", "lat", "lon", "uplink_hub")
OPTIONAL = ("commune", "service_level", "id")
#: Longest text per column: the limit of the inventory field the column becomes (every other
#: column is a short keyword or number, held to the name limit).
COLUMN_LIMITS = {"name": NAME_MAX, "commune": NAME_MAX, "uplink_hub": HOSTNAME_MAX, "id": 56}


class _Free:
    """Finds unused addresses, /31s and LANs in the address plan."""

    def __init__(self, network: Network) -> None:
        self.network = network
        used = {d.mgmt_ip for d in network.devices.values()}
        prov = network.province
        used |= {r.host for r in prov.trap_receivers} | set(prov.ntp_servers) | set(prov.syslog_servers)
        self.used_ips: set[IPv4Address] = used
        self.used_nets: list[IPv4Network] = [a.lan_prefix for a in network.agencies.values() if a.lan_prefix]
        self.used_nets += [link.a_ip.network for link in network.links if link.a_ip is not None]
        self.used_ports = {f"{link.a_device}:{link.a_interface}" for link in network.links}
        self.used_ports |= {f"{link.b_device}:{link.b_interface}" for link in network.links}

    def _plan(self, purpose: SubnetPurpose) -> list[IPv4Network]:
        return [s.prefix for s in self.network.subnets.values() if s.purpose == purpose]

    def mgmt_ip(self) -> IPv4Address | None:
        for prefix in self._plan(SubnetPurpose.MANAGEMENT):
            for host in list(prefix.hosts())[9:]:  # the first addresses are kept for servers
                if host not in self.used_ips:
                    self.used_ips.add(host)
                    return host
        return None

    def subnet(self, purpose: SubnetPurpose, length: int) -> IPv4Network | None:
        for prefix in self._plan(purpose):
            for candidate in prefix.subnets(new_prefix=length):
                if not any(candidate.overlaps(u) for u in self.used_nets):
                    self.used_nets.append(candidate)
                    return candidate
        return None

    def port(self, device: str) -> str | None:
        for name in self.network.devices[device].interfaces:
            key = f"{device}:{name}"
            if key not in self.used_ports:
                self.used_ports.add(key)
                return name
        return None


def _read_rows(csv_path: Path, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    rel = csv_path.name
    try:
        text = read_text(csv_path).removeprefix("\ufeff")  # never blocks on a FIFO; BOM of Excel
    except UnreadableFileError as exc:
        problems.append(Problem(rel, None, None, None, exc.message, exc.hint))
        return []
    except YamlSyntaxError:
        problems.append(
            Problem(rel, None, None, None, "the file is not UTF-8", "save the spreadsheet as CSV UTF-8")
        )
        return []
    try:
        with io.StringIO(text, newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED if c not in header]
            unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
            if missing:
                problems.append(
                    Problem(
                        rel,
                        1,
                        "header",
                        ", ".join(missing),
                        "missing column(s)",
                        f"the header needs {', '.join(REQUIRED)}",
                    )
                )
            for col in unknown:
                problems.append(
                    Problem(
                        rel,
                        1,
                        "header",
                        col,
                        f"unknown column '{shown(col)}'",
                        f"columns are {', '.join(REQUIRED + OPTIONAL)}",
                    )
                )
            if missing or unknown:
                return []
            rows = []
            last = reader.line_num
            for row in reader:
                # A quoted cell may span lines: name the line where the row starts.
                start, last = last + 1, reader.line_num
                clean = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
                if any(clean.values()):
                    rows.append((start, clean))
            return rows
    except csv.Error as exc:
        problems.append(
            Problem(rel, None, None, None, f"CSV error: {exc}", "save the spreadsheet as CSV UTF-8")
        )
    return []


def build_import(network: Network, csv_path: Path) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    """The sections the CSV adds, or the problems that stop it (naming CSV row and column)."""
    problems: list[Problem] = []
    rows = _read_rows(csv_path, problems)
    free = _Free(network)
    out: dict[str, list[dict[str, Any]]] = {"sites": [], "devices": [], "agencies": [], "links": []}
    taken_ids = set(network.agencies) | set(network.sites) | set(network.devices)
    cpes = [d for d in network.devices.values() if d.role == Role.CPE]
    ssh = Counter(d.ssh_credential for d in cpes).most_common(1)
    snmp = Counter(d.snmp_profile for d in cpes).most_common(1)
    ssh_cred = ssh[0][0] if ssh else next(iter(network.credentials))
    snmp_profile = snmp[0][0] if snmp else next(iter(network.snmp_profiles))
    districts = {d.id for d in network.province.districts}
    rel = csv_path.name

    for line, row in rows:
        label = f"row {line} '{shown(row.get('name', ''), 80)}'"

        def bad(
            column: str, message: str, hint: str | None = None, _line: int = line, _label: str = label
        ) -> None:
            problems.append(Problem(rel, _line, _label, column, message, hint))

        unsafe = False
        for column, value in row.items():
            problem = text_problem(value, COLUMN_LIMITS.get(column, NAME_MAX))
            if problem is not None:
                bad(column, f"the cell {problem}", "correct the cell in the spreadsheet and export it again")
                unsafe = True
        if unsafe:
            continue

        for column in REQUIRED:
            if not row.get(column):
                bad(column, "empty cell", f"fill in '{column}'")
        if any(not row.get(c) for c in REQUIRED):
            continue
        if row["type"] not in {t.value for t in AgencyType}:
            bad(
                "type",
                f"unknown agency type '{shown(row['type'])}'",
                f"use one of {', '.join(t.value for t in AgencyType)}",
            )
        level = row.get("service_level") or "silver"
        if level not in {s.value for s in ServiceLevel}:
            bad("service_level", f"unknown service level '{shown(level)}'", "use gold, silver or bronze")
        if row["district"] not in districts:
            bad(
                "district",
                f"unknown district '{shown(row['district'])}'",
                f"use one of {', '.join(sorted(districts))}",
            )
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            bad(
                "lat",
                f"coordinates '{shown(row['lat'])}, {shown(row['lon'])}' are not numbers",
                "use decimal degrees, e.g. 11.93",
            )
            continue
        hub = row["uplink_hub"]
        hub_dev = network.devices.get(hub)
        if hub_dev is None or hub_dev.role not in {Role.HUB, Role.CORE}:
            bad(
                "uplink_hub",
                f"'{shown(hub)}' is not a hub or core device of the inventory",
                "name an existing hub",
            )
            continue
        agency_id = row.get("id") or slug(f"{hub.removeprefix('hub-')} {row['name']}")[:56]
        if agency_id in taken_ids:
            bad("id", f"agency id '{shown(agency_id)}' is already taken", "give the row its own 'id'")
            continue
        taken_ids.add(agency_id)
        mgmt = free.mgmt_ip()
        p2p = free.subnet(SubnetPurpose.P2P, 31)
        lan = free.subnet(SubnetPurpose.LAN, 28)
        port = free.port(hub)
        if mgmt is None or p2p is None or lan is None:
            bad("name", "the address plan is full", "add a management, p2p or lan subnet to the address plan")
            continue
        if port is None:
            bad(
                "uplink_hub",
                f"hub '{hub}' has no free interface",
                "add interfaces to the hub or pick another",
            )
            continue
        site_id, cpe = f"site-{agency_id}", f"cpe-{agency_id}"
        site: dict[str, Any] = {
            "id": site_id,
            "name": row["name"],
            "kind": "agency",
            "district": row["district"],
        }
        if row.get("commune"):
            site["commune"] = row["commune"]
        site.update({"lat": lat, "lon": lon})
        out["sites"].append(site)
        out["devices"].append(
            {
                "name": cpe,
                "role": "cpe",
                "platform": "frr",
                "site": site_id,
                "mgmt_ip": str(mgmt),
                "snmp_profile": snmp_profile,
                "ssh_credential": ssh_cred,
                "interfaces": ["eth1"],
            }
        )
        out["agencies"].append(
            {
                "id": agency_id,
                "name": row["name"],
                "type": row["type"],
                "site": site_id,
                "cpe": cpe,
                "service_level": level,
                "lan_prefix": str(lan),
            }
        )
        lo, hi = list(p2p)
        out["links"].append(
            {
                "a": f"{hub}:{port}",
                "b": f"{cpe}:eth1",
                "a_ip": f"{lo}/31",
                "b_ip": f"{hi}/31",
                "capacity_mbps": 100,
                "medium": "fiber",
                "protocol": "static",
            }
        )
    if not rows and not problems:
        problems.append(Problem(rel, None, None, None, "the CSV holds no row", "add one agency per row"))
    return out, problems


def import_csv(csv_path: Path, into: Path, secrets_path: Path | None = None) -> Path:
    """Add the CSV's agencies to the inventory at ``into``; return the file written.

    The result is validated together with the existing inventory in a scratch copy first;
    on any problem nothing is written and :class:`InventoryError` lists them all.
    """
    network = load_inventory(into, secrets_path)
    sections, problems = build_import(network, csv_path)
    target = into / f"import-{slug(csv_path.stem) or 'agencies'}.yaml"
    if target.exists():
        problems.append(
            Problem(
                str(target.name),
                None,
                None,
                None,
                "the import file already exists",
                "remove it or rename the CSV",
            )
        )
    if problems:
        raise InventoryError(problems, summary=f"{csv_path} cannot be imported: {len(problems)} problem(s)")
    text = f"# Imported from {csv_path.name} by `govnet inventory import-csv`.\n" + dump_yaml(sections)
    with tempfile.TemporaryDirectory(prefix="govnet-import-") as scratch:
        copy = Path(scratch) / "inventory"
        shutil.copytree(into, copy)
        (copy / target.name).write_text(text, encoding="utf-8")
        load_inventory(copy, secrets_path)  # raises with every problem; nothing written to `into`
    target.write_text(text, encoding="utf-8")
    return target
