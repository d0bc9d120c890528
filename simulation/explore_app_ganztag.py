"""The Ganztag controls of ``jhplan explore``'s page: take-up path and the target quota of the path.

Shown only when the run has the ganztag stage; the page recomputes Ganztag with
``Explorer.ganztag`` (``simulation.explore_ganztag``).
"""

from __future__ import annotations

from dash import dcc, html

from simulation.explore_model import Assumptions, Explorer
from simulation.report_charts import german

TAKEUP_LABELS = {
    "status_quo": "heutige Teilnahme halten",
    "q64": "Elternbedarf",
    "q73": "IW 2022",
    "q80": "hoher Bedarf",
    "history": "eigene Zeitreihe fortschreiben",
}
"""Ganztag take-up path -> German label (a ``q*`` path's label adds the run's target)."""


def target(a: Assumptions) -> float:
    """The target quota of ``a``'s take-up path (of ``q64`` for paths without one)."""
    targets = dict(a.ganztag_targets)
    return targets.get(a.ganztag_takeup, targets.get("q64", 0.64))


def ganztag_controls(ex: Explorer) -> list:
    """Take-up path and target quota of Ganztag; nothing when the run has no Ganztag stage."""
    if ex.ganztag_part is None:
        return []
    base = ex.base
    return [
        html.Label("Ganztag: Inanspruchnahme (Pfad)", htmlFor="ganztag_takeup"),
        dcc.RadioItems(
            id="ganztag_takeup",
            value=base.ganztag_takeup,
            options=[
                {"label": _label(p, dict(base.ganztag_targets)), "value": p}
                for p in ex.ganztag_part.paths_offered
            ],
        ),
        html.Div(
            [
                html.Label(
                    "Ganztag: Zielquote des Pfads (Anspruchsjahrgänge)", htmlFor="ganztag_target"
                ),  # fmt: skip
                dcc.Slider(
                    id="ganztag_target",
                    min=0.4,
                    max=1.0,
                    step=0.01,
                    value=target(base),
                    disabled=base.ganztag_takeup not in dict(base.ganztag_targets),
                    marks=None,
                    tooltip={"placement": "right", "always_visible": True},
                ),
            ],
            className="regler",
        ),
    ]


def _label(path: str, targets: dict[str, float]) -> str:
    if path not in targets:
        return TAKEUP_LABELS[path]
    return f"{TAKEUP_LABELS[path]} (Ziel {german(100 * targets[path], 0)} %)"
