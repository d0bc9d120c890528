"""Stochastic population projection: reproducibility, identities per draw, zero variance, coverage."""

from __future__ import annotations

import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.citydata import load_city
from forecast.drawstore import MemoryBudget
from forecast.population.calibrate import calibrate
from forecast.population.coverage import interval_coverage
from forecast.population.draws import (
    QUANTILES,
    RESULT_AGE_GROUPS,
    simulate_population,
)
from forecast.population.engine import make_plan, run_steps
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.kernel import age_cohorts
from forecast.population.projection import PopulationAssumptions, project_population
from forecast.population.stochastic import AR1, StochasticSettings, draw_shocks, fit_ar1

from .test_population_moves_housing import write_moves

KONSTANZ = Path(__file__).resolve().parents[1] / "data" / "konstanz"
WIDE = StochasticSettings(age_groups=((0, 17), (18, 100)), age_group_sigma=(0.05, 0.1)).scaled(
    2.0
)  # wider than calibrated, so that differences between draws are large


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory, tinycity_dir) -> Path:
    """Tinycity with moves between districts and 120 dwellings planned in district b."""
    folder = Path(shutil.copytree(tinycity_dir, tmp_path_factory.mktemp("t") / "tinycity"))
    write_moves(folder)
    pd.DataFrame({"year": [2024], "district": ["b"], "dwellings": [120]}).to_csv(
        folder / "housing.csv", index=False
    )
    return folder


@pytest.fixture(scope="module")
def tiny_rates(tiny_folder: Path):
    return estimate_base_rates(load_city(tiny_folder), EstimationSettings())


def simulate(rates, settings, draws, seed, **kw):
    plan = make_plan(rates, PopulationAssumptions(), 12)
    return simulate_population(
        plan, rates.districts, settings, draws, np.random.SeedSequence(seed), **kw
    )


def test_identities_hold_in_every_draw(tiny_rates) -> None:
    plan = make_plan(tiny_rates, PopulationAssumptions(), 10)
    seeds = np.random.SeedSequence(5).spawn(8)
    shocks = draw_shocks(WIDE, seeds, plan.horizon, len(tiny_rates.districts))
    prev = np.broadcast_to(plan.population, (8,) + plan.population.shape)
    for step in run_steps(plan, shocks):
        c = step.components
        expected = age_cohorts(prev)
        expected[..., 0] = c.births
        expected = (
            expected - c.deaths + c.in_migrants - c.out_migrants + c.internal_in - c.internal_out
        )
        assert np.abs(step.population - expected).max() < 1e-8
        assert np.abs((c.internal_in - c.internal_out).sum(axis=1)).max() < 1e-9
        assert (step.population >= 0).all()
        prev = step.population
    # The draws really differ from each other.
    assert prev.sum(axis=(1, 2, 3)).std() > 10


@pytest.mark.parametrize("model", ["od", "pool"])
def test_population_only_path_equals_the_full_kernel(tiny_folder: Path, model: str) -> None:
    rates = estimate_base_rates(load_city(tiny_folder), EstimationSettings(internal_model=model))
    assert rates.internal.model == model and rates.housing_years.size
    plan = make_plan(rates, PopulationAssumptions(), 8)
    shocks = draw_shocks(WIDE, np.random.SeedSequence(9).spawn(5), 8, len(rates.districts))
    full = [s.population for s in run_steps(plan, shocks)]
    fast = [s.population for s in run_steps(plan, shocks, components=False)]
    for a, b in zip(full, fast, strict=True):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-9)


def test_same_seed_same_draws_other_seed_other_draws(tiny_rates) -> None:
    a = simulate(tiny_rates, WIDE, 20, seed=1)
    b = simulate(tiny_rates, WIDE, 20, seed=1)
    c = simulate(tiny_rates, WIDE, 20, seed=2)
    assert np.array_equal(a.samples, b.samples)
    assert np.array_equal(a.quantiles, b.quantiles)
    assert not np.allclose(a.samples[:, -1], c.samples[:, -1])


def _draw_block(args):
    rates, first, last = args
    return simulate(rates, WIDE, 20, seed=3, draw_range=(first, last)).samples


