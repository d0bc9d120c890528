"""District geometry of a city folder: ``districts.geojson`` and the schematic ``map_layout``.

Both are optional. ``districts.geojson`` is a GeoJSON FeatureCollection with one feature per
district: ``properties.code`` (or ``properties.district``) is the district code of city.yaml and the
geometry a Polygon or MultiPolygon. Its coordinate reference system is either named in a ``crs``
member (``EPSG:25832``, ``urn:ogc:def:crs:EPSG::25832``; the 2008 GeoJSON form) or, without one,
longitude/latitude in WGS 84 as RFC 7946 prescribes. A top-level ``attribution`` text is shown under
every map (the licence of the geometry). Where a city has no open geometry, ``map_layout`` in
city.yaml places every district on a tile of a grid (``code: [row, column]``, row 0 at the top):
the report then draws a schematic tile map and says so.

check-data reports, with file, feature and field: features whose code is not in city.yaml, districts
without a feature, duplicate codes, geometries that are not polygons, rings that are not closed,
have fewer than four positions, hold non-numbers, cross themselves or enclose no area, coordinates
outside longitude/latitude ranges in a file without a CRS, and an unknown CRS. A collection
without features (the unfilled template of ``data/templates``) counts as absent.

References:
    RFC 7946, The GeoJSON Format (2016), sections 3.1.6 (polygons) and 4 (coordinate reference
    system); GeoJSON 2008 specification, section 3 (the ``crs`` member).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast.problems import ProblemReport

GEOMETRY_FILE = "districts.geojson"
CODE_FIELDS = ("code", "district")
LAYOUT_KEY = "map_layout"

GEOGRAPHIC = {"4326": "WGS 84", "4258": "ETRS89", "CRS84": "WGS 84"}
PROJECTED = {
    "25832": "ETRS89 / UTM 32N",
    "25833": "ETRS89 / UTM 33N",
    "3035": "ETRS89 / LAEA Europe",
    "31466": "DHDN / Gauß-Krüger 2",
    "31467": "DHDN / Gauß-Krüger 3",
    "31468": "DHDN / Gauß-Krüger 4",
    "31469": "DHDN / Gauß-Krüger 5",
    "32632": "WGS 84 / UTM 32N",
    "32633": "WGS 84 / UTM 33N",
}
"""Coordinate reference systems the maps can draw: geographic (degrees) and projected (metres)."""


@dataclass(frozen=True)
class DistrictGeometry:
    """The polygons of a city's districts, read from ``districts.geojson``.

    Attributes:
        crs: the coordinate reference system, e.g. ``EPSG:25832``.
        geographic: coordinates are longitude/latitude in degrees (else metres).
        shapes: district code -> polygons -> rings, each an (n, 2) array of x, y (the first ring
            of a polygon is its outline, the others holes).
        attribution: the ``attribution`` text of the file ('' when absent).
    """

    crs: str
    geographic: bool
    shapes: dict[str, list[list[np.ndarray]]]
    attribution: str


def read_geometry(
    file: Path, codes: list[str] | None
) -> tuple[DistrictGeometry | None, list[tuple[str, str]]]:
    """Read and check ``districts.geojson``.

    Args:
        file: the GeoJSON file.
        codes: the city's district codes (None: city.yaml unusable, codes not checked).

    Returns:
        The geometry (None when it has any problem) and the problems as (field, message).
    """
    problems: list[tuple[str, str]] = []
    try:
        doc = json.loads(file.read_text(encoding="utf-8-sig"))
    except OSError as err:
        return None, [("", f"cannot read the file: {err.strerror or err}")]
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, [("", f"cannot parse JSON: {err}")]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return None, [("type", "expected a GeoJSON FeatureCollection")]
    features = doc.get("features")
    if isinstance(features, list) and not features:
        return None, []  # an unfilled template (data/templates) counts as absent
    if not isinstance(features, list):
        return None, [("features", "expected a list of features")]
    crs, geographic, message = _crs(doc.get("crs"))
    if message:
        problems.append(("crs", message))
    shapes: dict[str, list[list[np.ndarray]]] = {}
    for i, feature in enumerate(features, start=1):
        where = f"feature {i}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        code = next(
            (str(props[k]).strip() for k in CODE_FIELDS if isinstance(props, dict) and k in props),
            None,
        )
        if code is None:
            problems.append(
                ("properties.code", f"{where}: no district code (properties.code expected)")
            )
            continue
        where = f"{where} (code '{code}')"
        if codes is not None and code not in codes:
            problems.append(("properties.code", f"{where}: not a district code of city.yaml"))
        if code in shapes:
            problems.append(("properties.code", f"{where}: a second feature for this district"))
        polygons, errors = _polygons(feature.get("geometry"))
        problems.extend(("geometry", f"{where}: {e}") for e in errors)
        if geographic and not errors and _outside_degrees(polygons):
            problems.append(
                (
                    "crs" if crs == "CRS84" else "geometry",
                    f"{where}: coordinates outside longitude -180..180 / latitude -90..90"
                    + (
                        ": a projected CRS must be named in a crs member, e.g. "
                        '{"type": "name", "properties": {"name": "EPSG:25832"}}'
                        if crs == "CRS84"
                        else ""
                    ),
                )
            )
        shapes.setdefault(code, polygons)
    for code in codes or []:
        if code not in shapes:
            problems.append(("properties.code", f"district '{code}' of city.yaml has no feature"))
    attribution = doc.get("attribution", "")
    if not isinstance(attribution, str):
        problems.append(("attribution", "expected one piece of text (source and licence)"))
    if problems:
        return None, problems
    return DistrictGeometry(f"EPSG:{crs}" if crs != "CRS84" else crs, geographic, shapes,
                            attribution), []  # fmt: skip


def _crs(member: object) -> tuple[str, bool, str]:
    """(code, geographic, problem) of the ``crs`` member; none means RFC 7946's CRS84."""
    if member is None:
        return "CRS84", True, ""
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else member
    match = re.search(r"(?:EPSG:+(?:[\d.]*:)?|CRS)(\d+)$", str(name or ""))
    code = match.group(1) if match else ""
    if str(name or "").endswith("CRS84"):
        code = "CRS84"
    if code in GEOGRAPHIC:
        return code, True, ""
    if code in PROJECTED:
        return code, False, ""
    known = ", ".join(f"EPSG:{c} ({n})" for c, n in (*GEOGRAPHIC.items(), *PROJECTED.items()))
    return code or "?", False, f"unknown coordinate reference system {name!r}: expected {known}"


