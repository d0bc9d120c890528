"""The web page of ``jhplan explore`` (Dash): controls, key figures with bands, charts, saving.

Dash (Plotly) was chosen because its callbacks are plain HTTP requests to a Flask server on this
machine (no websocket, no notebook), its page and Plotly.js are served from the installed package
(works offline), and a callback is an ordinary Python function: the page only shows what
``simulation.explore_model.Explorer`` computes. Labels are German; numbers German-formatted.

Element ids the browser test reads: ``wert-<key>`` (the median with its band of a key figure for
the chosen district and year), ``stadtteil``, ``jahr``, the sliders ``quota_age1`` ... and
``gespeichert`` (the saved bundle and the command that runs it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State, dcc, html

from forecast.contract import CITY_DISTRICT
from simulation.explore_bundle import bundle, run_arguments, save_bundle
from simulation.explore_model import Assumptions, Explorer
from simulation.report_charts import german
from simulation.results import read_results

FIGURES = {
    "kita-bedarf-u3": ("Kita|Demand|U3", "Kita-Bedarf U3 (Kita + Tagespflege)", 1.0, 0),
    "kita-bedarf-ue3": ("Kita|Demand|Ue3", "Kita-Bedarf Ü3", 1.0, 0),
    "kita-fte-u3": ("Kita|Demand FTE|U3", "Kita-Bedarf U3 in Ganztagsplätzen", 1.0, 0),
    "kita-luecke-u3": ("Kita|Gap|U3", "Fehlende Kita-Plätze U3", 1.0, 0),
    "kita-luecke-ue3": ("Kita|Gap|Ue3", "Fehlende Kita-Plätze Ü3", 1.0, 0),
    "hze-faelle": ("HzE|Cases|Total", "HzE-Fallzahl", 1.0, 0),
    "hze-kosten": ("HzE|Cost|Total", "HzE-Kosten (Mio. €, nominal)", 1e6, 2),
}
"""Key -> (variable, German label, divisor, decimals) of the key figures shown."""

SLIDERS = {
    "quota_under1": ("Bedarfsquote unter 1 Jahr", 0.0, 0.2, 0.01),
    "quota_age1": ("Bedarfsquote 1 Jahr", 0.3, 1.0, 0.01),
    "quota_age2": ("Bedarfsquote 2 Jahre", 0.4, 1.0, 0.01),
    "quota_ue3": ("Bedarfsquote Ü3", 0.8, 1.0, 0.01),
    "trend_u3": ("Trend U3 (Anteil je Jahr, Pfad Trend)", -0.02, 0.03, 0.005),
    "trend_ue3": ("Trend Ü3 (Anteil je Jahr, Pfad Trend)", -0.01, 0.01, 0.005),
    "tagespflege_share_u3": ("Anteil Kindertagespflege an U3", 0.0, 0.6, 0.01),
    "hours_25": ("Anteil Buchung 25 Stunden", 0.0, 0.5, 0.01),
    "hours_45": ("Anteil Buchung 45 Stunden", 0.0, 1.0, 0.01),
    "rate_change": ("HzE: Veränderung der Hilferaten je Jahr", -0.03, 0.05, 0.005),
    "cost_growth": ("HzE: Kostensteigerung je Jahr", 0.0, 0.12, 0.005),
}
"""Assumption field -> (German label, min, max, step)."""

PATH_LABELS = {
    "constant": "konstant",
    "trend": "Trend",
    "saturation": "Sättigung",
    "history": "eigene Zeitreihe",
}


def value_of(rows: pd.DataFrame, variable: str, district: str, year: int) -> tuple[float, ...]:
    """(P50, P10, P90) of ``variable`` (the value thrice without draws), or () when absent."""
    if rows.empty:
        return ()
    sel = rows[(rows["variable"] == variable) & (rows["district"] == district)]
    sel = sel[sel["year"] == year]
    if sel.empty:
        return ()
    if (sel["statistic"] == "value").any():
        v = float(sel.loc[sel["statistic"] == "value", "value"].iloc[0])
        return (v, v, v)
    q = sel[sel["statistic"] == "quantile"].set_index("quantile")["value"]
    return tuple(float(q.loc[x]) for x in (0.5, 0.1, 0.9))


def shown(band: tuple[float, ...], divisor: float, decimals: int) -> str:
    """German text of a median with its 80 % band, as the page shows it."""
    if not band:
        return "–"
    mid, lo, hi = (b / divisor for b in band)
    if np.isclose(lo, hi):
        return german(mid, decimals)
    return f"{german(mid, decimals)} ({german(lo, decimals)} bis {german(hi, decimals)})"


class Session:
    """An ``Explorer`` with caches: a Kita slider recomputes only Kita, an HzE one only HzE."""

    def __init__(self, explorer: Explorer):
        self.ex = explorer
        self.kita = lru_cache(maxsize=32)(explorer.kita)
        self.hze_cached = lru_cache(maxsize=32)(self._hze)
        results = read_results(explorer.run_dir)
        self.population = results[
            (results["model"] == "population") & (results["variable"] == "Population|Total")
        ]
        self.abm = results[
            (results["model"] == "abm")
            & (results["variable"] == "ABM|Cost difference|Total")
            & (results["district"] == CITY_DISTRICT)
            & (results["month"] == 12)
        ]

    def _hze(self, rate_change: float, cost_growth: float) -> pd.DataFrame:
        return self.ex.hze(replace(self.ex.base, rate_change=rate_change, cost_growth=cost_growth))

    def rows(self, a: Assumptions) -> pd.DataFrame:
        kita_part = replace(a, rate_change=self.ex.base.rate_change,
                            cost_growth=self.ex.base.cost_growth)  # fmt: skip
        frames = [self.kita(kita_part), self.hze_cached(a.rate_change, a.cost_growth)]
        return pd.concat([f for f in frames if not f.empty], ignore_index=True)


def make_app(explorer: Explorer, bundle_dir: Path) -> Dash:
    """The Dash application over ``explorer``'s run; bundles are saved under ``bundle_dir``."""
    session = Session(explorer)
    ex, base = explorer, explorer.base
    years = [int(y) for y in ex.paths.years]
    districts = [CITY_DISTRICT, *ex.paths.districts]
    app = Dash(__name__, title=f"jhplan: {ex.city.name}", serve_locally=True)
    sliders = [
        html.Div(
            [
                html.Label(label, htmlFor=key),
                dcc.Slider(
                    id=key,
                    min=lo,
                    max=hi,
                    step=step,
                    value=getattr(base, key),
                    marks=None,
                    tooltip={"placement": "right", "always_visible": True},
                ),
            ],  # fmt: skip
            className="regler",
        )
        for key, (label, lo, hi, step) in SLIDERS.items()
    ]
    app.layout = html.Div(
        [
            html.H1(f"Interaktive Ansicht: {ex.city.name}"),
            html.P(
                f"Lauf {ex.manifest.get('run_id', '')}, Szenario {ex.cfg.scenario}; "
                f"{ex.paths.draws} Simulationsläufe der Bevölkerung. Bevölkerung und "
                "Systemmodell werden gezeigt, nicht neu gerechnet; Kita und HzE werden aus den "
                "gespeicherten Bevölkerungsläufen mit den geänderten Annahmen neu berechnet."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Stadtteil", htmlFor="stadtteil"),
                            dcc.Dropdown(
                                id="stadtteil",
                                clearable=False,
                                value=CITY_DISTRICT,
                                options=[
                                    {"label": ex.names.get(c, c), "value": c} for c in districts
                                ],
                            ),  # fmt: skip
                            html.Label("Jahr", htmlFor="jahr"),
                            dcc.Dropdown(
                                id="jahr",
                                clearable=False,
                                value=min(years[0] + 5, years[-1]),
                                options=[{"label": str(y), "value": y} for y in years[1:]],
                            ),  # fmt: skip
                            html.Label("Quotenpfad Kita", htmlFor="quota_path"),
                            dcc.RadioItems(
                                id="quota_path",
                                value=base.quota_path,
                                options=[
                                    {"label": PATH_LABELS[p], "value": p} for p in ex.paths_offered
                                ],
                            ),  # fmt: skip
                            *sliders,
                            html.P(
                                "Ganztag: hier nicht neu berechnet (Ergebnisse im Bericht).",
                                className="hinweis",
                            ),
                            html.Label("Name des Experiments", htmlFor="name"),
                            dcc.Input(id="name", value="werkstatt", type="text"),
                            html.Button("Als Experiment speichern", id="speichern"),
                            html.Pre(id="gespeichert"),
                        ],
                        style={"width": "34%", "display": "inline-block", "verticalAlign": "top"},
                    ),
                    html.Div(
                        [
                            html.Div(id="kennzahlen"),
                            dcc.Graph(id="grafik-kita", config={"displayModeBar": False}),
                            dcc.Graph(id="grafik-hze", config={"displayModeBar": False}),
                            dcc.Graph(id="grafik-bevoelkerung", config={"displayModeBar": False}),
                            *_abm_graph(session),
                        ],
                        style={"width": "64%", "display": "inline-block", "marginLeft": "2%"},
                    ),
                ]
            ),
        ],
        style={"fontFamily": "Liberation Sans, Arial, sans-serif", "margin": "1em 2em"},
        lang="de",
    )
    controls = [Input("quota_path", "value"), *[Input(k, "value") for k in SLIDERS]]

    def assumptions(path, *values) -> Assumptions:
        return replace(base, quota_path=path, **{k: float(v) for k, v in zip(SLIDERS, values,
                                                                              strict=True)})  # fmt: skip

    @app.callback(
        Output("kennzahlen", "children"),
        Output("grafik-kita", "figure"),
        Output("grafik-hze", "figure"),
        Output("grafik-bevoelkerung", "figure"),
        Input("stadtteil", "value"),
        Input("jahr", "value"),
        *controls,
    )
    def update(district, year, path, *values):
        try:
            a = assumptions(path, *values)
            rows = session.rows(a)
        except ValueError as err:  # e.g. booking shares above 1 together
            return html.P(f"Diese Annahmen sind nicht zulässig: {err}", className="fehler"), *[
                go.Figure()
            ] * 3
        table = [html.Tr([html.Th("Kennzahl"), html.Th(f"{year}: Median (P10 bis P90)")])]
        for key, (variable, label, divisor, decimals) in FIGURES.items():
            band = value_of(rows, variable, district, int(year))
            if band:
                table.append(html.Tr([html.Td(label),
                                      html.Td(shown(band, divisor, decimals), id=f"wert-{key}")]))  # fmt: skip
        name = ex.names.get(district, district)
        return (
            html.Table(table),
            _fan(rows, ["Kita|Demand|U3", "Kita|Demand|Ue3"], district,
                 f"{name}: Kita-Bedarf (Median und 80 %-Band)", 1.0),
            _fan(rows, ["HzE|Cost|Total"], district,
                 f"{name}: HzE-Kosten in Mio. € (Median und 80 %-Band)", 1e6),
            _shown_results(session, district, name),
        )  # fmt: skip

    @app.callback(
        Output("gespeichert", "children"),
        Input("speichern", "n_clicks"),
        State("name", "value"),
        *[State(c.component_id, "value") for c in controls],
        prevent_initial_call=True,
    )
    def save(_clicks, name, path, *values):
        try:
            a = assumptions(path, *values)
            text = bundle(ex.manifest, a.changed(base), str(name or "").strip())
        except ValueError as err:
            return f"Nicht gespeichert: {err}"
        file = save_bundle(text, str(name).strip(), bundle_dir)
        return f"Gespeichert: {file}\nNachrechnen: jhplan run " + " ".join(
            f"'{arg}'" if "[" in arg else arg for arg in run_arguments(file)
        )

    return app


