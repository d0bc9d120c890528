"""German charts of the ABM for the report: fan chart of the cost difference, tornado chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.abm.experiment import Experiment
from simulation.figures import fan, finish_years_chart


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fan_chart(experiment: Experiment, scenario: str, city: str, path: Path) -> None:
    """Cumulative cost difference SRO - classic of the city over time: median, P10-P90, P5-P95."""
    plt = _plt()

    diff = experiment.cost_difference(scenario).sum(-1) / 1e6  # (R, M), EUR M
    runs = experiment.runs[scenario]
    t = runs.start_year + (np.arange(runs.months) + 1) / 12.0
    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=100)
    fan(ax, t, diff, "#2c6fbb")
    ax.axhline(0.0, color="black", lw=0.8)
    finish_years_chart(
        fig,
        ax,
        path,
        f"{city}: Kostendifferenz Sozialraumorientierung – klassisch (kumuliert)",
        "Jahr",
        "Mio. Euro (nominal)",
        legend="lower left",
    )


def tornado_chart(bars: pd.DataFrame, months: int, city: str, path: Path) -> None:
    """Tornado chart: change of the cumulative cost difference at each parameter's range ends.

    Args:
        bars: ``sensitivity.tornado_data`` (largest swing first).
        months: horizon of the outcome.
        city: city name for the title.
        path: PNG file.
    """
    plt = _plt()
    bars = bars.iloc[::-1]  # largest at the top
    y = np.arange(len(bars))
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(bars) + 1.8), dpi=100)
    ax.barh(y, bars["low_delta"] / 1e6, color="#2c6fbb", label="unteres Ende der Spanne")
    ax.barh(y, bars["high_delta"] / 1e6, color="#d9822b", label="oberes Ende der Spanne")
    ax.set_yticks(y)
    ax.set_yticklabels(
        [
            f"{label} ({lo:g} / {hi:g})"
            for label, lo, hi in zip(
                bars["label"], bars["low_value"], bars["high_value"], strict=True
            )
        ],
        fontsize=8,
    )
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_xlabel(
        f"Änderung der kumulierten Kostendifferenz nach {months / 12:g} Jahren (Mio. Euro)",
        fontsize=9,
    )
    ax.set_title(
        f"{city}: Welche Annahmen treiben die Kostendifferenz SRO – klassisch?", fontsize=10
    )
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