def _polygons(geometry: object) -> tuple[list[list[np.ndarray]], list[str]]:
    """The rings of a Polygon or MultiPolygon, and what is wrong with them."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        return [], [f"geometry {kind!r}: expected a Polygon or MultiPolygon"]
    coords = geometry.get("coordinates")
    parts = [coords] if geometry["type"] == "Polygon" else coords
    if not isinstance(parts, list) or not parts:
        return [], ["expected coordinates: a list of polygons, each a list of rings"]
    polygons, errors = [], []
    for p, part in enumerate(parts, start=1):
        rings = []
        for r, ring in enumerate(part if isinstance(part, list) else [None], start=1):
            where = f"polygon {p}, ring {r}" if len(parts) > 1 else f"ring {r}"
            xy, error = _ring(ring)
            if error:
                errors.append(f"{where}: {error}")
            else:
                rings.append(xy)
        polygons.append(rings)
    return polygons, errors


def _ring(ring: object) -> tuple[np.ndarray, str]:
    numbers = isinstance(ring, list) and all(
        isinstance(pos, list)
        and len(pos) >= 2
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in pos[:2])
        for pos in ring
    )
    if not numbers:  # a text such as "5e5" is no coordinate, even where float() would read it
        return np.empty((0, 2)), "expected a list of [x, y] positions (numbers)"
    xy = np.array([pos[:2] for pos in ring], dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        return xy, "expected a list of [x, y] positions"
    if not np.isfinite(xy).all():
        return xy, "a position that is not a finite number"
    if len(xy) < 4:
        return xy, f"{len(xy)} positions: a ring needs at least 4 (the first repeated last)"
    if not np.array_equal(xy[0], xy[-1]):
        return xy, "not closed: the last position must repeat the first"
    x, y = xy[:, 0], xy[:, 1]
    if abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) == 0:
        return xy, "encloses no area"
    crossing = _self_crossing(xy)
    if crossing is not None:
        return xy, f"crosses itself near ({crossing[0]:.6g}, {crossing[1]:.6g})"
    return xy, ""


def _self_crossing(xy: np.ndarray, rows: int = 256) -> np.ndarray | None:
    """A point where two non-adjacent edges of the closed ring ``xy`` meet, or None.

    Orientation test on every pair of edges, vectorised in blocks of ``rows`` edges.
    """
    a, b = xy[:-1], xy[1:]
    n = len(a)

    def orient(p, q, r):
        return np.sign((q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                       - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0]))  # fmt: skip

    j = np.arange(n)
    for start in range(0, n, rows):
        i = np.arange(start, min(start + rows, n))[:, None]
        pa, pb = a[i[:, 0]][:, None], b[i[:, 0]][:, None]
        qa, qb = a[None], b[None]
        o1, o2 = orient(pa, pb, qa), orient(pa, pb, qb)
        o3, o4 = orient(qa, qb, pa), orient(qa, qb, pb)
        proper = (o1 * o2 < 0) & (o3 * o4 < 0)
        # Adjacent edges share an end point by construction; so do the first and the last.
        far = (j[None] > i + 1) & ~((i == 0) & (j[None] == n - 1))
        hit = np.argwhere(proper & far)
        if len(hit):
            return a[hit[0][0] + start]
    return None


def _outside_degrees(polygons: list[list[np.ndarray]]) -> bool:
    xy = np.concatenate([r for p in polygons for r in p]) if polygons else np.empty((0, 2))
    return bool(len(xy)) and bool((np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any())


def check_geometry(folder: Path, codes: list[str] | None, report: ProblemReport) -> None:
    """check-data: the problems of ``districts.geojson`` in ``folder`` (when there is one)."""
    file = Path(folder) / GEOMETRY_FILE
    if not file.is_file():
        return
    for column, message in read_geometry(file, codes)[1]:
        report.add(GEOMETRY_FILE, None, column or None, message)


def map_layout(meta: dict | None) -> dict[str, tuple[int, int]] | None:
    """``map_layout`` of city.yaml as code -> (row, column); None when absent or malformed."""
    raw = (meta or {}).get(LAYOUT_KEY)
    if not isinstance(raw, dict):
        return None
    tiles = raw.get("tiles", raw)
    try:
        return {str(k): (int(v[0]), int(v[1])) for k, v in tiles.items()}
    except (TypeError, ValueError, IndexError, AttributeError):
        return None


def layout_problems(meta: dict, codes: list[str] | None) -> list[str]:
    """What is wrong with ``map_layout`` (absent: nothing)."""
    if LAYOUT_KEY not in meta:
        return []
    raw = meta[LAYOUT_KEY]
    tiles = raw.get("tiles") if isinstance(raw, dict) else None
    if not isinstance(tiles, dict) or not tiles:
        return ["expected tiles: a mapping of district codes to [row, column]"]
    problems, seen = [], {}
    for code, cell in tiles.items():
        ok = isinstance(cell, list) and len(cell) == 2
        ok = ok and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in cell)
        if not ok:
            problems.append(f"tile of '{code}': expected [row, column], two whole numbers >= 0")
            continue
        if tuple(cell) in seen:
            problems.append(f"'{code}' and '{seen[tuple(cell)]}' share the tile {cell}")
        seen[tuple(cell)] = code
        if codes is not None and str(code) not in codes:
            problems.append(f"tile of '{code}': not a district code of city.yaml")
    problems.extend(f"district '{c}' has no tile" for c in codes or [] if c not in map(str, tiles))
    return problems


def check_map_layout(meta: dict | None, codes: list[str] | None, report: ProblemReport) -> None:
    """check-data: the problems of ``map_layout`` in city.yaml."""
    for message in layout_problems(meta or {}, codes):
        report.add("city.yaml", None, LAYOUT_KEY, message)
