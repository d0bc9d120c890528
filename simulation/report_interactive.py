"""Interactive charts of the report: Vega-Lite specs, with the JavaScript inlined (works offline).

Two charts, both in the section "Karten und interaktive Ansicht" (the static PNGs stay for print):

* a map of the district figures (``simulation.maps_report``) with a selector of the Kennzahl and
  the value of each district on hover;
* the course of a Kennzahl over the years, median and 80 % band, with selectors of Kennzahl,
  district (or the city) and scenario (this run and the runs it is compared with); the median of the
  planning year is written above the chart, the values of every year on hover.

Vega, Vega-Lite and Vega-Embed come as one script from ``vl-convert-python`` (bundled once and kept
in the user's cache folder, about 0.9 MB); the specs are data in a JSON script element. Nothing is
loaded from the network when the report is viewed.

References:
    Satyanarayan, Moritz, Wongsuphasawat, Heer (2017), Vega-Lite: A Grammar of Interactive
    Graphics, IEEE TVCG 23(1).
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from simulation.maps import (
    MapShapes,
    class_breaks,
    class_colours,
    class_labels,
    classify,
    to_geojson,
)
from simulation.maps_report import MapLayer
from simulation.report_charts import german
from simulation.report_data import BANDS, RunData

SERIES = {
    "Population|Total": ("Einwohner", 1.0, 0),
    "Kita|Demand|U3": ("Kita-Bedarf U3 (Kita + Tagespflege)", 1.0, 0),
    "Kita|Demand|Ue3": ("Kita-Bedarf Ü3", 1.0, 0),
    "Kita|Gap|U3": ("Fehlende Kita-Plätze U3", 1.0, 0),
    "Kita|Gap|Ue3": ("Fehlende Kita-Plätze Ü3", 1.0, 0),
    "HzE|Cases|Total": ("HzE-Fallzahl", 1.0, 0),
    "HzE|Cost|Total": ("HzE-Kosten (Tsd. €, nominal)", 1e3, 1),
}
"""Variable -> (German label, divisor, decimals) of the time-series chart."""

LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " €"]}
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier, never fetched


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega-Embed, Vega-Lite and Vega as one script, cached per vl-convert version on disk
    (bundling takes seconds; every run's report needs it)."""
    import vl_convert

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jhplan"
    file = cache / f"vega-bundle-{vl_convert.__version__}.js"
    if file.is_file():
        return file.read_text(encoding="utf-8")
    script = vl_convert.javascript_bundle()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=cache, delete=False, encoding="utf-8") as tmp:
            tmp.write(script)
        os.replace(tmp.name, file)  # atomic: a parallel run reads the whole file or none
    except OSError:
        pass  # no writable cache: bundle again next time
    return script


