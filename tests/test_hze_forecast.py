"""The HzE forecast: draws, quantiles, fallbacks, seeds, and the stage in a full run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from forecast.citydata import load_city
from forecast.hze.backtest import backtest_hze
from forecast.hze.catalogue import CATALOGUE
from forecast.hze.costs import CostAssumptions
from forecast.hze.forecast import expected_begun, forecast_hze, future_exposure
from forecast.hze.history import load_history, weighted_exposure
from forecast.hze.model import fit_hze
from forecast.hze.settings import HzeSettings
from forecast.population.estimate import population_array
from forecast.population.paths import PopulationPaths
from simulation.results import read_results
from tests.cli import jhplan, only_run, run_city

ROOT = Path(__file__).resolve().parent.parent
FAST = HzeSettings(backtest_sims=100, duration_grid=8)


def _fit(city_dir: Path, settings: HzeSettings = FAST, history: bool = True):
    """A city's fitted HzE model and its register (years ending in the base year)."""
    city = load_city(city_dir)
    reg, reg_years = population_array(city)
    base = int(reg_years[-1])
    expo0 = weighted_exposure(reg[-2:], tuple(CATALOGUE))[-1]
    hist = load_history(city) if history else None
    return fit_hze(hist, city.district_codes, base, expo0, settings, seed=3), reg, reg_years


def _exposure(fitted, years: int = 5, scale=(1.0,)):
    """Exposure of a constant-population projection, one population draw per scale factor."""
    model, reg, reg_years = fitted
    base = int(reg_years[-1])
    pop = np.stack([np.repeat(reg[-1:, ..., :27], years + 1, 0) * s for s in scale])
    paths = PopulationPaths(
        np.arange(base, base + years + 1), model.districts, pop, stochastic=len(scale) > 1
    )
    fyears = np.arange(model.last_year + 1, base + years + 1)
    exposure, u21 = future_exposure(paths, reg, reg_years, fyears)
    return model, exposure, u21, fyears


@pytest.fixture(scope="module")
def tiny_fit(tinycity_dir):
    return _fit(tinycity_dir)


@pytest.fixture(scope="module")
def tiny(tiny_fit):
    return _exposure(tiny_fit)


def test_draws_are_consistent_and_independent_of_chunking(tiny):
    model, exposure, u21, years = tiny
    seeds = np.random.SeedSequence(42).spawn(40)
    costs = CostAssumptions.defaults()
    fc = forecast_hze(model, exposure, u21, years, 40, seeds, costs)
    d = fc.draws
    for name in ("Begun", "Ended", "Running", "Case-months", "Cost"):
        assert np.all(d[name] >= 0), name
    assert np.all(d["Begun"] == np.round(d["Begun"]))
    np.testing.assert_array_equal(d["Cases"], d["Running"] + d["Ended"])
    # Stock-flow identity from the last observed stock on, in every draw and cell.
    stock = np.stack([model.hilfearten[h].stock for h in model.codes], -1)
    prev = np.concatenate([np.broadcast_to(stock, (40, 1, *stock.shape)), d["Running"][:, :-1]], 1)
    np.testing.assert_array_equal(d["Running"], prev + d["Begun"] - d["Ended"])
    # Draws 10..19 computed on their own are the same numbers (one generator per draw).
    part = forecast_hze(model, exposure, u21, years, 10, seeds[10:20], costs)
    for name in d:
        np.testing.assert_array_equal(part.draws[name], d[name][10:20])


def test_long_table_quantiles_and_sums(tiny):
    model, exposure, u21, years = tiny
    fc = forecast_hze(
        model,
        exposure,
        u21,
        years,
        60,
        np.random.SeedSequence(1).spawn(60),
        CostAssumptions.defaults(),
    )
    long = fc.to_long()
    q = long[long["statistic"] == "quantile"].pivot_table(
        index=["district", "year", "variable"], columns="quantile", values="value"
    )
    assert (q[0.1] <= q[0.5]).all() and (q[0.5] <= q[0.9]).all()
    assert (long.loc[~long["variable"].str.startswith("HzE|Rate"), "value"] >= 0).all()
    mean = long[long["statistic"] == "mean"].set_index(["district", "year", "variable"])["value"]
    cases = mean[mean.index.get_level_values("variable").str.startswith("HzE|Cases|p")]
    by_city = cases.drop("_city", level="district").groupby(level=["year", "variable"]).sum()
    np.testing.assert_allclose(
        by_city.sort_index(), cases.xs("_city", level="district").sort_index()
    )
    city = cases.xs("_city", level="district").groupby(level="year").sum()
    np.testing.assert_allclose(
        city, mean.xs(("_city", "HzE|Cases|Total"), level=("district", "variable"))
    )
    units = long.groupby("variable")["unit"].first()
    assert units["HzE|Cost|p34"] == "EUR per year, nominal"
    assert units["HzE|Real cost|Total"] == "EUR per year, prices of 2025"


