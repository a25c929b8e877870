"""The sample province's facts (``samplefacts.yaml``): districts and communes, the MAN ring and the
roads its fibers follow, the named ducts, the agencies, BTS and WiFi sites.

The file is read like any inventory file (:func:`govnet.inventory.yamlfile.load_yaml`: UTF-8,
size-capped, no YAML tags or aliases to code) and checked against the models below: names are
free text under the inventory's rules, ids are slugs, and every reference (a ring stop, a road's
ends, a BTS or WiFi site's district) names a district of the file. A bad file is refused with
its path and the field at fault.

>>> facts = load_facts()
>>> facts.province.code, len(facts.districts), facts.ring[0]
('BP', 11, 'dx')
>>> facts.district("dx").party, facts.district("dx").communes[0]
('Thành ủy', 'Tân Phú')
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, StringConstraints, ValidationError, model_validator

from govnet.errors import GovnetError
from govnet.inventory.models import AgencyType, BoundingBox, Medium, Name, ServiceLevel, Slug, Strict
from govnet.inventory.yamlfile import load_yaml

#: The facts of the sample province, beside this module (package data).
FACTS = Path(__file__).with_name("samplefacts.yaml")

Code = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,4}$")]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]


class Datacenter(Strict):
    """The provincial data centre: where the cores stand."""

    id: Slug
    name: Name
    district: Slug
    commune: Name
    lat: Lat
    lon: Lon


class ProvinceFacts(Strict):
    """The province's name, code, bounding box and data centre."""

    name: Name
    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
    bbox: BoundingBox
    datacenter: Datacenter


class DistrictFacts(Strict):
    """One district-level unit and its communes (or wards)."""

    id: Slug
    code: Code
    name: Name
    kind: Literal["city", "town", "district"]
    lat: Lat
    lon: Lon
    commune_word: Literal["phường", "xã"]
    communes: list[Name] = Field(min_length=1)

    @property
    def party(self) -> str:
        """The name of its party committee's kind: 'Thành ủy', 'Thị ủy' or 'Huyện ủy'."""
        return {"city": "Thành ủy", "town": "Thị ủy"}.get(self.kind, "Huyện ủy")

    @property
    def unit(self) -> str:
        """What the unit is called in an agency's name: 'thành phố', 'thị xã' or 'huyện'."""
        return {"city": "thành phố", "town": "thị xã"}.get(self.kind, "huyện")


class RoadFacts(Strict):
    """The road a ring segment's fiber follows (``a``, ``b``: district codes or core names)."""

    a: Slug
    b: Slug
    road: Name


class DuctFacts(Strict):
    """A named duct the generator refers to."""

    id: Slug
    name: Name
    length_km: float = Field(gt=0)


class AgencyFacts(Strict):
    """An agency, as the provincial or every district's list names it."""

    name: Name
    type: AgencyType
    level: ServiceLevel
    #: Its commune or ward (provincial bodies: default the data centre's, the provincial centre).
    commune: Name | None = None


class BtsFacts(Strict):
    """A BTS site and its backhaul medium."""

    district: Code
    name: Name
    medium: Medium


class WifiFacts(Strict):
    """A public WiFi hotspot."""

    district: Code
    name: Name


DuctKey = Literal["dc_internal", "ring_shared_exit", "spur", "city_north", "city_south", "hospital_shared"]


class SampleFacts(Strict):
    """Everything ``samplefacts.yaml`` holds."""

    province: ProvinceFacts
    districts: list[DistrictFacts] = Field(min_length=1)
    ring: list[Code] = Field(min_length=2)
    spur: tuple[Code, Code]
    ring_roads: list[RoadFacts]
    ducts: dict[DuctKey, DuctFacts]
    provincial_agencies: list[AgencyFacts]
    district_offices: list[AgencyFacts]
    bts: list[BtsFacts]
    wifi: list[WifiFacts]

    @model_validator(mode="after")
    def _references(self) -> SampleFacts:
        codes = [d.code for d in self.districts]
        if len(set(codes)) != len(codes) or len({d.id for d in self.districts}) != len(codes):
            raise ValueError("district ids and codes must be unique")
        used = [*self.ring, *self.spur, *(b.district for b in self.bts), *(w.district for w in self.wifi)]
        unknown = sorted(set(used) - set(codes))
        if unknown:
            raise ValueError(f"no district has the code(s) {', '.join(unknown)}")
        segments = set(itertools.pairwise(["core-01", *self.ring, "core-02"]))
        roads = {(r.a, r.b) for r in self.ring_roads}
        if roads != segments:
            raise ValueError(
                "ring_roads must name one road per ring segment, core-01 → ring → core-02; "
                f"missing {sorted(segments - roads)}, not on the ring {sorted(roads - segments)}"
            )
        if missing := set(get_args(DuctKey)) - set(self.ducts):
            raise ValueError(f"ducts misses {', '.join(sorted(missing))}")
        capital = self.district(self.ring[0])
        for agency in self.provincial_agencies:
            if agency.commune is not None and agency.commune not in capital.communes:
                raise ValueError(
                    f"provincial agency '{agency.name}': commune '{agency.commune}' is not one of "
                    f"{capital.name}'s (the capital's communes or wards)"
                )
        return self

    def district(self, code: str) -> DistrictFacts:
        """The district with this code."""
        return next(d for d in self.districts if d.code == code)

    def road(self, a: str, b: str) -> str:
        """The road of the ring segment from ``a`` to ``b``."""
        return next(r.road for r in self.ring_roads if (r.a, r.b) == (a, b))


def load_facts(path: Path = FACTS) -> SampleFacts:
    """Read and check the facts file; a bad one raises :class:`GovnetError` naming the field."""
    document = load_yaml(path)
    try:
        return SampleFacts.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise GovnetError(
            f"{path}: {where}: {first['msg']}"
            + (f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""),
            hint="correct the sample facts file; nothing was generated",
        ) from None