def series_rows(runs: list[tuple[str, RunData]]) -> pd.DataFrame:
    """Yearly P10/P50/P90 of the time-series variables by scenario, district and year.

    Returns:
        Columns s (scenario), d (district name), k (Kennzahl), y (year), lo, mid, hi, text.
    """
    names = ", ".join(f"'{v}'" for v in SERIES)
    frames = []
    for scenario, data in runs:
        rows = data.query(
            f"""
            SELECT district, year, variable, {BANDS} FROM results
            WHERE variable IN ({names}) AND month = 0 AND variant = ''
                  AND statistic IN ('value', 'quantile')
            GROUP BY ALL
            """
        )
        rows = rows[rows["P50"].notna()]
        label = rows["variable"].map(lambda v: SERIES[v][0])
        scale = rows["variable"].map(lambda v: SERIES[v][1])
        frames.append(
            pd.DataFrame(
                {
                    "s": scenario,
                    "d": rows["district"].map(data.district_names).fillna(rows["district"]),
                    "code": rows["district"],
                    "k": label,
                    "y": rows["year"].astype(int),
                    "lo": rows["P10"] / scale,
                    "mid": rows["P50"] / scale,
                    "hi": rows["P90"] / scale,
                    "dec": rows["variable"].map(lambda v: SERIES[v][2]),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if out.empty:
        return out
    out["text"] = [
        german(m, d) + ("" if np.isclose(lo, hi) else f" ({german(lo, d)} bis {german(hi, d)})")
        for m, lo, hi, d in zip(out["mid"], out["lo"], out["hi"], out["dec"], strict=True)
    ]
    order = {name: i for i, name in enumerate(v[0] for v in SERIES.values())}
    out["order"] = out["k"].map(order)
    out = out.sort_values(["order", "s", "code", "y"]).drop(columns=["order", "dec"])
    return out.round({"lo": 3, "mid": 3, "hi": 3})


def series_spec(rows: pd.DataFrame, city: str, target: int) -> dict:
    """The time-series chart: selectors of Kennzahl, district and scenario; median, band, and the
    median of ``target`` written above the chart (of its last year where a scenario ends
    earlier; ``data-name`` ``verlauf``)."""
    series = rows.groupby(["s", "d", "k"])["y"].transform(lambda y: min(int(target), y.max()))
    rows = rows.assign(lab=rows["y"] == series)
    kennzahlen = list(dict.fromkeys(rows["k"]))
    districts = [city] + sorted(set(rows["d"]) - {city})
    scenarios = list(dict.fromkeys(rows["s"]))
    x = {"field": "y", "type": "quantitative", "title": "Jahr",
         "axis": {"format": "d", "tickMinStep": 1}}  # fmt: skip
    y_title = "Wert (Median und 80 %-Band)"
    return {
        "$schema": SCHEMA,
        "params": [
            _select("kennzahl", "Kennzahl", kennzahlen),
            _select("stadtteil", "Stadtteil", districts),
            _select("szenario", "Szenario", scenarios, radio=len(scenarios) <= 4),
        ],
        "data": {"values": rows.drop(columns=["code"]).to_dict("records")},
        "transform": [
            {"filter": "datum.k == kennzahl && datum.d == stadtteil && datum.s == szenario"}
        ],
        "width": 640,
        "height": 300,
        "layer": [
            {
                "mark": {"type": "area", "opacity": 0.25, "color": "#2c6fbb"},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "lo",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": {"zero": True},
                    },
                    "y2": {"field": "hi"},
                },
            },  # fmt: skip
            {
                "mark": {"type": "line", "point": True, "color": "#2c6fbb"},
                "encoding": {
                    "x": x,
                    "y": {"field": "mid", "type": "quantitative"},
                    "tooltip": [
                        {"field": "y", "title": "Jahr", "format": "d"},
                        {"field": "text", "title": "Median (P10 bis P90)"},
                    ],
                },
            },
            {
                "transform": [
                    {"filter": "datum.lab"},
                    {"calculate": "'Median ' + datum.y + ': ' + datum.text", "as": "label"},
                ],
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "dy": -14,
                    "fontWeight": "bold",
                    "name": "planungsjahr",
                },
                "encoding": {"x": {"value": 0}, "y": {"value": 0}, "text": {"field": "label"}},
            },  # fmt: skip
        ],
    }


def map_spec(shapes: MapShapes, layers: list[MapLayer], names: dict[str, str]) -> dict:
    """The interactive map: one Kennzahl at a time (selector), values on hover, the classes of
    the static map as legend (``data-name`` ``karte``)."""
    rows, legend = [], []
    for layer in layers:
        values = np.array([layer.values.get(c, np.nan) for c in shapes.shapes], dtype=float)
        breaks = class_breaks(values, 5, layer.diverging)
        colours = class_colours(breaks, layer.diverging)
        classes = classify(values, breaks)
        for code, value, k in zip(shapes.shapes, values, classes, strict=True):
            rows.append(
                {
                    "k": layer.title,
                    "code": code,
                    "name": names.get(code, code),
                    "text": german(value, layer.decimals) if np.isfinite(value) else "–",
                    "colour": colours[k] if k >= 0 else "#dddddd",
                }
            )
        legend.append({"k": layer.title, "i": 0, "text": layer.legend, "colour": "#ffffff"})
        for i, (text, colour) in enumerate(zip(class_labels(breaks, layer.decimals), colours,
                                               strict=True)):  # fmt: skip
            legend.append({"k": layer.title, "i": len(colours) - i, "text": text, "colour": colour,
                           "unit": layer.legend})  # fmt: skip
    titles = [layer.title for layer in layers]
    geo = to_geojson(shapes, names)["features"]
    return {
        "$schema": SCHEMA,
        "params": [_select("karte", "Kennzahl", titles)],
        "hconcat": [
            {
                "width": 520,
                "height": 420,
                "data": {"values": rows},
                "transform": [
                    {"filter": "datum.k == karte"},
                    {
                        "lookup": "code",
                        "from": {"data": {"values": geo}, "key": "properties.code"},
                        "as": "geo",
                    },
                ],  # fmt: skip
                "projection": {"type": "identity", "reflectY": True},
                "mark": {"type": "geoshape", "stroke": "white" if shapes.schematic else "#444"},
                "encoding": {
                    "shape": {"field": "geo", "type": "geojson"},
                    "color": {"field": "colour", "type": "nominal", "scale": None},
                    "tooltip": [
                        {"field": "name", "title": "Stadtteil"},
                        {"field": "text", "title": "Wert"},
                    ],
                },
            },
            {
                "data": {"values": legend},
                "transform": [{"filter": "datum.k == karte"}],
                "width": 230,
                "height": 160,
                "encoding": {
                    "y": {"field": "i", "type": "ordinal", "axis": None, "sort": "ascending"}
                },
                "layer": [
                    {
                        "mark": {"type": "square", "size": 160},
                        "encoding": {
                            "color": {"field": "colour", "type": "nominal", "scale": None}
                        },
                    },
                    {
                        "mark": {"type": "text", "align": "left", "dx": 12},
                        "encoding": {"text": {"field": "text"}},
                    },
                ],  # fmt: skip
            },
        ],
    }