def test_blocks_and_parallel_jobs_give_the_serial_draws(tiny_rates) -> None:
    serial = simulate(tiny_rates, WIDE, 20, seed=3, chunk=50).samples
    small_chunks = simulate(tiny_rates, WIDE, 20, seed=3, chunk=3).samples
    assert np.array_equal(serial, small_chunks)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_draw_block, [(tiny_rates, 0, 7), (tiny_rates, 7, 20)]))
    assert np.array_equal(np.concatenate(parts), serial)


def test_spilling_to_disk_gives_the_same_summary(tiny_rates, tmp_path: Path) -> None:
    memory = simulate(tiny_rates, WIDE, 30, seed=4)
    budget = MemoryBudget(1000, scratch=tmp_path)
    disk = simulate(tiny_rates, WIDE, 30, seed=4, budget=budget, young_ages=27)
    assert disk.spilled and not memory.spilled
    assert budget.spilled == ["population_draws", "population_young"]
    assert np.array_equal(memory.quantiles, disk.quantiles)
    assert np.array_equal(memory.total_quantiles, disk.total_quantiles)
    assert np.array_equal(memory.samples, disk.samples)  # the draws are kept on disk too
    assert len(list(tmp_path.iterdir())) == 2
    disk.close()
    assert list(tmp_path.iterdir()) == []  # the scratch files are gone


def test_zero_variance_median_is_the_variant_path(tiny_rates) -> None:
    sim = simulate(tiny_rates, WIDE.scaled(0.0), 9, seed=6, young_ages=27)
    det = project_population(tiny_rates, PopulationAssumptions(), 12)
    starts = [lo for lo, _ in RESULT_AGE_GROUPS]
    grouped = np.add.reduceat(det.population, starts, axis=-1)  # (Y, D, 2, G)
    median = sim.quantiles[:, QUANTILES.index(0.5), :-1]
    # Reduced draws are stored as float32: equal to 1e-7 relative.
    assert np.allclose(median, grouped, rtol=2e-7, atol=1e-4)
    # The demand models' single ages are float32 too.
    assert np.allclose(sim.young_draws(0, 1)[0], det.population[..., :27], rtol=2e-7, atol=1e-4)


def test_quantiles_are_ordered_and_long_table_complete(tiny_rates) -> None:
    sim = simulate(tiny_rates, WIDE, 25, seed=8)
    assert (np.diff(sim.quantiles, axis=1) >= 0).all()
    long = pd.concat([sim.to_long(), *sim.sample_frames(rows_per_frame=500)])
    samples = long[long["statistic"] == "sample"].set_index(["replicate", "year", "district"])
    # Row-wise layout of the streamed samples: draw 7's city total in the last year.
    last = int(sim.years[-1])
    total = samples[samples["variable"] == "Population|Total"].loc[(7, last, "_city"), "value"]
    assert total == pytest.approx(float(sim.samples[7, -1, -1].sum()), rel=1e-6)
    n_cells = len(sim.years) * (len(sim.districts) + 1) * (2 * len(RESULT_AGE_GROUPS) + 1)
    assert len(long) == n_cells * (len(QUANTILES) + 1 + 25)
    assert set(long["statistic"]) == {"quantile", "mean", "sample"}
    assert (long["value"] >= 0).all()


def test_ar1_fit_recovers_a_known_process() -> None:
    rng = np.random.default_rng(11)
    truth = AR1(0.6, 0.05)
    series = truth.simulate(rng, 400, (30,))  # 30 parallel series of 400 years
    noise = 0.01**2
    fitted, _ = fit_ar1(series + rng.normal(scale=0.01, size=series.shape), noise)
    assert fitted.phi == pytest.approx(0.6, abs=0.03)
    assert fitted.sigma == pytest.approx(0.05, rel=0.05)


def test_calibration_report_names_every_process() -> None:
    city = load_city(KONSTANZ).restrict_to(2019)
    rates = estimate_base_rates(city, EstimationSettings(base_year=2019))
    settings, report = calibrate(
        city, rates, EstimationSettings(base_year=2019), PopulationAssumptions()
    )
    assert set(report["processes"]) >= {"fertility", "mortality", "immigration", "age_pattern"}
    assert report["backtest"]["cells"] > 100
    assert settings.immigration.sigma > 0


