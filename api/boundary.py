"""The map's optional base layer: a GeoJSON file of boundaries (province, communes), checked once.

``govnet serve --boundary FILE`` reads the file at start and serves it at ``/api/v1/map/boundary``
(the page draws it under the sites; without it the map is drawn from the sites alone). The file
is outside data: only polygons and lines with finite [lon, lat] numbers are kept, each feature
with at most a ``name`` (text, shown with ``textContent``); anything else is refused with where it
is and what to do.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from govnet.errors import GovnetError

#: A boundary file larger than this is refused (a province's communes simplified fit in far less).
MAX_BYTES = 20 * 1024 * 1024
SHAPES = {"Polygon": 2, "MultiPolygon": 3, "LineString": 1, "MultiLineString": 2}


def _bad(path: Path, where: str, problem: str) -> GovnetError:
    return GovnetError(
        f"{path}: {where}: {problem}",
        hint="give a GeoJSON FeatureCollection of Polygon/MultiPolygon/LineString features in "
        "[lon, lat] (RFC 7946), e.g. exported from QGIS",
    )


def _positions(path: Path, where: str, value: Any, depth: int) -> Any:
    """Nested lists ``depth`` deep ending in [lon, lat] pairs of finite numbers (rounded to 1e-6)."""
    if not isinstance(value, list):
        raise _bad(path, where, "coordinates must be arrays")
    if depth == 0:
        numbers = [v for v in value[:2] if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) < 2:
            raise _bad(path, where, "a position must be [lon, lat] numbers")
        lon, lat = float(value[0]), float(value[1])
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad(path, where, "a position is outside [-180, 180] x [-90, 90]")
        return [round(lon, 6), round(lat, 6)]
    return [_positions(path, f"{where}[{i}]", v, depth - 1) for i, v in enumerate(value)]


def load_boundary(path: Path) -> dict[str, Any]:
    """The file as a clean FeatureCollection (only shapes and names), or a :class:`GovnetError`."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _bad(path, "the file", f"{size} bytes, over the limit of {MAX_BYTES}")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GovnetError(f"cannot read {path}: {exc.strerror}", hint="give a readable GeoJSON file") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, "the file", f"not UTF-8 JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise _bad(path, "the top level", "not a GeoJSON object")
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    if not isinstance(features, list):
        raise _bad(path, "features", "not an array")
    out = []
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feature, dict):
            raise _bad(path, where, "not an object")
        geometry = feature.get("geometry", feature) if feature.get("type") == "Feature" else feature
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        if kind not in SHAPES or not isinstance(geometry, dict):
            raise _bad(path, where, f"geometry type {str(kind)[:40]!r} is not one of {', '.join(SHAPES)}")
        coords = _positions(path, f"{where}.coordinates", geometry.get("coordinates"), SHAPES[kind])
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        name = props.get("name") if isinstance(props, dict) else None
        out.append(
            {
                "type": "Feature",
                "properties": {"name": name[:120] if isinstance(name, str) else None},
                "geometry": {"type": kind, "coordinates": coords},
            }
        )
    return {"type": "FeatureCollection", "features": out}
