"""Absolute assumption paths: interpolation, e0 by Lee-Carter, mean age at birth, migration targets,
the checks of the assumptions file, the Destatis presets and one end-to-end run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from forecast.citydata import load_city, load_table_file
from forecast.contract import ASSUMPTION_QUANTITIES, CITY_DISTRICT
from forecast.lifetable import LifeTable
from forecast.population.assumption_paths import (
    AssumptionPaths,
    interpolate_path,
    mean_age_at_birth,
    shift_schedule,
)
from forecast.population.engine import Shocks, make_plan, run_steps
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.projection import PopulationAssumptions, project_population
from forecast.validate import InputDataError
from simulation.config import register_configs
from simulation.config_assumptions import (
    CONFIG_NAME,
    AssumptionsConfig,
    assumption_paths,
    relative_paths,
)
from simulation.params import Param
from tests.cli import run_city

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["year", "district", "sex", "quantity", "value"]


def paths(*rows) -> AssumptionPaths:
    """Assumption paths from rows (year, district, sex or None, quantity, value)."""
    return AssumptionPaths(pd.DataFrame(rows, columns=COLUMNS))


@pytest.fixture(scope="module")
def tiny_rates(tinycity_dir):
    return estimate_base_rates(load_city(tinycity_dir), EstimationSettings(base_period=3))


def test_interpolation_is_linear_from_the_base_level_and_held_after_the_last_year():
    years = np.arange(2022, 2036)
    path = interpolate_path(np.array([2030, 2025]), np.array([1.4, 1.6]), years, 2021, 1.5)
    expected = np.interp(years, [2021, 2025, 2030], [1.5, 1.6, 1.4])
    np.testing.assert_allclose(path, expected)
    assert path[years >= 2030].tolist() == [1.4] * 6  # held after the last year given
    held = interpolate_path(np.array([2025]), np.array([2.0]), years, 2021, None)
    np.testing.assert_allclose(held, 2.0)  # no base level: the first value is held before it


def test_e0_path_is_met_and_improvement_is_age_specific(tiny_rates):
    base = tiny_rates.base_year
    ap = paths(
        (base + 10, CITY_DISTRICT, "f", "e0", 90.0), (base + 10, CITY_DISTRICT, "m", "e0", 86.0)
    )
    plan = make_plan(tiny_rates, PopulationAssumptions(absolute=ap), 15)
    e0 = LifeTable(mx=plan.tables.mx, ax=plan.tables.ax).e0  # recomputed from the tables
    target = np.stack(
        [
            np.interp(np.arange(1, 16), [0, 10], [tiny_rates.life_table.e0[s], t])
            for s, t in enumerate((90.0, 86.0))
        ],
        axis=1,
    )
    np.testing.assert_allclose(e0, target, atol=0.01)
    # Lee-Carter, not proportional: children and young adults improve much faster than the 90+.
    ratio = plan.tables.mx[-1] / tiny_rates.life_table.mx  # (2, A)
    young, very_old = ratio[:, 1:45].mean(axis=1), ratio[:, 92:].mean(axis=1)
    assert np.all(young < very_old - 0.1)
    assert np.ptp(ratio[:, :100], axis=1).min() > 0.1


def test_mean_age_shift_moves_the_schedule_and_keeps_the_tfr(tiny_rates):
    asfr = tiny_rates.asfr[0]
    for shift in (1.3, -0.7, 2.0):
        moved = shift_schedule(asfr, np.array(shift))
        assert moved.sum() == pytest.approx(asfr.sum(), rel=1e-12)
        assert mean_age_at_birth(moved) - mean_age_at_birth(asfr) == pytest.approx(shift, abs=0.02)
    base = tiny_rates.base_year
    target_mean = float(mean_age_at_birth(tiny_rates.asfr).mean()) + 1.5
    ap = paths((base + 5, CITY_DISTRICT, None, "mean_age_birth", target_mean))
    plan = make_plan(tiny_rates, PopulationAssumptions(absolute=ap), 8)
    np.testing.assert_allclose(mean_age_at_birth(plan.asfr[5:]), target_mean, atol=0.02)
    tfr = np.broadcast_to(tiny_rates.asfr.sum(axis=-1), (8, 3))
    np.testing.assert_allclose(plan.asfr.sum(axis=-1), tfr, rtol=1e-12)  # TFR unchanged


def test_absolute_tfr_keeps_the_district_profile(tiny_rates):
    base = tiny_rates.base_year
    ap = paths((base + 4, CITY_DISTRICT, None, "tfr", 1.9), (base + 4, "a", None, "tfr", 1.2))
    plan = make_plan(tiny_rates, PopulationAssumptions(absolute=ap), 6)
    tfr = plan.asfr.sum(axis=-1)[-1]
    profile = tiny_rates.asfr.sum(axis=1) / tiny_rates.diagnostics["tfr_city"]
    assert tfr[0] == pytest.approx(1.2)
    np.testing.assert_allclose(tfr[1:], 1.9 * profile[1:])


def test_net_migration_path_is_met_exactly_on_the_deterministic_path(tiny_rates):
    base = tiny_rates.base_year
    ap = paths(
        (base + 1, CITY_DISTRICT, None, "net_migration", 400.0),
        (base + 4, CITY_DISTRICT, None, "net_migration", -80.0),
        (base + 8, CITY_DISTRICT, None, "net_migration", 150.0),
        (base + 2, "b", None, "net_migration", 20.0),
        (base + 2, "c", None, "in_migration", 250.0),
    )
    proj = project_population(tiny_rates, PopulationAssumptions(absolute=ap), 12)
    years = proj.years[1:]
    net = proj.net_migration.sum(axis=(-1, -2))  # (H, D)
    city = np.interp(years, [base + 1, base + 4, base + 8], [400.0, -80.0, 150.0])
    np.testing.assert_allclose(net.sum(axis=1), city, atol=1e-6)
    np.testing.assert_allclose(net[1:, 1], 20.0, atol=1e-6)  # district b from its first year on
    np.testing.assert_allclose(proj.in_migrants.sum(axis=(-1, -2))[1:, 2], 250.0, atol=1e-6)
    assert (proj.population >= 0).all()
    # Draws with all shocks equal to one are the variant path, also with per-year factors.
    plan = make_plan(tiny_rates, PopulationAssumptions(absolute=ap), 12)
    ones = np.ones((2, 12, 3))
    shocks = Shocks(ones, np.ones((2, 12)), ones, ones, ones)
    last = [s.population for s in run_steps(plan, shocks)][-1]
    np.testing.assert_allclose(last[0], proj.population[-1], rtol=1e-10)


def _write(city: Path, text: str) -> None:
    (city / "assumptions.csv").write_text(text, encoding="utf-8")


def test_bad_assumptions_file_names_file_row_and_column(tinycity_copy, tmp_path):
    bad = (
        "year,district,sex,quantity,value\n"
        "2030,_city,,fertility,1.5\n"  # unknown quantity
        "2030,_city,,tfr,-1.4\n"  # negative TFR
        "2030,zz,,net_migration,100\n"  # district not in city.yaml
    )
    _write(tinycity_copy, bad)
    with pytest.raises(InputDataError) as err:
        load_city(tinycity_copy)
    found = {(p.file, p.row, p.column) for p in err.value.problems}
    assert found == {
        ("assumptions.csv", 2, "quantity"),
        ("assumptions.csv", 3, "value"),
        ("assumptions.csv", 4, "district"),
    }
    text = str(err.value)
    assert "'fertility'" in text and "-1.4" in text and "'zz'" in text
    external = tmp_path / "land.csv"
    external.write_text(bad, encoding="utf-8")
    with pytest.raises(InputDataError) as err:
        load_table_file(external, "assumptions", ("a", "b", "c"))
    assert {p.row for p in err.value.problems} == {2, 3, 4}
    assert all(p.file == str(external) for p in err.value.problems)


def test_presets_compose_and_the_configuration_wins_over_the_city_file(tinycity_copy):
    _write(
        tinycity_copy,
        "year,district,sex,quantity,value\n2030,_city,,tfr,1.9\n2030,_city,,net_migration,50\n",
    )
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=["population/assumptions=[destatis15_g1,destatis15_l3]"])
        main = compose("config", overrides=["population/assumptions=destatis15_main"])
    assert main.population.assumptions.net_migration.value[2033] == 250000
    assert "Destatis" in main.population.assumptions.e0.source
    ap = assumption_paths(cfg.population.assumptions, None, load_city(tinycity_copy))
    tfr = ap.table[ap.table["quantity"] == "tfr"]
    assert tfr["value"].tolist() == [1.44]  # the preset replaced the file's TFR
    assert (
        ap.origin["tfr"].startswith("configuration")
        and "assumptions file" in ap.origin["net_migration"]
    )
    assert set(ap.table.loc[ap.table["quantity"] == "e0", "sex"]) == {"f", "m"}
    assert set(relative_paths(cfg.population)) == set(ASSUMPTION_QUANTITIES)
    broken = AssumptionsConfig(tfr=Param(value={2030: -1.0}, unit="children", source="typo"))
    with pytest.raises(InputDataError, match="tfr") as err:
        assumption_paths(broken, None, load_city(tinycity_copy))
    assert err.value.problems[0].file == CONFIG_NAME


def test_run_with_an_assumptions_file_end_to_end(tinycity_copy, tmp_path):
    """``jhplan run`` on Tinycity with an assumptions file: manifest and results follow it."""
    _write(
        tinycity_copy,
        "year,district,sex,quantity,value\n"
        "2026,_city,,tfr,1.8\n"
        "2030,_city,f,e0,88\n"
        "2030,_city,m,e0,84\n"
        "2024,_city,,net_migration,120\n"
        "2026,_city,,net_migration,60\n",
    )
    runs = tmp_path / "runs"
    run_dir = run_city(
        runs, "horizon=6", "pipeline.stages=[population]", "scenario=abs", city=tinycity_copy
    )
    manifest = json.loads((run_dir / "manifest.json").read_text())
    used = manifest["population"]["assumption_paths"]
    assert used["tfr"].startswith("absolute") and used["e0"].startswith("absolute")
    assert used["net_migration"].startswith("absolute")
    assert used["mean_age_birth"].startswith("base period")
    assert "assumptions.csv" in manifest["input_sha256"]
    results = pd.read_parquet(run_dir / "results")
    net = results[
        (results["variable"] == "Population|Net migration") & (results["district"] == "_city")
    ].set_index("year")["value"]
    assert net.loc[2024] == pytest.approx(120, abs=1e-6)
    assert net.loc[2026:].to_numpy() == pytest.approx(60, abs=1e-6)