def _fan(rows: pd.DataFrame, variables: list[str], district: str, title: str, divisor: float):
    fig = go.Figure()
    colours = ["#2c6fbb", "#c0392b"]
    for variable, colour in zip(variables, colours, strict=False):
        sel = rows[(rows["variable"] == variable) & (rows["district"] == district)]
        if sel.empty:
            continue
        years = sorted(sel["year"].unique())
        bands = np.array([value_of(sel, variable, district, y) for y in years]) / divisor
        label = next((lab for v, lab, *_ in FIGURES.values() if v == variable), variable)
        fig.add_trace(go.Scatter(x=years + years[::-1], y=list(bands[:, 2]) + list(bands[::-1, 1]),
                                 fill="toself", fillcolor=colour, opacity=0.2, line={"width": 0},
                                 hoverinfo="skip", showlegend=False))  # fmt: skip
        fig.add_trace(go.Scatter(x=years, y=bands[:, 0], name=label, line={"color": colour}))
    return _layout(fig, title)


def _shown_results(session: Session, district: str, name: str):
    """Population (and the ABM's cost difference, if the run has it), as the run computed it."""
    pop = session.population[session.population["district"] == district]
    fig = go.Figure()
    for statistic, dash in (("value", "solid"),):
        sel = pop[pop["statistic"] == statistic].sort_values("year")
        fig.add_trace(go.Scatter(x=sel["year"], y=sel["value"], name="Einwohner (Variante)",
                                 line={"dash": dash, "color": "#555555"}))  # fmt: skip
    return _layout(fig, f"{name}: Einwohner (aus dem Lauf, nicht neu gerechnet)")


