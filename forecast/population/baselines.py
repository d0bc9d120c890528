"""Naive population forecasts that any projection must beat in a backtest.

Both work on arrays of shape (D, 2, 101) (district, sex f/m, single age with 100 open) and return
(H+1, D, 2, 101) with the base population first, like ``PopulationProjection.population``.

References:
    Hamilton, C. H., Perry, J. (1962). A short method for projecting population by age from one
    decennial census to another. Social Forces 41(2), 163-170.
    Swanson, D. A., Schlottmann, A., Schmidt, B. (2010). Forecasting the population of census
    tracts by age and sex: an example of the Hamilton-Perry method in action. Population Research
    and Policy Review 29, 47-63.
"""

from __future__ import annotations

import numpy as np

from forecast.population.estimate import FERTILE
from forecast.population.kernel import FEMALE


def constant_population(base: np.ndarray, horizon: int) -> np.ndarray:
    """Every cell stays at its base-year value."""
    return np.repeat(base[None], horizon + 1, axis=0).astype(float)


def hamilton_perry(earlier: np.ndarray, base: np.ndarray, span: int, horizon: int) -> np.ndarray:
    """Hamilton-Perry projection with cohort-change ratios over ``span`` years.

    Cohort-change ratios CCR(a) = P(a, t) / P(a - span, t - span) carry ages a >= span forward
    in steps of ``span`` years; the open group uses the ratio of the open group to the ``span``
    cohorts that fed it. Children under ``span`` follow child-woman ratios CWR(a) = P(a, t) /
    W(t), W = women 15-49. Years between steps are interpolated geometrically cell by cell.

    Args:
        earlier: population ``span`` years before the base year, shape (D, 2, A).
        base: base-year population, shape (D, 2, A).
        span: years between the two populations, >= 1.
        horizon: years to project.

    Returns:
        Shape (horizon+1, D, 2, A), persons.
    """
    n_age = base.shape[-1]
    last = n_age - 1
    fed_open = earlier[..., last - span :].sum(axis=-1)
    ccr = np.ones_like(base)
    ccr[..., span:last] = _ratio(base[..., span:last], earlier[..., : last - span])
    ccr[..., last] = _ratio(base[..., last], fed_open)
    women = base[:, FEMALE, FERTILE].sum(axis=-1)  # (D,)
    cwr = _ratio(base[..., :span], women[:, None, None])

    steps = [base]
    while span * (len(steps) - 1) < horizon:
        prev = steps[-1]
        nxt = np.empty_like(prev)
        nxt[..., span:last] = ccr[..., span:last] * prev[..., : last - span]
        nxt[..., last] = ccr[..., last] * prev[..., last - span :].sum(axis=-1)
        nxt[..., :span] = cwr * nxt[:, FEMALE, FERTILE].sum(axis=-1)[:, None, None]
        steps.append(nxt)
    out = np.empty((horizon + 1,) + base.shape)
    for h in range(horizon + 1):
        k, r = divmod(h, span)
        if r == 0:
            out[h] = steps[k]
        else:
            lo, hi = steps[k], steps[k + 1]
            w = r / span
            out[h] = np.where((lo > 0) & (hi > 0), lo ** (1 - w) * hi**w, (1 - w) * lo + w * hi)
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)
