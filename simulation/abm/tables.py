"""Monthly results of an experiment as a long table: mean and P10/P50/P90 over replicates.

Variables (``ABM|...``), per month (``year``, ``month`` 1..12) and Wirkungsraum (``district`` =
its code; ``_city`` = whole city):

==================================  ============================================================
``ABM|Begun|<h or Total>``          helps begun in the month
``ABM|Running|<h or Total>``        helps running at the end of the month
``ABM|Waiting|<h or Total>``        referrals waiting at the end of the month (for the ASD's
                                    Hilfeplan or for a place)
``ABM|Cost|<h>``                    EUR in the month, nominal (case-months x unit cost x provider
                                    price x price index; ``p28`` per begun case)
``ABM|Cost|Prevention``             EUR for fallunspezifische/fallübergreifende work (SRO)
``ABM|Cost|Transition``             EUR transition cost in years 1-2 (SRO)
``ABM|Cost|Total``                  all of the above costs
``ABM|Ended|Total``                 helps ended in the month
``ABM|Case-months|Total``           months of help in the month
``ABM|Stationary share``            running §§ 33, 34 / running helps other than § 28
``ABM|Diverted``                    placements replaced by a Maßanzug, begun in the month (SRO)
``ABM|Cost difference|Total``       cumulative cost since month 1, SRO - classic, EUR (SRO)
``ABM|Cost difference|Percent``     the same in percent of the classic cumulative cost (SRO)
==================================  ============================================================

The quantiles of a difference are quantiles of each replicate's difference (common random
numbers), not differences of quantiles.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from forecast import variables as v
from forecast.contract import CITY_DISTRICT
from forecast.drawstore import quantiles_first_axis
from forecast.hze.catalogue import direct_access_codes, stationary_codes
from forecast.variables import BAND
from simulation.abm.experiment import CLASSIC, AbmRuns, Experiment

UNITS = {k: unit for k, (unit, _) in v.ABM_UNITS.items()} | {
    "Ended": v.ABM_ENDED.unit,
    "Case-months": v.ABM_CASE_MONTHS.unit,
    "Stationary share": v.ABM_STATIONARY.unit,
    "Diverted": v.ABM_DIVERTED.unit,
    "Cost difference|Total": v.ABM_DIFFERENCE.unit,
    "Cost difference|Percent": v.ABM_DIFFERENCE_PERCENT.unit,
}
"""ABM variable (after ``ABM|``) -> unit, from the results vocabulary (``forecast.variables``)."""


def _with_city(a: np.ndarray) -> np.ndarray:
    """Append the city (sum over Wirkungsräume, axis 2) to (R, M, W[, ...])."""
    return np.concatenate([a, a.sum(2, keepdims=True)], axis=2)


def variables(runs: AbmRuns, experiment: Experiment | None = None) -> Iterator[tuple]:
    """``(variable, unit, per-replicate values (R, M, W+1))`` of one scenario, one at a time
    (a large city's replicates x months x areas are held for one group of variables only)."""
    a = runs.arrays
    for name in ("Begun", "Running", "Waiting"):
        per_h = a[name.lower()]  # (R, M, W, H): areas with the city one Hilfeart at a time
        for h, code in enumerate(runs.codes):
            yield f"ABM|{name}|{code}", UNITS[name], _with_city(per_h[..., h])
        yield f"ABM|{name}|Total", UNITS[name], _with_city(per_h.sum(-1))
    for h, code in enumerate(runs.codes):
        yield f"ABM|Cost|{code}", UNITS["Cost"], _with_city(a["cost"][..., h])
    sro = experiment is not None and runs.scenario != CLASSIC
    if sro:
        yield "ABM|Cost|Prevention", UNITS["Cost"], _with_city(a["prevention"])
        yield "ABM|Cost|Transition", UNITS["Cost"], _with_city(a["transition"])
    yield "ABM|Cost|Total", UNITS["Cost"], _with_city(runs.total_cost())
    yield "ABM|Ended|Total", UNITS["Ended"], _with_city(a["ended"].sum(-1))
    yield "ABM|Case-months|Total", UNITS["Case-months"], _with_city(a["case_months"].sum(-1))
    running = a["running"]
    stationary = _with_city(running[..., np.isin(runs.codes, stationary_codes())].sum(-1))
    helps = _with_city(running[..., ~np.isin(runs.codes, direct_access_codes())].sum(-1))
    share = np.divide(stationary, helps, out=np.zeros_like(helps), where=helps > 0)
    yield "ABM|Stationary share", UNITS["Stationary share"], share
    if sro:
        yield "ABM|Diverted", UNITS["Diverted"], _with_city(a["diverted"])
        diff = _with_city(experiment.cost_difference(runs.scenario))
        base = np.cumsum(_with_city(experiment.classic.total_cost()), axis=1)
        pct = np.divide(100.0 * diff, base, out=np.zeros_like(diff), where=base > 0)
        yield "ABM|Cost difference|Total", UNITS["Cost difference|Total"], diff
        yield "ABM|Cost difference|Percent", UNITS["Cost difference|Percent"], pct


def long_frames(
    runs: AbmRuns,
    experiment: Experiment | None = None,
    quantiles: tuple[float, ...] = BAND,
    samples: tuple[str, ...] = (),
) -> Iterator[pd.DataFrame]:
    """Mean and quantiles over replicates per month x Wirkungsraum, one variable at a time.

    Args:
        runs: one scenario's runs.
        experiment: the experiment it belongs to (for the SRO variables and differences).
        quantiles: quantiles over replicates.
        samples: variables also written per replicate for the city (``statistic = sample``).

    Yields:
        Per variable, columns district, year, month, variable, unit, statistic, quantile,
        replicate, value.
    """
    districts = np.array([*runs.areas, CITY_DISTRICT])
    for name, unit, values in variables(runs, experiment):  # values (R, M, D)
        n_r, n_m, n_d = values.shape
        months = np.arange(n_m)
        year, month = runs.start_year + months // 12, months % 12 + 1
        bands = quantiles_first_axis(values, quantiles)
        stats = [("mean", np.nan, values.mean(0))]
        stats += [("quantile", q, bands[i]) for i, q in enumerate(quantiles)]
        n_s = len(stats)
        yield pd.DataFrame(
            {
                "district": np.tile(districts, n_s * n_m),
                "year": np.tile(np.repeat(year, n_d), n_s),
                "month": np.tile(np.repeat(month, n_d), n_s),
                "variable": name,
                "unit": unit,
                "statistic": np.repeat([s for s, _, _ in stats], n_m * n_d),
                "quantile": np.repeat([q for _, q, _ in stats], n_m * n_d),
                "replicate": -1,
                "value": np.concatenate([x.ravel() for _, _, x in stats]),
            }
        )
        if name in samples:
            yield pd.DataFrame(
                {
                    "district": CITY_DISTRICT,
                    "year": np.tile(year, n_r),
                    "month": np.tile(month, n_r),
                    "variable": name,
                    "unit": unit,
                    "statistic": "sample",
                    "quantile": np.nan,
                    "replicate": np.repeat(np.arange(n_r), n_m),
                    "value": values[:, :, -1].ravel(),
                }
            )


def to_long(
    runs: AbmRuns,
    experiment: Experiment | None = None,
    quantiles: tuple[float, ...] = BAND,
    samples: tuple[str, ...] = (),
) -> pd.DataFrame:
    """``long_frames`` as one table."""
    return pd.concat(list(long_frames(runs, experiment, quantiles, samples)), ignore_index=True)
