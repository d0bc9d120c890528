"""District migration: shares of the city's flows plus shrunk, damped, zero-sum deviations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from forecast.citydata import load_city
from forecast.population.combination import COMBINATION_GROUPS, combine_paths
from forecast.population.district_methods import constant_share, linear_trend
from forecast.population.district_migration import GROUPS, city_share_deviation
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.migration import DistrictMigrationSettings
from forecast.population.projection import PopulationAssumptions, project_population


@pytest.fixture(scope="module")
def tiny(tinycity_dir):
    return load_city(tinycity_dir)


def _rates(city, **kw):
    return estimate_base_rates(
        city, EstimationSettings(district_migration=DistrictMigrationSettings(**kw))
    )


def test_deviations_sum_to_zero_so_the_city_does_not_depend_on_the_district_model(tiny):
    """The district model redistributes: year-1 city flows are equal for every persistence.

    Exceptions: age 0 (births depend on where the women live, and fertility differs by district)
    and cells where the no-negative cap on out rates binds in some district.
    """
    totals, free = [], np.ones((2, 101), bool)
    for kw in ({"persistence": 0.0}, {"persistence": 0.7}, {"persistence": 1.0, "shrink": False}):
        rates = _rates(tiny, **kw)
        proj = project_population(rates, PopulationAssumptions(), 5)
        totals.append(proj.population[1].sum(axis=0))
        s = np.exp(-rates.life_table.mx)  # survival is at most 1, so 2s/(1+s) < 1 bounds the cap
        free &= (rates.out_rate < 0.99 * 2 * s / (1 + s)).all(axis=0)
    free[:, 0] = False
    assert free.mean() > 0.9
    np.testing.assert_allclose(totals[0][free], totals[1][free], rtol=1e-9)
    np.testing.assert_allclose(totals[0][free], totals[2][free], rtol=1e-9)


def test_persistence_decays_the_deviation_geometrically(tiny):
    rates = _rates(tiny, persistence=0.6, shrink=False)
    out, ins = rates.migration_path(4)
    dev = ins - rates.in_count_long[None]
    np.testing.assert_allclose(dev[1], 0.6 * dev[0], atol=1e-12)
    np.testing.assert_allclose(dev[3], 0.6**4 / 0.6 * dev[0], atol=1e-12)
    assert np.abs(dev[0]).sum() > 0  # tinycity's districts do deviate from their city share


def test_persistence_zero_is_a_constant_share_of_the_city_flows(tiny):
    rates = _rates(tiny, persistence=0.0)
    out, ins = rates.migration_path(3)
    np.testing.assert_allclose(ins[0], rates.in_count_long)
    share = ins[0] / ins[0].sum(axis=0, keepdims=True).clip(min=1e-12)
    np.testing.assert_allclose(out[0], np.broadcast_to(out[0][:1], out[0].shape))  # city rate
    assert np.all((share >= 0) & (share <= 1 + 1e-12))


def test_empirical_bayes_keeps_a_lasting_deviation_and_drops_noise():
    """19 districts with noise only, one that grows by 5 % a year in every age group."""
    rng = np.random.default_rng(3)
    t, d, a = 3, 20, 101
    cohorts = np.full((t, d, 2, a), 50.0)
    net = rng.normal(0, np.sqrt(0.05 * cohorts))  # Poisson-like noise of gross flows
    net[:, 0] += 0.05 * cohorts[:, 0]
    turnover = np.full((2, a), 0.05)
    dev = city_share_deviation(net, cohorts, cohorts[-1], turnover, shrink=True)
    assert dev.weight[0].min() > 0.8
    kept_growth = dev.persons[0].sum() / cohorts[-1, 0].sum()
    assert 0.035 < kept_growth < 0.055
    noise_kept = np.abs(dev.persons[1:].sum(axis=(-1, -2))) / cohorts[-1, 1:].sum(axis=(-1, -2))
    assert noise_kept.max() < 0.01  # what remains of the noise districts is the re-centring
    np.testing.assert_allclose(dev.persons.sum(axis=0), 0.0, atol=1e-9)
    assert GROUPS.max() == dev.weight.shape[1] - 1


def test_one_transition_shrinks_by_the_poisson_floor_and_stays_finite(tiny):
    rates = estimate_base_rates(tiny.restrict_to(2021), EstimationSettings(base_period=1))
    assert np.isfinite(rates.in_count).all() and np.isfinite(rates.out_rate).all()
    assert (rates.in_count >= 0).all() and (rates.out_rate >= 0).all()


def test_levelled_method_is_kept_and_differs(tiny):
    new = _rates(tiny)
    old = dataclasses.replace(new)  # same object type
    old = _rates(tiny, model="levelled")
    assert old.migration_persistence == 1.0 and old.in_count_long is None
    assert not np.allclose(old.in_count, new.in_count)


def test_simple_methods_keep_the_city_and_combine_to_it():
    rng = np.random.default_rng(1)
    base = rng.uniform(10, 100, (4, 2, 101))
    city = np.stack([base.sum(axis=0) * (1 + 0.01 * k) for k in range(6)])
    cs = constant_share(base, city)
    np.testing.assert_allclose(cs.sum(axis=1), city)
    hist = np.stack([base * 0.98, base * 0.99, base])
    lt = linear_trend(hist, np.array([2020, 2021, 2022]), 5)
    np.testing.assert_allclose(lt[5].sum(axis=(-1, -2)), base.sum(axis=(-1, -2)) * 1.05)
    # Register years with a gap: the change is per calendar year, not per row.
    gap = linear_trend(np.stack([base * 0.96, base]), np.array([2018, 2022]), 5)
    np.testing.assert_allclose(gap[5], lt[5])
    half = np.full(len(COMBINATION_GROUPS), 0.5)
    mixed = combine_paths(
        {"cohort_component": cs, "hamilton_perry": lt},
        {"cohort_component": half, "hamilton_perry": half},
    )
    np.testing.assert_allclose(mixed.sum(axis=1), city)