def test_population_draw_d_feeds_hze_draw_d(tiny_fit):
    """Three population draws: the second doubled, the third tenfold; HzE draw d follows draw d."""
    model, exposure, u21, years = _exposure(tiny_fit, scale=(1.0, 2.0, 10.0))
    fc = forecast_hze(
        model,
        exposure,
        u21,
        years,
        3,
        np.random.SeedSequence(5).spawn(3),
        CostAssumptions.defaults(),
    )
    begun = fc.draws["Begun"][:, -1].sum(axis=(1, 2))
    assert begun[0] < begun[1] < begun[2]
    mu = expected_begun(model, exposure, years)
    np.testing.assert_allclose(mu[1], 2 * mu[0], rtol=1e-9)
    with pytest.raises(ValueError, match="must match"):
        forecast_hze(
            model,
            exposure,
            u21,
            years,
            5,
            np.random.SeedSequence(5).spawn(5),
            CostAssumptions.defaults(),
        )


def test_konstanz_national_rates_reproduce_the_national_fallzahl():
    """National rates applied to Konstanz's under-21 population (Konstanz without its synthetic
    history: the national fallback with steady-state stocks): the first year's median Fallzahl
    per 10,000 under 21 of each Hilfeart lies in the DOMAIN.md § 6.3 range. This checks the
    conversion Fallzahl -> begun cases, the durations and the age weights together."""
    model, exposure, u21, years = _exposure(_fit(ROOT / "data" / "konstanz", history=False), 2)
    assert {hm.rate_model.name for hm in model.hilfearten.values()} == {"national"}
    fc = forecast_hze(
        model,
        exposure,
        u21,
        years,
        300,
        np.random.SeedSequence(9).spawn(300),
        CostAssumptions.defaults(),
    )
    rate = np.median(fc.full("Rate")[:, 0, -1, :], axis=0)
    for h, code in enumerate(fc.codes):
        lo, hi = CATALOGUE[code].national_range
        assert lo <= rate[h] <= hi, (code, rate[h])
    assert "p41" not in fc.codes  # no national rate of its own, no history: not forecast
    assert any(n.startswith("p41 not forecast") for n in model.notes)


@pytest.mark.parametrize("with_history", [True, False], ids=["history", "no-history"])
def test_stage_end_to_end(tmp_path, tinycity_dir, with_history):
    city = Path(shutil.copytree(tinycity_dir, tmp_path / "city"))
    if not with_history:
        (city / "hze_cases.csv").unlink()
    runs = tmp_path / "runs"
    res = jhplan(
        "run",
        f"city.data_dir={city}",
        f"run_root={runs}",
        "horizon=4",
        "scenario=hz",
        "pipeline.stages=[population,hze]",
        "hze.draws=50",
        "population.figures=false",
        "hze.backtest.sims=60",
        "hze.backtest.origins=2",
    )
    assert res.returncode == 0, res.stderr
    assert "hze: HzE" in res.stdout
    run_dir = only_run(runs)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    hze = manifest["hze"]
    fallbacks = [f for f in manifest["fallbacks"] if "uses the national rate" in f]
    if with_history:
        assert hze["history"] == [2016, 2022] and hze["forecast_years"] == [2023, 2026]
        assert set(hze["hilfearten"]) == set(CATALOGUE)  # Tinycity books § 41 separately
        assert not fallbacks and "p34" in hze["base_year_rates"]["observed"]
    else:
        assert hze["history"] is None and hze["forecast_years"] == [2023, 2026]
        assert len(fallbacks) == 10 and "the city has no hze_cases" in fallbacks[0]
        assert {h["source"] for h in hze["hilfearten"].values()} == {"national"}
    assert (run_dir / "figures" / "hze_kosten__city.png").stat().st_size > 5000
    r = read_results(run_dir)
    r = r[r["model"] == "hze"]
    assert set(r["statistic"]) == {"mean", "quantile"} and set(r["district"]) == {
        "a",
        "b",
        "c",
        "_city",
    }
    cost = r[(r["variable"] == "HzE|Cost|Total") & (r["district"] == "_city")]
    q = cost.pivot_table(index="year", columns="quantile", values="value")
    assert (q[0.1] < q[0.5]).all() and (q[0.5] < q[0.9]).all()


def test_backtest_compares_with_what_was_observed(tinycity_dir):
    city = load_city(tinycity_dir)
    table = backtest_hze(city, 2019, 5, FAST, n_draws=60, seed=2)
    assert set(table["year"]) == {2020, 2021, 2022}  # cut at the last observed year
    history = load_history(city)
    p34 = history.index("p34")
    got = table.query("variable == 'Running' and hilfeart == 'p34' and district == '_city'")
    np.testing.assert_array_equal(got["observed"], history.running[-3:, :, p34].sum(1))
    np.testing.assert_allclose(table["error"], table["p50"] - table["observed"])
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()
    with pytest.raises(ValueError, match="no hze_cases after 2022"):
        backtest_hze(city, 2022, 2, FAST)


def test_social_covariates_run_on_the_tiny_city(tmp_path):
    """A covariate regression fitted at an early backtest origin drew rates of billions of cases
    ("lam value too large"); a draw never exceeds one begun help per person and year."""
    run_dir = run_city(
        tmp_path,
        "horizon=2",
        "draws=4",
        "seed=1",
        "hze=social",
        "pipeline.stages=[population,hze]",
        "population.figures=false",
        "hze.figures=false",
        "population.stochastic.calibrate=false",
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["summary"]["hze"].startswith("HzE")  # the stage finished
