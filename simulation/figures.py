"""Figures of a population run (PNG, German labels, reused by the report).

One population pyramid and one total-population chart per district and for the whole city.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen: runs in CI and on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FEMALE_COLOUR, MALE_COLOUR = "#c0392b", "#2c6fbb"
FAN_BANDS = ((0.05, 0.95, 0.18, "90 %-Intervall"), (0.1, 0.9, 0.32, "80 %-Intervall (P10-P90)"))
"""The bands of a fan chart: quantiles, opacity, German label."""


def fan(ax, x, samples: np.ndarray, colour: str, median_label: str = "Median") -> None:
    """A fan chart of ``samples`` (draws x len(x)): P5-P95 and P10-P90 bands and the median."""
    for lo, hi, alpha, text in FAN_BANDS:
        bounds = np.quantile(samples, [lo, hi], axis=0)
        ax.fill_between(x, *bounds, color=colour, alpha=alpha, lw=0, label=text)
    ax.plot(x, np.median(samples, 0), color=colour, lw=2, label=median_label)


def finish_years_chart(fig, ax, path, title: str, xlabel: str, ylabel: str, legend: str) -> None:
    """Whole years on the x axis, title and labels, light grid, legend at ``legend``; saved, closed."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc=legend)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _left_margin(fig, ax) -> float:
    """The left margin (figure fraction) that fits the y tick labels and the axis label.

    Fixed margins instead of ``tight_layout``, which draws the figure once more to measure it (a
    quarter of the drawing time); the width of the labels is estimated from their length.
    """
    formatter = ax.yaxis.get_major_formatter()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    longest = max((len(formatter(t, None)) for t in ticks), default=4)
    pixels = 7.0 * longest + 40.0  # DejaVu Sans 10 pt at 100 dpi: about 7 px a digit
    return min(pixels / (fig.get_figwidth() * fig.dpi), 0.3)


def axis_break(ax) -> float:
    """Mark a y axis that does not start at zero with a break (two slashes at its foot).

    Returns:
        The axis' lower limit if it is above zero (the break is drawn), else 0.
    """
    bottom = float(ax.get_ylim()[0])
    if bottom <= 0:
        return 0.0
    for dx in (-0.012, 0.0):
        ax.plot(
            [dx - 0.01, dx + 0.01],
            [0.015, 0.045],
            transform=ax.transAxes,
            color="black",
            lw=1,
            clip_on=False,
        )
    return bottom


def pyramid(
    path: Path, title: str, base: np.ndarray, later: np.ndarray, base_year: int, later_year: int
) -> None:
    """Population pyramid: bars for ``later``, outline for ``base``; arrays (2, 101), f then m."""
    ages = np.arange(base.shape[-1])
    fig, ax = plt.subplots(figsize=(6, 6.5), dpi=100)
    edges = np.arange(ages.size + 1) - 0.5  # one filled outline per sex, not 101 bars
    for values, colour, label in (
        (-later[1], MALE_COLOUR, f"Männer {later_year}"),
        (later[0], FEMALE_COLOUR, f"Frauen {later_year}"),
    ):
        ax.stairs(
            values, edges, orientation="horizontal", fill=True, color=colour, alpha=0.55, lw=0
        )
        ax.plot([], [], "s", color=colour, alpha=0.55, label=label)  # a legend square
    ax.step(-base[1], ages, where="mid", color="black", lw=0.8, label=f"{base_year}")
    ax.step(base[0], ages, where="mid", color="black", lw=0.8)
    lim = max(base.max(), later.max()) * 1.05 or 1.0
    ax.set_xlim(-lim, lim)
    ax.set_xticks(ax.get_xticks())
    ax.set_xticklabels([f"{abs(x):,.0f}".replace(",", ".") for x in ax.get_xticks()])
    ax.set_ylim(-0.5, ages[-1] + 0.5)
    ax.set_ylabel("Alter (100 = 100 und älter)")
    ax.set_xlabel("Personen")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    # Fixed margins instead of tight_layout (which draws the figure once more to measure it):
    # the same look for ages 0-100 and counts up to seven digits, a quarter less drawing time.
    fig.subplots_adjust(left=0.11, right=0.95, bottom=0.08, top=0.94)
    fig.savefig(path)
    plt.close(fig)


def total_chart(
    path: Path,
    title: str,
    history: dict[int, float],
    projection: dict[int, float],
    bands: list[tuple[np.ndarray, np.ndarray, np.ndarray, str]] | None = None,
) -> None:
    """Total population: register history (points), projection (line), optional intervals; the
    axis fits the data, and when it does not start at zero it shows a break mark and says where
    it starts.

    ``bands`` are (years, low, high, label) drawn widest first, e.g. P5-P95 and P10-P90.
    """
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    for k, (years, low, high, label) in enumerate(bands or []):
        ax.fill_between(
            years, low, high, color=MALE_COLOUR, alpha=0.15 + 0.15 * k, lw=0, label=label
        )
    if history:
        ax.plot(
            list(history), list(history.values()), "o", color="black", ms=3.5, label="Melderegister"
        )
    ax.plot(
        list(projection),
        list(projection.values()),
        "-",
        color=MALE_COLOUR,
        lw=2,
        label="Vorausberechnung",
    )
    ax.set_xlabel("Jahr (Stichtag 31.12.)")
    values = [*history.values(), *projection.values()]
    values += [float(v) for b in bands or [] for v in (np.min(b[1]), np.max(b[2]))]
    pad = 0.08 * (max(values) - min(values)) or 0.05 * max(values)
    ax.set_ylim(max(0.0, min(values) - pad), max(values) + pad)
    bottom = axis_break(ax)
    ax.set_ylabel("Einwohner" + (f" (Achse ab {bottom:,.0f})".replace(",", ".") if bottom else ""))
    ax.yaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", "."))
    )
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.subplots_adjust(left=_left_margin(fig, ax), right=0.98, bottom=0.13, top=0.91)
    fig.savefig(path)
    plt.close(fig)
