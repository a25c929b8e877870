"""Geometry of sites: distances between the coordinates the inventory gives them."""

from __future__ import annotations

import math

#: The Earth's mean radius (IUGG), in km.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km.

    >>> round(haversine_km(11.5349, 106.8832, 11.6520, 106.6070), 1)
    32.8
    >>> haversine_km(11.5, 106.9, 11.5, 106.9)
    0.0
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
