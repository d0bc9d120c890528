"""The published districts: a combination of methods that keeps the city and the identity."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.citydata import load_city
from forecast.population.combination import (
    COMBINATION_GROUPS,
    CombinationSettings,
    choose_weights,
    reallocate,
)
from forecast.population.district_projection import project_city
from forecast.population.draws import simulate_population
from forecast.population.engine import make_plan
from forecast.population.estimate import EstimationSettings, estimate_base_rates, population_array
from forecast.population.fastpath import reallocate_draws
from forecast.population.projection import PopulationAssumptions
from forecast.population.stochastic import StochasticSettings
from tests.test_population_moves_housing import identity_residual


@pytest.fixture(scope="module")
def published(tinycity_dir):
    city = load_city(tinycity_dir)
    settings = EstimationSettings()
    rates = estimate_base_rates(city, settings)
    out = project_city(
        city, rates, settings, PopulationAssumptions(), 10, combination=CombinationSettings()
    )
    return city, rates, out


def test_weights_come_from_the_citys_backtests_and_sum_to_one(published):
    _, _, out = published
    assert out.weights.source.startswith("backtest over origins")
    total = sum(out.weights.weights.values())
    np.testing.assert_allclose(total, np.ones(len(COMBINATION_GROUPS)))


def test_combination_keeps_the_city_and_books_the_reallocation(published):
    _, _, out = published
    proj = out.projection
    if out.reallocation is None:
        pytest.skip("the backtests chose the cohort-component districts for Tinycity")
    adj = proj.method_adjustment
    np.testing.assert_allclose(adj.sum(axis=1), 0.0, atol=1e-8)  # a reallocation between districts
    assert identity_residual(proj) < 1e-7
    assert (proj.population >= 0).all()
    assert "Population|Method adjustment" in set(proj.to_long()["variable"])


def test_weights_pick_the_method_that_was_right():
    """Three origins where constant share was exact: its weight is 1 in every group."""
    rng = np.random.default_rng(0)

    class City:
        exclude_years = ()

    truth = {y: rng.uniform(50, 100, (3, 2, 101)) for y in range(2010, 2016)}
    forecasts = {}
    for origin in (2010, 2011, 2012):
        path = np.stack([truth[origin + h] for h in range(4)])
        noise = path * rng.uniform(0.8, 1.2, path.shape)
        forecasts[origin] = {"cohort_component": noise, "constant_share": path}
    w = choose_weights(City(), forecasts, truth)
    np.testing.assert_allclose(w.weights["constant_share"], 1.0)


def test_draws_follow_the_combination_and_keep_their_city(published):
    city, rates, out = published
    if out.reallocation is None:
        pytest.skip("the backtests chose the cohort-component districts for Tinycity")
    plan = make_plan(rates, PopulationAssumptions(), 10)
    zero = StochasticSettings().scaled(0.0)  # no noise: every draw is the variant path
    sim = simulate_population(
        plan,
        rates.districts,
        zero,
        4,
        np.random.SeedSequence(1),
        young_ages=6,
        reallocation=out.reallocation,
    )
    np.testing.assert_allclose(
        sim.young_draws(0, 1)[0, -1], out.projection.population[-1][..., :6], rtol=1e-6, atol=1e-4
    )
    pop = rng_population()
    moved = reallocate(pop, np.random.default_rng(2).uniform(0.5, 2, pop.shape[1:]))
    np.testing.assert_allclose(moved.sum(axis=1), pop.sum(axis=1))


def rng_population() -> np.ndarray:
    return np.random.default_rng(5).uniform(0, 50, (3, 4, 2, 101))


def test_too_short_a_history_keeps_the_cohort_component(tinycity_dir):
    city = load_city(tinycity_dir).restrict_to(2018)
    settings = EstimationSettings()
    rates = estimate_base_rates(city, settings)
    out = project_city(
        city, rates, settings, PopulationAssumptions(), 5, combination=CombinationSettings()
    )
    assert out.weights.source.startswith("default") and out.reallocation is None
    _, years = population_array(city)
    assert len(years) == 4


def test_the_compiled_reallocation_of_the_draws_is_the_same_to_the_last_bit():
    rng = np.random.default_rng(4)
    pop = rng.uniform(0, 50, (6, 9, 2, 101))
    pop[:, :, 1, 100] = 0.0  # an empty city cell keeps factor 1
    ratio = rng.uniform(0.5, 2.0, (9, 2, 101))
    ratio[2] = 0.0  # a district the combination empties
    assert np.array_equal(reallocate_draws(pop, ratio), reallocate(pop, ratio))
