"""Generate the sample province, modelled on the Bình Phước deployment.

The committed YAML under ``inventory/sample/`` is this generator's output; a test checks the
two agree byte for byte, so edit the facts (``samplefacts.yaml``, read by
:mod:`govnet.inventory.samplefacts`) or the generator and run
``python -m govnet.inventory.samplegen inventory/sample``. The generator builds the inventory's
own model objects (:mod:`govnet.inventory.models`, validated as they are made) and writes what
was given to each. Output is deterministic (a fixed seed for the coordinate jitter). Every
address comes from 198.18.0.0/15, the range reserved for benchmarking network devices, so
nothing in the sample can ever aim at a real network.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from govnet.inventory.models import (
    District,
    Province,
    SecretRef,
    SNMPProfile,
    SNMPv2cCredential,
    SNMPv3Credential,
    SSHCredential,
    Subnet,
    SubnetPurpose,
    TrapReceiver,
)
from govnet.inventory.samplebuilder import (
    LANS,
    LOOPBACKS,
    MGMT,
    NTP_SERVER,
    P2P,
    SYSLOG_SERVER,
    TRAP_RECEIVER,
    Builder,
    plain,
    slug,
)
from govnet.inventory.samplefacts import DistrictFacts, SampleFacts, load_facts
from govnet.inventory.yamlfile import dump_yaml


def _province(facts: SampleFacts) -> dict[str, Any]:
    """``province.yaml``: the province, its address plan, credentials by name, SNMP profiles."""
    p = facts.province
    return {
        "province": Province(
            name=p.name,
            code=p.code,
            bbox=p.bbox,
            districts=[District(id=d.id, name=d.name, kind=d.kind) for d in facts.districts],
            trap_receivers=[TrapReceiver(host=TRAP_RECEIVER, port=162)],
            ntp_servers=[NTP_SERVER],
            syslog_servers=[SYSLOG_SERVER],
        ),
        "subnets": [
            Subnet(name="management", prefix=MGMT, purpose=SubnetPurpose("management")),
            Subnet(name="loopbacks", prefix=LOOPBACKS, purpose=SubnetPurpose("loopback")),
            Subnet(name="links", prefix=P2P, purpose=SubnetPurpose("p2p")),
            Subnet(name="agency-lans", prefix=LANS, purpose=SubnetPurpose("lan")),
        ],
        "credentials": [
            SSHCredential(
                name="ssh-netops",
                kind="ssh",
                username="netops",
                password=SecretRef(secret="ssh-netops-password", generate=True),
            ),
            SNMPv3Credential(
                name="snmp-v3-noc",
                kind="snmp_v3",
                username="govnet-noc",
                auth_protocol="sha",
                auth_key=SecretRef(secret="snmp-v3-auth", generate=True),
                priv_protocol="aes",
                priv_key=SecretRef(secret="snmp-v3-priv", generate=True),
            ),
            SNMPv2cCredential(
                name="snmp-v2c-wifi",
                kind="snmp_v2c",
                community=SecretRef(secret="snmp-v2c-wifi", generate=True),
            ),
        ],
        "snmp_profiles": [
            SNMPProfile(name="v3-default", version="3", credential="snmp-v3-noc"),
            SNMPProfile(name="v2c-legacy", version="2c", credential="snmp-v2c-wifi"),
        ],
    }


def build_models(facts: SampleFacts | None = None) -> dict[str, dict[str, Any]]:
    """Every file of the sample as model objects (a model or a list of them per section)."""
    facts = facts or load_facts()
    b = Builder()
    dc = facts.province.datacenter
    ducts = facts.ducts
    core = "core.yaml"
    b.site(core, dc.id, dc.name, "datacenter", dc.district, dc.commune, dc.lat, dc.lon)
    for n in (1, 2):
        b.device(core, f"core-0{n}", "core", "frr", dc.id, 24, asn=65000)
    for i, d in enumerate(facts.districts):
        lat, lon = (d.lat + 0.004, d.lon - 0.004) if d.code == "dx" else (d.lat, d.lon)
        b.site(core, f"hub-{d.id}", f"Điểm nút {d.name}", "hub", d.id, d.communes[0], lat, lon)
        b.device(core, f"hub-{d.code}", "hub", "frr", f"hub-{d.id}", 96, asn=65001 + i)
    b.device(core, "wlc-01", "wifi_controller", "frr", dc.id, 2)

    internal = ducts["dc_internal"]
    b.link(
        core, "core-01", "core-02", 10000, "fiber", [b.duct(internal.id, internal.name, internal.length_km)]
    )
    chain = ["core-01", *facts.ring, "core-02"]
    exit_ = ducts["ring_shared_exit"]
    shared_ct = b.duct(exit_.id, exit_.name, exit_.length_km)
    for a, b_ in itertools.pairwise(chain):
        key = (a, b_)
        # The two "redundant" ring uplinks of Chơn Thành leave town in one duct: a hidden SPOF.
        road = facts.road(a, b_)
        ducts_here = [b.duct(f"ring-{slug(a)}-{slug(b_)}", road, round(b.rng.uniform(12, 45), 1))]
        if "ct" in key:
            ducts_here.append(shared_ct)
        name_a = a if a.startswith("core") else f"hub-{a}"
        name_b = b_ if b_.startswith("core") else f"hub-{b_}"
        b.rng.random()  # keep the random stream (and so every coordinate) stable
        b.link(core, name_a, name_b, 1000, "fiber", ducts_here)
    # Bù Gia Mập hangs off Phước Long: two parallel fibers, both in the same road duct.
    spur_duct = ducts["spur"]
    spur = b.duct(spur_duct.id, spur_duct.name, spur_duct.length_km)
    for _ in range(2):
        b.link(core, f"hub-{facts.spur[0]}", f"hub-{facts.spur[1]}", 1000, "fiber", [spur])
    for n in (1, 2):
        b.link(core, f"core-0{n}", "wlc-01", 1000, "copper", [])

    # Provincial departments sit in the capital (in the data centre's ward unless the facts name
    # another); the gold ones are dual-homed (its hub and core-02).
    capital = facts.district(facts.ring[0])
    capital_hub = f"hub-{capital.code}"
    north, south, shared = (
        b.duct(ducts[k].id, ducts[k].name, ducts[k].length_km)
        for k in ("city_north", "city_south", "hospital_shared")
    )
    prov_file = "districts/provincial.yaml"
    for agency in facts.provincial_agencies:
        lat, lon = b.jitter(dc.lat, dc.lon, 0.02)
        dual: list[tuple[str, list[str]]] | None = None
        if agency.level == "gold":
            if agency.type == "hospital":
                # "Redundant" uplinks of the provincial hospital share one duct.
                dual = [(capital_hub, [shared]), ("core-02", [shared])]
            else:
                dual = [(capital_hub, [north]), ("core-02", [south])]
        kind = (agency.name, agency.type, agency.level)
        ward = agency.commune or dc.commune  # every agency names its commune or ward
        b.agency(prov_file, *kind, capital, ward, "agency", lat, lon, capital_hub, north, dual)

    for d in facts.districts:
        _district(b, facts, d)

    for n, bts in enumerate(facts.bts, start=1):
        d = facts.district(bts.district)
        file = f"districts/{d.id}.yaml"
        site_id = f"bts-{d.code}-{n:02d}"
        lat, lon = b.jitter(d.lat, d.lon, 0.06)
        b.site(file, site_id, bts.name, "bts", d.id, None, lat, lon)
        b.device(file, f"bts-rtr-{d.code}-{n:02d}", "bts_router", "huawei_vrp", site_id, 2)
        backhaul = (
            []
            if bts.medium == "microwave"
            else [b.duct(f"bts-{d.code}-{n:02d}-backhaul", f"Cáp quang {bts.name}")]
        )
        b.link(
            file,
            f"hub-{d.code}",
            f"bts-rtr-{d.code}-{n:02d}",
            1000,
            bts.medium,
            backhaul,
            traffic=round(b.rng.uniform(40, 120), 1),
        )

    for n, wifi in enumerate(facts.wifi, start=1):
        d = facts.district(wifi.district)
        file = f"districts/{d.id}.yaml"
        site_id = f"wifi-{d.code}-{n:02d}"
        lat, lon = b.jitter(d.lat, d.lon, 0.03)
        b.site(file, site_id, wifi.name, "wifi", d.id, None, lat, lon)
        b.device(
            file,
            f"ap-{d.code}-{n:02d}",
            "wifi_ap",
            "mikrotik_routeros",
            site_id,
            1,
            snmp="v2c-legacy",
            loopback=False,
        )
        b.link(
            file,
            f"hub-{d.code}",
            f"ap-{d.code}-{n:02d}",
            100,
            "copper" if n % 3 == 0 else "fiber",
            [],
            protocol="static",
            traffic=round(b.rng.uniform(2, 15), 1),
        )

    files: dict[str, dict[str, Any]] = {"province.yaml": _province(facts), "ducts.yaml": {"ducts": b.ducts}}
    files.update(b.files)
    return files


def _district(b: Builder, facts: SampleFacts, d: DistrictFacts) -> None:
    """A district's file: its committee (dual-homed), offices, and per commune two agencies."""
    file = f"districts/{d.id}.yaml"
    hub = f"hub-{d.code}"
    centre = b.duct(f"{d.code}-centre", f"Tuyến cáp trung tâm {d.name}", round(b.rng.uniform(2, 6), 1))
    centre_b = b.duct(
        f"{d.code}-centre-b",
        f"Tuyến cáp trung tâm {d.name} – hướng thứ hai",
        round(b.rng.uniform(2, 6), 1),
    )
    unit = d.unit
    lat, lon = b.jitter(d.lat, d.lon, 0.01)
    b.agency(
        file,
        f"UBND {unit} {d.name}",
        "district_committee",
        "gold",
        d,
        d.communes[0],
        "agency",
        lat,
        lon,
        hub,
        centre,
        dual=[(hub, [centre]), (hub, [centre_b])],
        short="UBND",
    )
    others: list[tuple[str, str, str, str]] = [(d.party, "party_committee", "silver", "")]
    others += [(o.name, o.type, o.level, f" {unit}") for o in facts.district_offices]
    others += [
        ("Trung tâm Y tế", "hospital", "gold", f" {unit}"),
        ("Công an", "police", "silver", f" {unit}"),
    ]
    for short, type_, level, unit_word in others:
        lat, lon = b.jitter(d.lat, d.lon, 0.015)
        b.agency(
            file,
            f"{short}{unit_word} {d.name}",
            type_,
            level,
            d,
            d.communes[0],
            "agency",
            lat,
            lon,
            hub,
            centre,
            short=short,
        )
    word = d.commune_word
    for commune in d.communes:
        feeder = b.duct(
            f"{d.code}-feeder-{slug(commune)}",
            f"Tuyến cáp {word} {commune} ({d.name})",
            round(b.rng.uniform(3, 18), 1),
        )
        lat, lon = b.jitter(d.lat, d.lon, 0.09)
        for name, type_, level in (
            (f"UBND {word} {commune}", "commune_committee", "silver"),
            (f"Trạm Y tế {word} {commune}", "health_station", "bronze"),
        ):
            plat, plon = b.jitter(lat, lon, 0.004)
            b.agency(file, name, type_, level, d, commune, "commune_office", plat, plon, hub, feeder)


