"""Figure of a Kita run (PNG, German labels): demand and, where known, places per district.

Per district and for the whole city: Kita demand (median over the population draws, with the
P10-P90 band when there are draws) and the places, for U3 and Ü3 side by side, by Kita year.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen: runs in CI and on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DEMAND_COLOUR, PLACES_COLOUR = "#2c6fbb", "#c0392b"


def demand_vs_places(
    path: Path,
    title: str,
    years: np.ndarray,
    demand: dict[str, np.ndarray],
    places: dict[str, np.ndarray | None],
) -> None:
    """Two panels (U3, Ü3): demand P10/P50/P90 band and line, places as a step line.

    Args:
        path: PNG file to write.
        title: figure title; the part before ":" names the district, the rest is set here
            from what is drawn ("Bedarf und Plätze", or "Kita-Bedarf" without place data).
        years: Kita years, shape (Y,).
        demand: ``u3``/``ue3`` -> Kita demand quantiles, shape (3, Y) (P10, P50, P90; equal rows
            without draws), children.
        places: ``u3``/``ue3`` -> places, shape (Y,) (NaN where unknown), or None.
    """
    labels = {"u3": "unter 3 Jahre (in Kitas)", "ue3": "3 Jahre bis Schuleintritt"}
    has_places = any(p is not None and np.isfinite(p).any() for p in places.values())
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=100, sharex=True)
    for ax, group in zip(axes, ("u3", "ue3"), strict=True):
        q = demand[group]
        if not np.allclose(q[0], q[2]):
            ax.fill_between(years, q[0], q[2], color=DEMAND_COLOUR, alpha=0.2, label="P10–P90")
        ax.plot(years, q[1], "-", color=DEMAND_COLOUR, lw=2, label="Bedarf")
        seats = places.get(group)
        if seats is not None and np.isfinite(seats).any():
            ax.step(years, seats, where="mid", color=PLACES_COLOUR, lw=2, label="Plätze")
        else:
            ax.text(
                0.98,
                0.04,
                "Plätze: keine Daten",
                transform=ax.transAxes,
                ha="right",
                fontsize=8,
                color=PLACES_COLOUR,
            )
        ax.set_title(labels[group], fontsize=10)
        ax.set_xlabel("Kita-Jahr (Beginn 1. August)")
        ax.grid(alpha=0.3)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", "."))
        )
    axes[0].set_ylabel("Kinder bzw. Plätze" if has_places else "Kinder")
    axes[0].legend(fontsize=8, frameon=False, loc="lower left")
    what = "Bedarf und Plätze" if has_places else "Kita-Bedarf (keine Platzdaten)"
    fig.suptitle(f"{title.split(':')[0]}: {what}")
    # Fixed margins instead of tight_layout: the same look, a third of the drawing time.
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84, wspace=0.22)
    fig.savefig(path)
    plt.close(fig)
