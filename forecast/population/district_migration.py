"""District migration that does not carry short-term growth forward: shrunk and damped deviations.

A district's migration is split into two parts:

* its **share of the city's migration**: in-migrants of each sex-age cell in proportion to the
  district's share of that cell, out-migration at the city's rate. Summed over districts this is the
  city's migration exactly, so the city total never depends on how districts are modelled;
* its **own deviation** from that share, measured over the base period (register residual or
  migration file) by district x age group. Over a short base period much of a district's deviation
  is noise or a passing event (a new estate filled, refugee housing opened and closed), so the
  deviation is (1) shrunk toward zero by empirical Bayes: a district keeps the part of its deviation
  that is larger than its year-to-year noise, weighted by its size; (2) re-centred so that the
  deviations sum to zero over districts in every cell; and (3) damped over the horizon: the
  projection keeps ``persistence ** k`` of it in the k-th projected year.

With persistence 1 and no shrinkage a district's base-period growth persists for ever (the method
before December 2026, still available as ``levelled``); with persistence 0 every district follows
the city's migration by age ("constant share" of the city's flows). The defaults were chosen by
rolling-origin backtests over many origins (README, validation/validate_population_districts.py).

References:
    Efron, B., Morris, C. (1975). Data analysis using Stein's estimator and its generalizations.
    JASA 70, 311-319 (empirical Bayes shrinkage by precision).
    Wilson, T. (2015). New evaluations of simple models for small area population forecasts.
    Population, Space and Place 21, 335-353 (constant-share and damped small-area methods).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.population.moves import DESTINATION_AGE_GROUPS, age_group_index

GROUPS = age_group_index()
"""Age group (0-5, 6-17, 18-24, 25-29, 30-44, 45-64, 65+) of each cohort index."""


@dataclass(frozen=True)
class DistrictDeviation:
    """The shrunk district deviations from the city-share allocation.

    Attributes:
        persons: deviation in persons per year at the base population, (D, 2, A); sums to zero
            over districts in every cell.
        raw_rate: observed deviation per person-year by district x age group, (D, G).
        weight: empirical-Bayes weight kept of the observed deviation, (D, G), 0..1.
    """

    persons: np.ndarray
    raw_rate: np.ndarray
    weight: np.ndarray


def city_share_deviation(
    net: np.ndarray,
    cohorts: np.ndarray,
    base_cohorts: np.ndarray,
    turnover_rate: np.ndarray,
    shrink: bool = True,
) -> DistrictDeviation:
    """Each district's migration beyond its share of the city's, shrunk and re-centred.

    Args:
        net: observed net migration per base-period year, (T, D, 2, A), persons (cohort-indexed).
        cohorts: populations at risk of the same years (start aged on, births at 0), same shape.
        base_cohorts: the base year's population at risk, (D, 2, A), persons.
        turnover_rate: the city's gross migration (in + out) per person at risk, (2, A); gives
            the age profile within a group and the Poisson floor of the noise.
        shrink: empirical-Bayes shrinkage toward zero (False keeps the observed mean).

    Returns:
        The deviation in persons per year at the base population, with its diagnostics.
    """
    n_t, n_d = net.shape[:2]
    n_g = len(DESTINATION_AGE_GROUPS)
    city_risk = cohorts.sum(axis=1, keepdims=True)
    share = np.divide(cohorts, city_risk, out=np.full_like(cohorts, 1.0 / n_d), where=city_risk > 0)
    deviation = net - share * net.sum(axis=1, keepdims=True)  # sums to zero over districts
    dev_g = _group_sum(deviation)  # (T, D, G)
    risk_g = _group_sum(cohorts)
    exposure = risk_g.sum(axis=0)  # person-years (D, G)
    rate = np.divide(dev_g.sum(axis=0), exposure, out=np.zeros((n_d, n_g)), where=exposure > 0)
    weight = np.ones((n_d, n_g))
    if shrink:
        weight = _eb_weight(dev_g, risk_g, rate, exposure, cohorts, turnover_rate)
    base_g = _group_sum(base_cohorts[None])[0]  # (D, G)
    kept = weight * rate * base_g
    # Within a group: who moves, by the city's migration intensity by sex and age.
    profile = base_cohorts * turnover_rate[None]
    profile = np.where(_group_sum(profile[None])[0][:, None, GROUPS] > 0, profile, base_cohorts)
    profile_g = _group_sum(profile[None])[0]
    per_unit = np.divide(kept, profile_g, out=np.zeros_like(kept), where=profile_g > 0)
    persons = profile * per_unit[:, None, GROUPS]
    # Shrinkage differs by district, so re-centre cell by cell: what is left over is spread by
    # each district's share of the cell, and the city's flows stay exactly the city's.
    city_cell = base_cohorts.sum(axis=0, keepdims=True)
    cell_share = np.divide(
        base_cohorts, city_cell, out=np.full_like(base_cohorts, 1.0 / n_d), where=city_cell > 0
    )
    persons = persons - cell_share * persons.sum(axis=0, keepdims=True)
    return DistrictDeviation(persons=persons, raw_rate=rate, weight=weight)


def _group_sum(x: np.ndarray) -> np.ndarray:
    """(T, D, 2, A) -> (T, D, G): sum over sex and the ages of each group."""
    by_age = x.sum(axis=-2)
    out = np.zeros(by_age.shape[:-1] + (len(DESTINATION_AGE_GROUPS),))
    for g in range(out.shape[-1]):
        out[..., g] = by_age[..., GROUPS == g].sum(axis=-1)
    return out


def _eb_weight(
    dev_g: np.ndarray,
    risk_g: np.ndarray,
    rate: np.ndarray,
    exposure: np.ndarray,
    cohorts: np.ndarray,
    turnover_rate: np.ndarray,
) -> np.ndarray:
    """Empirical-Bayes weight tau^2 / (tau^2 + sigma^2 / exposure) per district and age group.

    The noise of a district's yearly deviation rate is sigma^2 / persons at risk. sigma^2 is taken
    per age group as the larger of (a) the pooled year-to-year variance of the districts' rates
    (needs two or more transitions; it holds the passing events a short base period sees) and
    (b) the Poisson floor, the city's gross migration per person (turnover counts are Poisson-like).
    tau^2, the variance of the lasting district deviations, is what the observed spread of the
    districts' mean rates leaves beyond their noise (method of moments, exposure-weighted).
    """
    n_t, n_d = dev_g.shape[:2]
    city = cohorts.sum(axis=(0, 1))  # (2, A)
    gross = _group_sum((turnover_rate * city)[None, None])[0, 0]
    risk = _group_sum(city[None, None])[0, 0]
    poisson = np.divide(gross, risk, out=np.zeros_like(gross), where=risk > 0)  # (G,)
    sigma2 = poisson
    if n_t >= 2:
        yearly = np.divide(dev_g, risk_g, out=np.zeros_like(dev_g), where=risk_g > 0)
        within = (risk_g * (yearly - rate[None]) ** 2).sum(axis=(0, 1)) / (n_d * (n_t - 1))
        sigma2 = np.maximum(within, poisson)
    seen = exposure > 0
    noise = np.divide(sigma2[None, :], exposure, out=np.zeros_like(exposure), where=seen)
    w = exposure / exposure.sum(axis=0, keepdims=True).clip(min=1e-12)
    tau2 = np.maximum((w * (rate**2 - noise)).sum(axis=0), 0.0)  # (G,)
    total = tau2 + noise
    return np.where(seen & (total > 0), tau2 / np.where(total > 0, total, 1.0), 0.0)
