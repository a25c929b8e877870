"""Communes and wards: the lower tier of Vietnam's two-tier local government (since 1 July 2025).

A site names its commune or ward (``commune: Phú Nghĩa``); the district it also names stays valid
for inventories that still group by district. This module makes the communes a grouping of their
own, keyed by a stable id made from the name (``phu-nghia``: Vietnamese letters folded to ASCII),
with the sites they hold. The same name in two districts is two communes (before the 2025 reform
names repeated across districts: Tân Tiến of Bù Đốp is not Tân Tiến of Đồng Phú): their ids end
with the district's (``tan-tien-bu-dop``). Two names that still fold to the same id get ``-2``,
``-3``... in the order of their names, so ids never depend on the order of the files.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from govnet.inventory.network import Network

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def commune_id(name: str) -> str:
    """The id of a commune's name: ASCII letters, digits and ``-``, at most 63 characters.

    >>> commune_id("Phú Nghĩa"), commune_id("Đắk Ơ"), commune_id("Phường 1"), commune_id("  ")
    ('phu-nghia', 'dak-o', 'phuong-1', 'commune')
    """
    folded = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    slug = _NOT_SLUG.sub("-", ascii_only).strip("-")[:63].strip("-")
    return slug or "commune"


@dataclass(frozen=True)
class Commune:
    """One commune or ward of the inventory."""

    id: str
    name: str
    district: str  # the district id its sites name
    sites: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"id": self.id, "name": self.name, "district": self.district}


def communes(network: Network) -> dict[str, Commune]:
    """Every commune the inventory's sites name, by id (sorted by id)."""
    sites_of: dict[tuple[str, str], list[str]] = {}
    for site in network.sites.values():
        if site.commune:
            sites_of.setdefault((site.commune, site.district), []).append(site.id)
    repeated = {name for name, _ in sites_of if sum(1 for n, _ in sites_of if n == name) > 1}
    out: dict[str, Commune] = {}
    for name, district in sorted(sites_of):
        base = commune_id(name)
        if name in repeated:
            base = f"{base[:40].strip('-')}-{district}"[:63]
        ident, n = base, 1
        while ident in out:
            n += 1
            ident = f"{base[:60]}-{n}"
        out[ident] = Commune(ident, name, district, tuple(sorted(sites_of[(name, district)])))
    return dict(sorted(out.items()))


def commune_of_site(network: Network) -> dict[str, str]:
    """Site id → its commune's id (sites naming no commune are left out)."""
    return {site: c.id for c in communes(network).values() for site in c.sites}
