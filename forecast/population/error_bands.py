"""Expected error of district projections from the city's own rolling-origin backtests.

The backtests that choose the combination's weights (``combination.fit_combination``) also say
how far the published districts were off: the absolute percentage error (APE) by horizon, age
group and district size. Their mean is the "erwarteter Fehler" shown beside district tables; past
the longest horizon evaluated it grows in proportion to the horizon (small-area errors grow about
linearly with the horizon: Smith, Tayman and Swanson 2013, ch. 13; an estimate beyond the data).

The same figure widens the stochastic intervals where they are narrower than the backtests say:
for normal errors the mean absolute error is 0.798 sigma and the 80 % interval is +-1.2816 sigma,
so an 80 % interval narrower than +-1.606 x the expected APE is stretched around each cell's
median, draw by draw (quantiles, means, samples and the demand models' single ages alike).

References:
    Smith, S. K., Tayman, J., Swanson, D. A. (2013). A Practitioner's Guide to State and Local
    Population Projections, ch. 13.
    Wilson, T. (2012). Forecast accuracy and uncertainty of Australian Bureau of Statistics state
    and territory population projections. International Journal of Population Research, 419824.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

SIZE_CLASSES = (0, 2_500, 10_000)
"""Lower bounds of the district size classes, persons (estimate: small, medium, large areas)."""

HALF_WIDTH_80 = 1.2816 / np.sqrt(2 / np.pi)
"""80 % interval half-width per unit of mean absolute error for normal errors (1.606)."""


def size_class(population: np.ndarray) -> np.ndarray:
    """Size class index of each district total (persons)."""
    return np.searchsorted(np.asarray(SIZE_CLASSES), population, side="right") - 1


def size_label(k: int) -> str:
    lo = SIZE_CLASSES[k]
    hi = SIZE_CLASSES[k + 1] if k + 1 < len(SIZE_CLASSES) else None
    return f"{lo:,}+" if hi is None else f"{lo:,}-{hi - 1:,}"


@dataclass(frozen=True)
class ExpectedError:
    """Mean APE of the published districts by horizon, age group and size class.

    Attributes:
        table: columns ``horizon, group, size_class, ape`` (%), ``n`` (errors averaged);
            ``group`` is an age-group label or ``Total``.
        source: the origins the errors come from.
    """

    table: pd.DataFrame
    source: str

    def lookup(self, group: str, sizes: np.ndarray, horizons: np.ndarray) -> np.ndarray:
        """Expected APE (%) per horizon x district, (H, D); NaN where nothing is known.

        A size class without errors takes the mean over all classes; horizons past the longest
        evaluated grow in proportion to the horizon.
        """
        part = self.table[self.table["group"] == group]
        out = np.full((len(horizons), len(sizes)), np.nan)
        if part.empty:
            return out
        pooled = part.groupby("horizon").apply(
            lambda t: np.average(t["ape"], weights=t["n"]), include_groups=False
        )
        h_max = int(pooled.index.max())
        classes = size_class(np.asarray(sizes, float))
        # First row per (horizon, size class), as a lookup table (horizon x class).
        first = part.drop_duplicates(["horizon", "size_class"]).set_index(["horizon", "size_class"])
        for i, h in enumerate(horizons):
            h_eval = min(int(h), h_max)
            if h_eval not in pooled.index:
                continue
            scale = max(int(h), 1) / h_eval
            by_class = first["ape"].xs(h_eval, level="horizon")
            ape = by_class.reindex(classes).to_numpy(dtype=float)
            out[i] = np.where(np.isnan(ape), pooled[h_eval], ape) * scale
        return out

    def to_manifest(self) -> dict:
        t = self.table.assign(size=self.table["size_class"].map(size_label))
        return {
            "source": self.source,
            "mean_ape_pct": t[["horizon", "group", "size", "ape", "n"]]
            .round(3)
            .to_dict(orient="records"),
        }


def expected_errors(
    errors: pd.DataFrame, sizes: dict[int, np.ndarray], group_labels: list[str]
) -> ExpectedError | None:
    """Mean APE by horizon, group and size class from backtest errors of the published method.

    Args:
        errors: rows ``origin, horizon, group, district, projected, observed`` (group = index
            into ``group_labels``), for the published districts.
        sizes: origin -> district totals at the origin (D,), persons.
        group_labels: label of each group index.

    Returns:
        The table, or None without errors.
    """
    if errors.empty:
        return None
    totals = (
        errors.groupby(["origin", "horizon", "district"])[["projected", "observed"]]
        .sum()
        .reset_index()
        .assign(group="Total")
    )
    rows = pd.concat(
        [errors.assign(group=errors["group"].map(dict(enumerate(group_labels)))), totals]
    )
    rows = rows[rows["observed"] > 0]
    rows["ape"] = 100 * (rows["projected"] - rows["observed"]).abs() / rows["observed"]
    rows["size_class"] = [
        size_class(np.array([sizes[o][d]]))[0]
        for o, d in zip(rows["origin"], rows["district"], strict=True)
    ]
    table = (
        rows.groupby(["horizon", "group", "size_class"])["ape"]
        .agg(ape="mean", n="size")
        .reset_index()
    )
    origins = sorted(errors["origin"].unique())
    return ExpectedError(table, f"backtests from {origins[0]}..{origins[-1]} ({len(origins)})")


def widening(
    total_quantiles: np.ndarray, expected_ape: np.ndarray, quantiles: tuple[float, ...]
) -> np.ndarray:
    """Factor >= 1 per year x district that stretches the 80 % interval to the backtests' width.

    Args:
        total_quantiles: quantiles of the district totals over the draws, (Y, Q, D).
        expected_ape: expected APE (%) per projected year x district, (Y-1, D); NaN = unknown.
        quantiles: the quantile levels of the Q axis (need 0.1, 0.5, 0.9).
    """
    lo, med, hi = (total_quantiles[:, quantiles.index(q)] for q in (0.1, 0.5, 0.9))
    half = 0.5 * (hi - lo)
    target = np.zeros_like(half)
    target[1:] = HALF_WIDTH_80 * np.nan_to_num(expected_ape) / 100 * med[1:]
    factor = np.divide(target, half, out=np.ones_like(half), where=half > 0)
    return np.maximum(factor, 1.0)


def stretch(values: np.ndarray, median: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``median + factor * (values - median)``, never below zero (persons)."""
    return np.maximum(median + factor * (values - median), 0.0)