def _abm_graph(session: Session) -> list:
    """The ABM's cumulative cost difference SRO minus classic (median, 80 % band), as run."""
    abm = session.abm[
        (session.abm["statistic"] == "quantile") & (session.abm["variant"] != "classic")
    ]
    if abm.empty:
        return []
    wide = abm.pivot_table(index="year", columns="quantile", values="value", aggfunc="first") / 1e6
    fig = go.Figure()
    years = list(wide.index)
    fig.add_trace(go.Scatter(x=years + years[::-1], y=list(wide[0.9]) + list(wide[0.1][::-1]),
                             fill="toself", fillcolor="#2c6fbb", opacity=0.2, line={"width": 0},
                             hoverinfo="skip", showlegend=False))  # fmt: skip
    fig.add_trace(go.Scatter(x=years, y=wide[0.5], name="Median", line={"color": "#2c6fbb"}))
    title = "Sozialraumorientierung minus klassisch, Kosten kumuliert in Mio. € (aus dem Lauf)"
    fig = _layout(fig, title)
    fig.update_layout(yaxis={"rangemode": "normal", "zeroline": True})
    return [dcc.Graph(id="grafik-abm", figure=fig, config={"displayModeBar": False})]


def _layout(fig, title: str):
    fig.update_layout(title=title, separators=",.", height=300, margin={"t": 40, "b": 30},
                      legend={"orientation": "h"}, yaxis={"rangemode": "tozero", "tickformat": ",~g"},
                      xaxis={"dtick": 1, "tickformat": "d"})  # fmt: skip
    return fig
