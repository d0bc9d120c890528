"""Choropleth maps of the districts: the shapes to draw, class breaks and the PNG for print.

The shapes come from the city folder: ``districts.geojson`` when the city has one (drawn in its
coordinate system; longitude/latitude scaled by the cosine of the mean latitude so that the map is
not stretched), else the schematic tiles of ``map_layout`` in city.yaml (one square per district,
labelled "schematisch" in the title of every map). A city with neither has no maps.

Class breaks are equal intervals on a rounded step (1, 2, 2.5 or 5 times a power of ten), so that
a legend reads "10 bis unter 20"; for changes and gaps (values on both sides of zero) zero is
always a break and the colours diverge from it (red = increase or places missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from forecast.validate_geometry import GEOMETRY_FILE, LAYOUT_KEY, map_layout, read_geometry  # noqa: E402
from simulation.report_charts import german, png  # noqa: E402

NO_DATA = "#dddddd"
TILE = 0.92
"""Side of a schematic tile (grid spacing 1)."""


@dataclass(frozen=True)
class MapShapes:
    """District shapes in drawing coordinates (x to the east, y to the north).

    Attributes:
        shapes: district code -> polygons -> rings, (n, 2) arrays.
        schematic: tiles of ``map_layout``, not a map.
        note: German source note under every map (schematic, or the geometry's attribution).
    """

    shapes: dict[str, list[list[np.ndarray]]]
    schematic: bool
    note: str


def city_shapes(data_dir: str | Path | None) -> MapShapes | None:
    """The shapes of the city in ``data_dir``: its geometry, else its tiles, else None."""
    if not data_dir:
        return None
    folder = Path(data_dir)
    try:
        meta = yaml.safe_load((folder / "city.yaml").read_text(encoding="utf-8"))
        codes = [str(d["code"]) for d in meta["districts"]]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return None
    if (folder / GEOMETRY_FILE).is_file():
        geometry, problems = read_geometry(folder / GEOMETRY_FILE, codes)
        if geometry is not None:
            shapes = geometry.shapes
            if geometry.geographic:  # equirectangular about the city's mean latitude
                lat = np.mean([r[:, 1].mean() for p in shapes.values() for rs in p for r in rs])
                scale = np.array([np.cos(np.radians(lat)), 1.0])
                shapes = {c: [[r * scale for r in rs] for rs in p] for c, p in shapes.items()}
            note = f"Geometrie: {geometry.attribution}" if geometry.attribution else ""
            return MapShapes(shapes, False, note)
    tiles = map_layout(meta)
    if tiles and set(codes) <= set(tiles):
        half = TILE / 2
        square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]])
        shapes = {
            c: [[np.vstack([square, square[:1]]) + (col, -row)]] for c, (row, col) in tiles.items()
        }
        note = str(meta[LAYOUT_KEY].get("note") or "ein Feld je Stadtteil")
        return MapShapes(shapes, True, f"Schematische Darstellung, keine Karte: {note}")
    return None


def class_breaks(values: np.ndarray, classes: int = 5, diverging: bool = False) -> np.ndarray:
    """Equal-interval class breaks on a rounded step that cover ``values``.

    Args:
        values: the mapped values (NaN ignored).
        classes: about how many classes.
        diverging: zero must be a break (values on both sides of zero).

    Returns:
        Increasing breaks b0 < b1 < ... ; class i holds b_i <= x < b_(i+1) (the last one closed).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.array([0.0, 1.0])
    lo, hi = float(x.min()), float(x.max())
    if diverging:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    raw = span / classes
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first, last = int(np.floor(lo / step)), int(np.ceil(hi / step))
    last = max(last, first + 1)  # every value the same multiple of the step: one class
    return np.arange(first, last + 1) * step


def classify(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """Class index of each value (-1 for NaN); the top break belongs to the last class."""
    x = np.asarray(values, dtype=float)
    k = np.clip(np.searchsorted(breaks, x, side="right") - 1, 0, len(breaks) - 2)
    return np.where(np.isfinite(x), k, -1)


def class_labels(breaks: np.ndarray, decimals: int = 0) -> list[str]:
    """German legend entries: '10 bis unter 20', the last class 'bis 50' inclusive."""
    n = len(breaks) - 1
    return [
        f"{german(breaks[i], decimals)} bis {'unter ' if i < n - 1 else ''}"
        f"{german(breaks[i + 1], decimals)}"
        for i in range(n)
    ]


def class_colours(breaks: np.ndarray, diverging: bool) -> list[str]:
    """One colour per class: sequential (light to dark orange), or diverging blue-white-red
    with white at zero."""
    n = len(breaks) - 1
    if not diverging:
        return [matplotlib.colors.to_hex(c) for c in plt.cm.YlOrRd(np.linspace(0.12, 0.85, n))]
    top = max(abs(breaks[0]), abs(breaks[-1]))
    mids = (breaks[:-1] + breaks[1:]) / 2
    return [matplotlib.colors.to_hex(plt.cm.RdBu_r(0.5 + 0.42 * m / top)) for m in mids]


def choropleth(
    shapes: MapShapes,
    values: dict[str, float],
    names: dict[str, str],
    title: str,
    legend_title: str,
    breaks: np.ndarray,
    diverging: bool = False,
    decimals: int = 0,
) -> bytes:
    """A choropleth of ``values`` by district as PNG (for print and the static report).

    Args:
        shapes: the city's shapes.
        values: district code -> value (a missing or NaN district is grey, "keine Angabe").
        names: district code -> name (schematic tiles carry it).
        title: German title.
        legend_title: German legend heading with the unit.
        breaks: class breaks (``class_breaks``).
        diverging: colours diverge from zero.
        decimals: decimals of the legend.
    """
    codes = list(shapes.shapes)
    x = np.array([values.get(c, np.nan) for c in codes], dtype=float)
    colours = class_colours(breaks, diverging)
    classes = classify(x, breaks)
    fig, ax = plt.subplots(figsize=(8.0, 5.6), dpi=100)
    for code, k in zip(codes, classes, strict=True):
        for rings in shapes.shapes[code]:
            verts = np.concatenate(rings)
            kinds = np.concatenate(
                [
                    [MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2) + [MplPath.CLOSEPOLY]
                    for r in rings
                ]  # fmt: skip
            )
            ax.add_patch(
                PathPatch(
                    MplPath(verts, kinds),
                    facecolor=colours[k] if k >= 0 else NO_DATA,
                    edgecolor="white" if shapes.schematic else "#444444",
                    linewidth=0.8,
                )
            )
        if shapes.schematic:
            (cx, cy) = shapes.shapes[code][0][0][:-1].mean(axis=0)
            label = names.get(code, code)
            ax.text(cx, cy, _wrap(label), ha="center", va="center", fontsize=7)
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [Patch(facecolor=c, edgecolor="#444444") for c in colours]
    labels = class_labels(breaks, decimals)
    if (classes < 0).any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="#444444"))
        labels.append("keine Angabe")
    ax.legend(handles[::-1], labels[::-1], title=legend_title, loc="center left",
              bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8, title_fontsize=8)  # fmt: skip
    ax.set_title(title + (" (schematisch)" if shapes.schematic else ""), fontsize=10, loc="left")
    if shapes.note:
        fig.text(0.01, 0.01, shapes.note, fontsize=7, color="#555555")
    fig.subplots_adjust(left=0.02, right=0.68, top=0.92, bottom=0.06)
    return png(fig)


def _wrap(name: str) -> str:
    """Long names on two lines (at a hyphen or a space)."""
    if len(name) <= 11:
        return name
    for sep in ("-", " "):
        if sep in name:
            head, tail = name.split(sep, 1)
            return f"{head}{sep if sep == '-' else ''}\n{tail}"
    return name


def to_geojson(shapes: MapShapes, names: dict[str, str]) -> dict:
    """The drawing shapes as a GeoJSON FeatureCollection in drawing coordinates (for the
    interactive map: drawn with an identity projection, so no map tiles or network)."""
    features = []
    for code, polygons in shapes.shapes.items():
        coords = [[np.round(r, 6).tolist() for r in rings] for rings in polygons]
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code, "name": names.get(code, code)},
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
            }
        )
    return {"type": "FeatureCollection", "features": features}