def widen_draws(sim, factor: np.ndarray, quantiles: tuple[float, ...]):
    """A StochasticProjection whose districts are stretched by ``factor`` (Y, D+1) around the
    median of every cell; the city (last district) is left as it is.

    The draws in the stores (reduced draws and single ages) are stretched in place, one year at a
    time; the returned summary shares those stores with ``sim``.
    """
    f = factor.copy()
    f[:, -1] = 1.0
    q_med = sim.quantiles[:, quantiles.index(0.5)]  # (Y, D+1, 2, G)
    fq = f[:, None, :, None, None]
    changes = {
        "quantiles": stretch(sim.quantiles, q_med[:, None], fq),
        "total_quantiles": stretch(
            sim.total_quantiles, sim.total_quantiles[:, quantiles.index(0.5)][:, None], f[:, None]
        ),
        "mean": stretch(sim.mean, q_med, f[:, :, None, None]),
    }
    n, n_d = sim.draws, len(sim.districts)
    for k in range(len(sim.years)):
        if sim.reduced is not None:
            year = sim.reduced.read_year(k).astype(float).reshape((n, *sim.cell_shape))
            sim.reduced.write(k, 0, stretch(year, q_med[k][None], f[k][None, :, None, None]))
        if sim.young is not None:
            year = sim.young.read_year(k).astype(float).reshape((n, n_d, 2, -1))
            med = np.median(year, axis=0)
            sim.young.write(k, 0, stretch(year, med[None], f[k, :-1][None, :, None, None]))
    return dataclasses.replace(sim, **changes)