def test_konstanz_80_percent_interval_covers_70_to_90_percent_of_cells() -> None:
    """Issue 3: projection from 2014 (calibrated on 2009-2014 only) against the 2019 register."""
    result = interval_coverage(load_city(KONSTANZ), 2014, 2019, draws=400, seed=20261121)
    assert 0.70 <= result["coverage"] <= 0.90, result["table"]


def test_ar1_variance_is_the_variance_of_its_paths() -> None:
    process = AR1(0.6, 0.1)
    paths = process.simulate(np.random.default_rng(12), 8, (20000,))
    # Sample variance of 20,000 normal values: relative standard error sqrt(2 / 20000) = 1 %.
    assert np.allclose(paths.var(axis=1), process.variance(8), rtol=0.05)
    assert np.allclose(AR1(1.0, 0.1).variance(5), 0.01 * np.arange(1, 6))


def test_district_and_age_factors_have_mean_one_city_factors_median_one() -> None:
    settings = StochasticSettings(
        immigration=AR1(0.6, 0.2),
        immigration_district=AR1(0.0, 0.3),
        age_groups=((0, 17), (18, 100)),
        age_group_sigma=(0.3, 0.3),
    )
    only_city = replace(settings, immigration_district=AR1(0.0, 0.0), age_group_sigma=(0.0, 0.0))
    only_local = replace(settings, immigration=AR1(0.0, 0.0))
    n, seeds = 4000, np.random.SeedSequence(13).spawn(4000)
    city = draw_shocks(only_city, seeds, 6, 2).immigration[:, :, 0]  # (n, H)
    local = draw_shocks(only_local, seeds, 6, 2)
    # Median of a log-normal factor: its rank has binomial standard error 0.5 / sqrt(n).
    assert np.abs((city < 1.0).mean(axis=0) - 0.5).max() < 4 * 0.5 / np.sqrt(n)
    # Means of log-normal factors with log sd <= 0.42: standard error <= 0.45 / sqrt(n); without
    # the correction the mean would be exp(0.3**2 / 2) = 1.046, 14 standard errors away.
    se = 0.45 / np.sqrt(n)
    assert np.abs(local.immigration.mean(axis=0) - 1.0).max() < 4 * se
    assert np.abs(local.age_migration.mean(axis=0) - 1.0).max() < 4 * se
    # Each direction of the age pattern is centred on its own: out rates too keep mean 1.
    assert np.abs(local.age_out().mean(axis=0) - 1.0).max() < 4 * se


def test_median_of_many_draws_is_the_variant_path_every_year(tinycity_dir: Path) -> None:
    """Issue 13: the main variant is the middle of the band (city total, every year).

    District in-migration varies as calibrated on Konstanz (log sd 0.22 a year, no persistence),
    the other processes as the defaults. If the variant path is the median of the draws, the
    share of draws below it is 0.5 with binomial standard error 0.5 / sqrt(N); 4 standard errors
    keep a false alarm over 12 correlated years far below 1 %. A log-normal district factor with
    median 1 (mean exp(0.22**2 / 2) = 1.024) puts 0.41 of the draws below after 12 years.
    """
    rates = estimate_base_rates(load_city(tinycity_dir), EstimationSettings())
    settings = StochasticSettings(
        immigration_district=AR1(0.0, 0.22),
        age_groups=((0, 17), (18, 100)),
        age_group_sigma=(0.05, 0.1),
    )
    n = 2000
    sim = simulate(rates, settings, n, seed=14)
    variant = project_population(rates, PopulationAssumptions(), 12).population.sum(axis=(1, 2, 3))
    totals = sim.samples[:, :, -1].astype(float).sum(axis=(-1, -2))  # (N, Y) city total
    below = (totals[:, 1:] < variant[1:]).mean(axis=0)
    assert np.abs(below - 0.5).max() < 4 * 0.5 / np.sqrt(n), below
