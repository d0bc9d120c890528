"""Need-based split of a Sozialraumbudget between the Wirkungsräume.

Planbudget of Wirkungsraum w = base x sum over its districts d of (persons under 21 in d) x
(need weight of d). The base is chosen so that the Wirkungsräume together get the city's budget.
The need weight comes from the social index (``forecast.social.index``), by one of three formulas:

* ``population``: weight 1; the budget follows the young inhabitants only.
* ``index``: weight = exp(beta x status), status the standardised status index (a district one
  standard deviation needier than the average gets exp(beta) times as much per young inhabitant).
* ``jugendeinwohnerwert``: Hamburg-style points: each indicator is rank-standardised (percent
  rank 0..1 among the districts, neediest = 1), the ranks are averaged with the index weights and
  a young inhabitant counts 1 + spread x mean rank ("Jugendeinwohnerwert", DOMAIN.md § 7).

References:
    Hamburg "Jugendeinwohnerwert" (rank-standardised points weighting the population for
    resource distribution) and Kreis Segeberg's Sozialraumbudgets from need indicators
    (DOMAIN.md § 7); Arnsberg's Planbudget per Wirkungsraum [S100].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from forecast.social.index import SocialIndex

FORMULAS = ("population", "index", "jugendeinwohnerwert")


def need_weights(
    index: SocialIndex | None, formula: str, beta: float = 0.3, spread: float = 1.0
) -> np.ndarray | None:
    """Need weight per district (mean 1 over the districts), or None for ``population``.

    Args:
        index: the districts' social index (None: only ``population`` is possible).
        formula: one of ``FORMULAS``.
        beta: ``index``: log weight per standard deviation of the status index.
        spread: ``jugendeinwohnerwert``: extra weight of the neediest district on every indicator.
    """
    if formula not in FORMULAS:
        raise ValueError(f"budget formula {formula!r}: expected one of {FORMULAS}")
    if formula == "population":
        return None
    if index is None:
        raise ValueError(f"budget formula {formula!r} needs the social index (a social file)")
    if formula == "index":
        w = np.exp(beta * index.status)
    else:
        n = index.z.shape[0]
        ranks = index.z.argsort(axis=0).argsort(axis=0) / max(n - 1, 1)  # 0 = least need
        w = 1.0 + spread * ranks @ index.weights
    return w / w.mean()


def budget_shares(
    under21: np.ndarray,
    weights: np.ndarray | None,
    groups: Mapping[str, Sequence[int]],
) -> np.ndarray:
    """Share of each Wirkungsraum in the budget, (..., W), summing to 1.

    Args:
        under21: persons under 21 per district, (..., D).
        weights: need weight per district (D,), or None (population only).
        groups: Wirkungsraum -> indices of its districts.
    """
    points = under21 if weights is None else under21 * weights
    by_area = np.stack([points[..., list(ix)].sum(-1) for ix in groups.values()], axis=-1)
    return by_area / by_area.sum(-1, keepdims=True)
