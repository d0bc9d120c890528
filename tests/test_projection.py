"""Properties of the district projection: accounting identity, no negatives, variants, estimation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.citydata import load_city
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.projection import PopulationAssumptions, project_population


@pytest.fixture(scope="module")
def tiny_rates(tinycity_dir):
    return estimate_base_rates(load_city(tinycity_dir), EstimationSettings(base_period=3))


def _identity_residual(proj):
    """P(t+1) - [P(t) + births - deaths + net migration] per year and district (persons)."""
    total = proj.population.sum(axis=(-1, -2))
    change = total[1:] - total[:-1]
    components = (
        proj.births.sum(axis=-1)
        - proj.deaths.sum(axis=(-1, -2))
        + proj.net_migration.sum(axis=(-1, -2))
    )
    return change - components


def test_accounting_identity_every_district_and_year(tiny_rates):
    proj = project_population(tiny_rates, PopulationAssumptions(), horizon=30)
    np.testing.assert_allclose(_identity_residual(proj), 0.0, atol=1e-8)
    assert (proj.population >= 0).all()
    assert (proj.deaths >= 0).all() and (proj.births >= 0).all()


@settings(max_examples=25, deadline=None)
@given(
    tfr_change=st.floats(-1.0, 1.0),
    gain=st.floats(0.0, 0.4),
    mig=st.floats(-40.0, 40.0),
)
def test_identity_and_non_negativity_under_any_variant(tiny_rates, tfr_change, gain, mig):
    """Even extreme assumptions (net migration -40 per 1,000) keep the identity and no negatives."""
    a = PopulationAssumptions(
        tfr_change=tfr_change, e0_gain_per_year=(gain, gain), net_migration_change_per_1000=mig
    )
    proj = project_population(tiny_rates, a, horizon=25)
    np.testing.assert_allclose(_identity_residual(proj), 0.0, atol=1e-7)
    assert (proj.population >= -1e-9).all()


def test_variants_move_the_right_way(tiny_rates):
    main = project_population(tiny_rates, PopulationAssumptions(), 20)
    more_births = project_population(tiny_rates, PopulationAssumptions(tfr_change=0.15), 20)
    longer_lives = project_population(
        tiny_rates, PopulationAssumptions(e0_gain_per_year=(0.2, 0.2)), 20
    )
    more_mig = project_population(
        tiny_rates, PopulationAssumptions(net_migration_change_per_1000=2.0), 20
    )
    assert more_births.births.sum() > main.births.sum()
    assert longer_lives.deaths.sum() < main.deaths.sum()
    np.testing.assert_allclose(longer_lives.e0[-1], main.e0[-1] + 0.1 * 20, atol=1e-5)
    assert more_mig.net_migration.sum() > main.net_migration.sum()
    # +2 per 1,000 base inhabitants per year, exactly.
    extra = more_mig.in_migrants.sum(axis=(1, 2, 3)) - main.in_migrants.sum(axis=(1, 2, 3))
    np.testing.assert_allclose(extra, 2.0 / 1000 * tiny_rates.population.sum(), rtol=1e-9)


def test_tfr_path_reaches_target(tiny_rates):
    proj = project_population(
        tiny_rates, PopulationAssumptions(tfr_change=0.2, tfr_years_to_target=5), 10
    )
    tfr0 = tiny_rates.asfr.sum(axis=1).mean()
    np.testing.assert_allclose(proj.tfr[4:], tfr0 + 0.2, rtol=1e-12)
    np.testing.assert_allclose(proj.tfr[0], tfr0 + 0.2 / 5, rtol=1e-12)


def test_estimation_recovers_tinycity_truth(tiny_rates):
    """Tinycity was simulated with TFR 1.5, boys 51.2 % and known migration: estimates come close."""
    assert tiny_rates.diagnostics["migration_method"].startswith("migration file")
    assert 1.3 < tiny_rates.diagnostics["tfr_city"] < 1.7
    assert abs(tiny_rates.male_share_at_birth - 0.512) < 0.03
    # Direct estimation from the migration file: in counts sum to the observed mean arrivals.
    assert tiny_rates.in_count.sum() > 0 and (tiny_rates.out_rate <= 1).all()


def test_one_step_reproduces_register_with_observed_components(tinycity_dir):
    """Projecting one year from 2021 with that year's own rates stays within sampling noise of 2022."""
    city = load_city(tinycity_dir)
    rates = estimate_base_rates(city.restrict_to(2021), EstimationSettings(base_period=1))
    proj = project_population(rates, PopulationAssumptions(e0_gain_per_year=(0.0, 0.0)), 1)
    from forecast.population.estimate import population_array

    pop, years = population_array(city)
    observed = pop[list(years).index(2022)].sum(axis=(-1, -2))
    np.testing.assert_allclose(proj.population[1].sum(axis=(-1, -2)), observed, rtol=0.03)


def test_horizon_must_be_positive(tiny_rates):
    with pytest.raises(ValueError, match="horizon"):
        project_population(tiny_rates, PopulationAssumptions(), 0)
