"""The maps of the report: which district figures are mapped, and the section that shows them.

Mapped, each where the run has it: the change of the population from the base year to the last
year, children under 6 in the planning year (the variant), the Kita gap U3 and Ü3 in the planning
Kita year (the demand where the city has no place data), the HzE Eckwert (Fallzahl per 10,000
under 21), and for every other stage (e.g. Ganztag, social index) its gaps and classes per district.
Every value is the median over the draws (the value of the variant without draws); the class breaks
are stated under each map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from forecast.contract import CITY_DISTRICT
from forecast.variables import label
from simulation.maps import MapShapes, choropleth, city_shapes, class_breaks, class_labels
from simulation.report_data import RunData
from simulation.report_html import empty, esc, figure, note
from simulation.report_sections import kita_year, planning_year

KNOWN_MODELS = ("population", "kita", "hze", "abm")
OTHER_MAPPED = re.compile(r"(^|\|)(Gap|Class|Index|Klasse)(\||$)", re.IGNORECASE)
"""Variables of other stages that are mapped: gaps, classes and indices per district."""


@dataclass(frozen=True)
class MapLayer:
    """One mapped district figure.

    Attributes:
        key: identifier (``data-name`` of the figure, key in the interactive charts).
        variable: the results variable (or a derived figure's name).
        title: German title with its year.
        legend: German legend heading with the unit.
        values: district code -> value (median or variant value).
        diverging: values on both sides of zero; colours diverge from zero.
        decimals: decimals of legend and hover values.
    """

    key: str
    variable: str
    title: str
    legend: str
    values: dict[str, float]
    diverging: bool = False
    decimals: int = 0


def map_layers(data: RunData) -> list[MapLayer]:
    """The district figures of the run to map, in the order of the report's sections."""
    layers: list[MapLayer] = []
    models = data.models
    if "population" in models:
        years = [int(y) for y in data.bands("Population|Total").index]
        y0, y1 = years[0], years[-1]
        first = _medians(data, "Population|Total", y0)
        last = _medians(data, "Population|Total", y1)
        change = {c: 100 * (last[c] / first[c] - 1) for c in last if first.get(c)}
        layers.append(
            MapLayer(
                "karte_einwohner",
                "Population|Total",
                f"Veränderung der Einwohnerzahl {y0} bis {y1}",
                "Veränderung in %",
                change,
                diverging=True,
                decimals=1,
            )  # fmt: skip
        )
        t = planning_year(years[1:] or years)
        young = data.query(
            f"""
            SELECT district, sum(value) AS value FROM results
            WHERE model = 'population' AND statistic = 'value' AND year = {t}
                  AND regexp_matches(variable, '^Population\\|[fm]\\|[0-5]$')
            GROUP BY district
            """
        )
        values = dict(zip(young["district"], young["value"], strict=True))
        layers.append(
            MapLayer(
                "karte_unter6",
                "Population|0-5",
                f"Kinder unter 6 Jahren {t} (Variante)",
                "Kinder",
                _districts(values),
            )  # fmt: skip
        )
    if "kita" in models:
        t = planning_year(data.years("kita", "Kita|Demand|"))
        for group, short in (("U3", "U3"), ("Ue3", "Ü3")):
            gap = _medians(data, f"Kita|Gap|{group}", t)
            if gap:
                layers.append(
                    MapLayer(
                        f"karte_kita_luecke_{group.lower()}",
                        f"Kita|Gap|{group}",
                        f"Fehlende Kita-Plätze {short}, Kita-Jahr {kita_year(t)}",
                        "Plätze (negativ: Überhang)",
                        gap,
                        diverging=True,
                    )  # fmt: skip
                )
            else:
                layers.append(
                    MapLayer(
                        f"karte_kita_bedarf_{group.lower()}",
                        f"Kita|Demand|{group}",
                        f"Kita-Bedarf {short}, Kita-Jahr {kita_year(t)} (keine Platzdaten)",
                        "Kinder",
                        _medians(data, f"Kita|Demand|{group}", t),
                    )  # fmt: skip
                )
    if "hze" in models:
        t = planning_year(data.years("hze", "HzE|Cases|"))
        layers.append(
            MapLayer(
                "karte_hze_eckwert",
                "HzE|Rate|Total",
                f"HzE-Eckwert {t}",
                "Fallzahl je 10.000 unter 21",
                _medians(data, "HzE|Rate|Total", t),
                decimals=1,
            )  # fmt: skip
        )
    layers.extend(_other_layers(data, sorted(set(models) - set(KNOWN_MODELS))))
    known = set(data.manifest.get("city", {}).get("districts", []))
    if known:  # districts only: a stage may also write other areas (e.g. schools)
        layers = [replace(x, values={c: v for c, v in x.values.items() if c in known})
                  for x in layers]  # fmt: skip
    return [layer for layer in layers if layer.values]


def _other_layers(data: RunData, models: list[str]) -> list[MapLayer]:
    """Gaps, classes and indices per district of stages this module does not know by name."""
    if not models:
        return []
    names = ", ".join(f"'{m}'" for m in models)
    rows = data.query(
        f"""
        SELECT model, variable, max(year) AS last, min(year) AS first FROM results
        WHERE model IN ({names}) AND district <> '{CITY_DISTRICT}' AND month = 0
              AND statistic IN ('value', 'quantile')
        GROUP BY ALL ORDER BY model, variable
        """
    )
    out = []
    for model, variable, last, first in rows.itertuples(index=False):
        if not OTHER_MAPPED.search(variable):
            continue
        t = min(int(first) + 5, int(last))
        values = _medians(data, variable, t)
        spread = np.array(list(values.values()), dtype=float)
        key = "karte_" + re.sub(r"[^a-z0-9]+", "_", f"{model} {variable}".lower()).strip("_")
        out.append(
            MapLayer(
                key,
                variable,
                f"{label(variable)} {t}",
                label(variable),
                values,
                diverging=bool((spread < 0).any() and (spread > 0).any()),
                decimals=0 if np.allclose(spread, np.round(spread)) else 2,
            )  # fmt: skip
        )
    return out


def _medians(data: RunData, variable: str, year: int) -> dict[str, float]:
    """District code -> P50 (or value) of ``variable`` in ``year``, districts only."""
    frame = data.bands_by_district(variable, year)
    return _districts(frame["P50"].dropna().to_dict()) if len(frame) else {}


def _districts(values: dict) -> dict[str, float]:
    return {str(k): float(v) for k, v in values.items() if k != CITY_DISTRICT and np.isfinite(v)}


def run_shapes(data: RunData) -> MapShapes | None:
    """The shapes of the run's city (from the city folder the manifest names)."""
    return city_shapes(data.manifest.get("city", {}).get("data_dir"))


def static_maps(data: RunData, shapes: MapShapes | None, layers: list[MapLayer]) -> str:
    """The print maps (PNG) with their class breaks, or a German note why there are none."""
    if not layers:
        return empty("Dieser Lauf enthält keine Kennzahlen je Stadtteil für Karten.")
    if shapes is None:
        return empty(
            "Für diese Stadt liegen weder Stadtteilgrenzen noch eine schematische Anordnung der "
            "Stadtteile vor; die Kennzahlen je Stadtteil stehen in den Tabellen der Abschnitte."
        )
    names = data.district_names
    parts = []
    if shapes.schematic:
        parts.append(
            note(
                "Schematische Darstellung: Für diese Stadt liegen keine offenen Stadtteilgrenzen "
                "vor. Jedes Feld steht für einen Stadtteil, grob nach seiner Lage angeordnet; "
                "Größe und Form der Felder sagen nichts über die Stadtteile."
            )
        )
    for layer in layers:
        breaks = class_breaks(np.array(list(layer.values.values())), 5, layer.diverging)
        image = choropleth(shapes, layer.values, names, layer.title, layer.legend, breaks,
                           layer.diverging, layer.decimals)  # fmt: skip
        stated = "; ".join(class_labels(breaks, layer.decimals))
        caption = (
            f"{layer.title}{' (schematisch)' if shapes.schematic else ''}: Median über die "
            f"Simulationsläufe bzw. Wert der Variante. Klassen mit gleichen Abständen: {stated}"
        )
        parts.append(figure(image, caption, layer.key))
    return "\n".join(parts)


def shape_note(shapes: MapShapes | None) -> str:
    return esc(shapes.note) if shapes is not None else ""