def _select(name: str, label: str, options: list[str], radio: bool = False) -> dict:
    bind = {"input": "radio" if radio else "select", "options": options, "name": f"{label} "}
    return {"name": name, "value": options[0] if options else "", "bind": bind}


def charts(
    runs: list[tuple[str, RunData]],
    shapes: MapShapes | None,
    layers: list[MapLayer],
    target: int | None,
) -> tuple[str, dict]:
    """The chart containers (HTML) and their specs (id -> Vega-Lite spec)."""
    main = runs[0][1]
    specs, parts = {}, []
    if shapes is not None and layers:
        specs["karte"] = map_spec(shapes, layers, main.district_names)
        parts.append(
            "<h3>Interaktive Karte</h3><p class='note'>Kennzahl wählen; der Wert eines "
            "Stadtteils erscheint, wenn der Mauszeiger auf ihm steht"
            + (" (schematische Darstellung)" if shapes.schematic else "")
            + ".</p>"
        )
        parts.append(_container("karte"))
    rows = series_rows(runs)
    if not rows.empty and target is not None:
        specs["verlauf"] = series_spec(rows, main.district_names[CITY_DISTRICT], target)
        parts.append(
            "<h3>Interaktiver Verlauf</h3><p class='note'>Kennzahl, Stadtteil und Szenario "
            "wählen: Median (Linie) und 80 %-Band (Fläche) über die Simulationsläufe; die Werte "
            "eines Jahres erscheinen, wenn der Mauszeiger auf dem Punkt steht.</p>"
        )
        parts.append(_container("verlauf"))
    return "\n".join(parts), specs


def _container(ident: str) -> str:
    return f'<div class="interaktiv" id="chart-{ident}" data-name="{ident}"></div>'


def scripts(specs: dict) -> str:
    """The scripts that draw ``specs`` (empty without specs): the Vega bundle, the specs as
    JSON data, and the call of Vega-Embed per chart (SVG, German number format, no menu)."""
    if not specs:
        return ""
    data = json.dumps(specs, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    options = json.dumps(
        {"actions": False, "renderer": "svg", "formatLocale": LOCALE}, separators=(",", ":")
    )
    return (
        f"<script>{vega_bundle()}</script>\n"
        f'<script type="application/json" id="jhplan-specs">{data}</script>\n'
        "<script>(function () {\n"
        "  var specs = JSON.parse(document.getElementById('jhplan-specs').textContent);\n"
        "  window.jhplanViews = {};\n"
        "  Object.keys(specs).forEach(function (id) {\n"
        f"    vegaEmbed('#chart-' + id, specs[id], {options})\n"
        "      .then(function (r) { window.jhplanViews[id] = r.view; })\n"
        "      .catch(function (e) { console.error(e); });\n"
        "  });\n"
        "})();</script>"
    )


def karten(data: RunData, comparison=None) -> tuple[str, str]:
    """The section "Karten und interaktive Ansicht" and the scripts its charts need.

    Args:
        data: the run of the report.
        comparison: the runs it is compared with (``simulation.compare.Comparison``), if any:
            they become the scenarios of the time-series chart.

    Returns:
        (section body, scripts to place after the sections).
    """
    from simulation.maps_report import map_layers, run_shapes, static_maps
    from simulation.report_appendix import scenario_label
    from simulation.report_sections import planning_year

    layers = map_layers(data)
    shapes = run_shapes(data)
    runs = [(scenario_label(data.manifest), data)]
    if comparison is not None:
        others = [r for r in comparison.runs if r.path != data.run.path]
        runs = [(data.run.label or runs[0][0], data)] + [(r.label, RunData(r)) for r in others]
    target = None
    if "population" in data.models:
        target = planning_year([int(y) for y in data.bands("Population|Total").index])
    try:
        interactive, specs = charts(runs, shapes, layers, target)
    finally:
        for _, other in runs[1:]:
            other.close()
    body = "<h3>Karten der Stadtteile</h3>" + static_maps(data, shapes, layers)
    if interactive:
        body += interactive
    return body, scripts(specs)