def build(facts: SampleFacts | None = None) -> dict[str, dict[str, Any]]:
    """Build every file of the sample as plain data, keyed by relative path."""
    out: dict[str, dict[str, Any]] = {}
    for rel, sections in build_models(facts).items():
        out[rel] = {
            name: [plain(m) for m in value] if isinstance(value, list) else plain(value)
            for name, value in sections.items()
        }
    return out


HEADERS = {
    "province.yaml": "The province, its address plan (all in 198.18.0.0/15, RFC 2544), credentials "
    "by name and SNMP profiles.\n# Secret values are never here: see the README "
    "(secrets file, GOVNET_SECRET_* variables).",
    "ducts.yaml": "Fiber ducts and trenches: links in one duct share one risk.",
    "core.yaml": "The data centre, its two core routers, the district hubs and the MAN ring.",
}


def write(outdir: Path) -> list[Path]:
    """Write the sample under ``outdir`` (created if needed); return the files written."""
    written: list[Path] = []
    for rel, data in build().items():
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        header = HEADERS.get(rel, f"Sites, devices, agencies and links of {rel.rsplit('/', 1)[-1][:-5]}.")
        text = f"# {header}\n# Generated by `python -m govnet.inventory.samplegen`; keep the two in step.\n"
        path.write_text(text + dump_yaml(data), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m govnet.inventory.samplegen OUTDIR``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m govnet.inventory.samplegen OUTDIR", file=sys.stderr)
        return 2
    for path in write(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
