"""Wirkungsmonitor: observed Kennzahlen since a reform's start against a counterfactual band.

The counterfactual is the HzE forecast made with data up to the year before the reform started
(a baseline run with ``hze.reform_start``): its quantiles per year describe what the classic
system would have produced, including the noise of the counts. For each observed Kennzahl:

* the probability that the classic system gives a value at most as low as the observed one,
  P(X <= observed), read off the band: piecewise linear between the quantiles on a log(1 + x)
  scale, normal tails beyond the outer quantiles (split normal through the median);
* the effect observed / median - 1 with the interval observed / Q(1 - a/2) - 1 ..
  observed / Q(a/2) - 1: the reform's relative effect under the band;
* flagged when the observed value lies outside the band Q(a/2) .. Q(1 - a/2), i.e. when the
  effect's interval excludes 0 (the two-sided probability 2 min(p, 1 - p) is then below alpha);
  a value equal to a band end is not flagged: with small counts many draws share that value,
  and flagging it would exceed the error rate;
* with peers (other Jugendämter's yearly Kennzahlen), a difference-in-differences on the log
  scale: the change of the own value against the mean change of the peers since the years before
  the start, with an interval from the spread of the peers' changes (t with n - 1 degrees of
  freedom, prediction interval of a new unit);
* in advance, the minimum detectable effect of each year: the reduction 1 - exp(-(z_(1-a/2) +
  z_power) s) with s the lower half-width of the band on the log scale.

References:
    Abadie, A. (2005). Semiparametric difference-in-differences estimators. Rev. Econ. Stud. 72.
    Bloom, H. S. (1995). Minimum detectable effects. Evaluation Review 19(5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def _t(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.maximum(np.asarray(x, float), 0.0))


def band_cdf(x: np.ndarray, levels: np.ndarray, quantiles: np.ndarray) -> np.ndarray:
    """P(X <= x) of distributions given by their quantiles.

    Args:
        x: values, (R,).
        levels: quantile levels, increasing, including 0.5, (Q,).
        quantiles: the quantiles of each distribution, (R, Q), non-decreasing along Q.
    """
    levels = np.asarray(levels, float)
    tx, tq = _t(x), _t(quantiles)
    z = stats.norm.ppf(levels)
    mid = int(np.flatnonzero(np.isclose(levels, 0.5))[0])
    out = np.empty(tx.shape)
    for r in range(tx.size):
        q = np.maximum.accumulate(tq[r])
        if tx[r] < q[0]:
            s = max((q[mid] - q[0]) / (z[mid] - z[0]), 1e-9)
            out[r] = stats.norm.cdf(z[0] + (tx[r] - q[0]) / s)
        elif tx[r] > q[-1]:
            s = max((q[-1] - q[mid]) / (z[-1] - z[mid]), 1e-9)
            out[r] = stats.norm.cdf(z[-1] + (tx[r] - q[-1]) / s)
        else:  # within the band: linear in the normal scores (a normal stays exact)
            keep = np.concatenate([[True], np.diff(q) > 0])
            out[r] = stats.norm.cdf(np.interp(tx[r], q[keep], z[keep]))
    return out


def compare_to_band(band: pd.DataFrame, observed: pd.DataFrame, alpha: float = 0.1) -> pd.DataFrame:
    """Observed Kennzahlen against the counterfactual band, one row per unit x Kennzahl x year.

    Args:
        band: columns unit, kennzahl, year, quantile, value (several quantile levels incl. 0.5,
            ``alpha / 2`` and ``1 - alpha / 2``).
        observed: columns unit, kennzahl, year, observed.
        alpha: error rate of the two-sided flag (and 1 - level of the effect's interval).

    Returns:
        unit, kennzahl, year, observed, low, median, high, p_below, p_two_sided, effect,
        effect_low, effect_high, flagged.
    """
    wide = band.pivot_table(
        index=["unit", "kennzahl", "year"], columns="quantile", values="value"
    ).sort_index(axis=1)
    levels = wide.columns.to_numpy(float)
    lo_q, hi_q = alpha / 2, 1 - alpha / 2
    for q in (lo_q, 0.5, hi_q):
        if not np.isclose(levels, q).any():
            raise ValueError(f"the band has no quantile {q}: levels {levels.tolist()}")
    rows = observed.merge(wide.reset_index(), on=["unit", "kennzahl", "year"], how="inner")
    rows = rows[np.isfinite(rows["observed"])].reset_index(drop=True)
    qcols = [c for c in rows.columns if isinstance(c, float)]
    qs = rows[qcols].to_numpy(float)
    obs = rows["observed"].to_numpy(float)

    def at(q: float) -> np.ndarray:
        return qs[:, int(np.flatnonzero(np.isclose(levels, q))[0])]

    p = band_cdf(obs, levels, qs) if len(rows) else np.empty(0)
    low, med, high = at(lo_q), at(0.5), at(hi_q)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = np.where(med > 0, obs / med - 1.0, np.nan)
        e_lo = np.where(high > 0, obs / high - 1.0, np.nan)
        e_hi = np.where(low > 0, obs / low - 1.0, np.nan)
    two = 2.0 * np.minimum(p, 1.0 - p)
    return pd.DataFrame(
        {
            "unit": rows["unit"],
            "kennzahl": rows["kennzahl"],
            "year": rows["year"].astype(int),
            "observed": obs,
            "low": low,
            "median": med,
            "high": high,
            "p_below": p,
            "p_two_sided": two,
            "effect": effect,
            "effect_low": e_lo,
            "effect_high": e_hi,
            # outside the band (the effect's interval excludes 0); a value equal to a band end
            # is not flagged, so that ties of small counts keep the error rate at or below alpha
            "flagged": (obs < low) | (obs > high),
        }
    )


def minimum_detectable_effect(
    band: pd.DataFrame,
    start_year: int,
    alpha: float = 0.1,
    power: float = 0.8,
    after: tuple[int, ...] = (1, 2, 3, 5),
) -> pd.DataFrame:
    """The smallest reduction the monitor detects with ``power`` in year k after the start.

    Year k after the start is calendar year ``start_year + k - 1``; its band's lower half-width
    on the log(1 + x) scale, s = (t(median) - t(Q(alpha/2))) / z_(1-alpha/2), gives the MDE
    1 - exp(-(z_(1-alpha/2) + z_power) s) as a share of the counterfactual median.

    Returns:
        unit, kennzahl, years_after, year, mde (share), mde_level (the Kennzahl's value).
    """
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    wide = band.pivot_table(index=["unit", "kennzahl", "year"], columns="quantile", values="value")
    levels = wide.columns.to_numpy(float)
    lo = wide.iloc[:, int(np.argmin(np.abs(levels - alpha / 2)))].to_numpy(float)
    if not np.isclose(levels, alpha / 2).any():
        raise ValueError(f"the band has no quantile {alpha / 2}")
    med = wide.iloc[:, int(np.argmin(np.abs(levels - 0.5)))].to_numpy(float)
    s = (_t(med) - _t(lo)) / z_a
    # the reduction of the Kennzahl that moves its median to the detection boundary
    target = np.expm1(_t(med) - (z_a + z_b) * s)
    share = 1.0 - np.maximum(target, 0.0) / np.where(med > 0, med, 1.0)
    mde = np.where(med > 0, np.clip(share, 0.0, 1.0), np.nan)
    out = wide.index.to_frame(index=False).assign(mde=mde, mde_level=med * (1 - mde))
    out["years_after"] = out["year"] - start_year + 1
    out = out[out["years_after"].isin(after)]
    return out[["unit", "kennzahl", "years_after", "year", "mde", "mde_level"]].reset_index(
        drop=True
    )


def difference_in_differences(
    own: pd.DataFrame, peers: pd.DataFrame, start_year: int, alpha: float = 0.1
) -> pd.DataFrame:
    """The own Kennzahl's change since before the start against the peers' changes.

    Args:
        own: columns kennzahl, year, observed (the city's values, past and since the start).
        peers: columns year, jugendamt, kennzahl, value (the ``peers`` input file).
        start_year: first year of the reform.
        alpha: 1 - level of the interval.

    Returns:
        kennzahl, year, peers (number), effect, effect_low, effect_high (relative, e.g. -0.15),
        flagged (the interval excludes 0). Years before the start and Kennzahlen with fewer than
        two peers or no year before the start are left out.
    """
    rows = []
    for key, mine in own.groupby("kennzahl"):
        theirs = peers[peers["kennzahl"] == key]
        mine = mine.set_index("year")["observed"]
        panel = theirs.pivot_table(index="year", columns="jugendamt", values="value")
        pre = [y for y in mine.index if y < start_year and y in panel.index]
        if not pre or panel.shape[1] < 2:
            continue
        base_own = np.log(mine.loc[pre]).mean()
        base_peer = np.log(panel.loc[pre]).mean(axis=0)
        for year in sorted(y for y in mine.index if y >= start_year and y in panel.index):
            change = np.log(panel.loc[year]) - base_peer
            change = change[np.isfinite(change)]
            n = change.size
            if n < 2:
                continue
            d = np.log(mine.loc[year]) - base_own - change.mean()
            half = stats.t.ppf(1 - alpha / 2, n - 1) * change.std(ddof=1) * np.sqrt(1 + 1 / n)
            rows.append(
                {
                    "kennzahl": key,
                    "year": int(year),
                    "peers": int(n),
                    "effect": float(np.expm1(d)),
                    "effect_low": float(np.expm1(d - half)),
                    "effect_high": float(np.expm1(d + half)),
                    "flagged": bool(abs(d) > half),
                }
            )
    return pd.DataFrame(
        rows,
        columns=["kennzahl", "year", "peers", "effect", "effect_low", "effect_high", "flagged"],
    )
