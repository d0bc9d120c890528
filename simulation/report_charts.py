"""Charts of the report and of ``jhplan compare`` (PNG, German labels).

Each function returns the PNG as bytes (the report embeds them as base64; ``compare`` writes them
to files). Fan charts show the median with the P10-P90 band over the draws; a band of zero width
(a run without draws) is not drawn.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only, no screen: runs in CI and on servers
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.dates import DateFormatter  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

BLUE, RED, GREY = "#2c6fbb", "#c0392b", "#555555"
COLOURS = plt.cm.tab10(np.arange(10))


def german(value: float, decimals: int = 0) -> str:
    """1234567.8 -> '1.234.568' (German separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _axis_format(ax, scale: float = 1.0, decimals: int = 0) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: german(v / scale, decimals)))


def money(values) -> tuple[float, str, int]:
    """Scale, unit and decimals for amounts in EUR of the size of ``values``: Mio. € from one
    million, else Tsd. €, always with one decimal."""
    top = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) if np.size(values) else 0.0
    if top >= 1e6:
        return 1e6, "Mio. €", 1
    return 1e3, "Tsd. €", 1


def png(fig) -> bytes:
    """The figure as PNG bytes; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()


def fan_chart(
    bands: dict[str, pd.DataFrame],
    title: str,
    ylabel: str,
    xlabel: str = "Jahr",
    scale: float = 1.0,
    decimals: int = 0,
    zero_line: bool = False,
    from_zero: bool = True,
    marker: tuple[object, str] | None = None,
) -> bytes:
    """Median lines with P10-P90 bands, one per series, on an honest axis.

    Levels start at zero (a change of 1.5 % looks like one); differences get a zero line
    instead. The legend names a band only where one is drawn; the x axis shows the first and
    the last year.

    Args:
        bands: series label -> frame indexed by x (year or a date) with P10, P50, P90.
        title: chart title.
        ylabel: y-axis label (say the unit, e.g. "Mio. €").
        xlabel: x-axis label.
        scale: values are divided by this for the axis (1e6 for millions).
        decimals: decimals of the axis labels.
        zero_line: draw y = 0 (for differences; the axis is then not forced to start at 0).
        from_zero: start the y axis at 0 (levels); ignored with ``zero_line``.
        marker: (x, label) of a vertical line, e.g. the year a saving is reached.
    """
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for k, (label, b) in enumerate(bands.items()):
        colour = COLOURS[k % 10]
        x = b.index.to_numpy()
        drawn = not np.allclose(b["P10"], b["P90"])
        if drawn:
            ax.fill_between(x, b["P10"], b["P90"], color=colour, alpha=0.18, lw=0)
        ax.plot(
            x, b["P50"], color=colour, lw=2, label=f"{label} (Median, P10–P90)" if drawn else label
        )
    if zero_line:
        ax.axhline(0, color="black", lw=0.8)
    elif from_zero:
        top = max(float(np.nanmax(b[["P50", "P90"]].to_numpy())) for b in bands.values())
        low = min(float(np.nanmin(b[["P10", "P50"]].to_numpy())) for b in bands.values())
        ax.set_ylim(bottom=min(0.0, low * 1.08), top=top * 1.08 if top > 0 else 1.0)
    if marker is not None:
        ax.axvline(marker[0], color=GREY, lw=1, ls="--", label=marker[1])
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _axis_format(ax, scale, decimals)
    first = next(iter(bands.values()), pd.DataFrame())
    if isinstance(first.index, pd.DatetimeIndex):
        ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    elif len(first.index):
        _year_ticks(ax, int(first.index.min()), int(first.index.max()))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    # Fixed margins instead of tight_layout: the same look at half the drawing time.
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.91)
    return png(fig)


def _year_ticks(ax, first: int, last: int) -> None:
    """Integer year ticks that include the first and the last year, with a margin so the last
    label is not cut off."""
    step = max(1, int(np.ceil((last - first) / 8)))
    ticks = list(range(last, first - 1, -step))[::-1]
    ax.set_xticks(ticks)
    ax.set_xticklabels([str(t) for t in ticks])
    ax.set_xlim(first - 0.3, last + 0.3)


def district_bars(
    names: list[str],
    demand: pd.DataFrame,
    places: pd.Series | None,
    title: str,
) -> bytes:
    """Horizontal bars of demand (P50, P10-P90 whiskers) per district, places as markers.

    Args:
        names: district names, in the order of ``demand``'s rows.
        demand: P10, P50, P90 per district (children).
        places: places per district (None: no places known).
        title: chart title.
    """
    n = len(names)
    fig, ax = plt.subplots(figsize=(7.5, max(2.4, 1.2 + 0.32 * n)))
    y = np.arange(n)[::-1]
    err = np.vstack([demand["P50"] - demand["P10"], demand["P90"] - demand["P50"]])
    ax.barh(y, demand["P50"], color=BLUE, alpha=0.7, label="Bedarf (Median)")
    if np.any(err > 0):
        ax.errorbar(demand["P50"], y, xerr=err, fmt="none", ecolor="black", lw=0.8, label="P10-P90")
    if places is not None and np.isfinite(places.to_numpy(dtype=float)).any():
        ax.plot(places.to_numpy(dtype=float), y, "D", color=RED, ms=5, label="Plätze")
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel("Kinder bzw. Plätze" if places is not None else "Kinder")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: german(v)))
    _titled(fig, ax, title)
    _margins(fig, left=0.22)
    return png(fig)


def _titled(fig, ax, title: str) -> None:
    """Title on top, legend in one row between title and axes (never over the bars)."""
    height = fig.get_figheight()
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / height, va="top")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3)


def _margins(fig, left: float) -> None:
    """Fixed margins (inches converted to figure fractions) for bar charts of varying height."""
    height = fig.get_figheight()
    fig.subplots_adjust(left=left, right=0.97, bottom=0.55 / height, top=1 - 0.65 / height)


def tornado(table: pd.DataFrame, title: str, unit_label: str) -> bytes:
    """Tornado chart of a one-at-a-time sensitivity analysis.

    Args:
        table: label, low, high (parameter values), outcome_low, outcome_base, outcome_high,
            largest swing first.
        title: chart title.
        unit_label: x-axis label.
    """
    t = table.head(16).iloc[::-1]
    base = float(t["outcome_base"].iloc[0]) if len(t) else 0.0
    fig, ax = plt.subplots(figsize=(7.5, max(2.4, 1.2 + 0.38 * len(t))))
    y = np.arange(len(t))
    low = (t["outcome_low"] - base).to_numpy()
    high = (t["outcome_high"] - base).to_numpy()
    scale, label, decimals = money(np.concatenate([low, high]))
    low, high = low / scale, high / scale
    ax.barh(y, low, color=BLUE, alpha=0.75, label="unteres Ende des Bereichs")
    ax.barh(y, high, color=RED, alpha=0.75, label="oberes Ende des Bereichs")
    ax.axvline(0, color="black", lw=0.8)
    labels = [f"{r.label} ({german(r.low, 2)} – {german(r.high, 2)})" for r in t.itertuples()]
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel(f"{unit_label}, {label}")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: german(v, decimals)))
    _titled(fig, ax, title)
    _margins(fig, left=0.42)
    return png(fig)


def difference_bars(rows: pd.DataFrame, title: str) -> bytes:
    """Relative differences (%) of headline variables, with P10-P90 whiskers where known.

    Args:
        rows: title, label, difference_pct and the absolute difference_lo, difference_hi,
            reference_value (for the whiskers in percent).
        title: chart title.
    """
    rows = rows.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, max(2.4, 1.2 + 0.34 * len(rows))))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, rows["difference_pct"], color=BLUE, alpha=0.75)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = 100 * rows["difference_lo"] / rows["reference_value"]
        hi = 100 * rows["difference_hi"] / rows["reference_value"]
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        ax.errorbar(
            rows["difference_pct"][ok],
            y[ok.to_numpy()],
            xerr=np.vstack(
                [(rows["difference_pct"] - lo)[ok], (hi - rows["difference_pct"])[ok]]
            ).clip(0),
            fmt="none",
            ecolor="black",
            lw=0.8,
        )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r.label}: {r.title}" for r in rows.itertuples()], fontsize=8)
    ax.set_xlabel("Unterschied zur Referenz in %")
    span = float(np.nanmax(np.abs(ax.get_xlim())))
    decimals = 2 if span < 1 else 1 if span < 10 else 0
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: german(v, decimals)))
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / fig.get_figheight(), va="top")
    ax.grid(alpha=0.3, axis="x")
    _margins(fig, left=0.45)
    return png(fig)
