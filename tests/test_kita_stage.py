"""The Kita stage end to end: results schema and identities, draws, bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from forecast.citydata import load_city
from forecast.population.paths import PopulationPaths
from forecast.validate import validate_city
from simulation.config import register_configs
from simulation.pipeline import StageContext, run_scenario
from simulation.results import COLUMNS, read_results
from simulation.rundir import open_run_folder
from simulation.stage_kita import kita_stage
from tests.cli import jhplan

ROOT = Path(__file__).resolve().parents[1]
CONF = str(ROOT / "conf")
register_configs()


def config(*overrides: str):
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return OmegaConf.to_object(compose(config_name="config", overrides=list(overrides)))


@pytest.fixture(scope="module")
def tiny_kita(tmp_path_factory, tinycity_dir):
    """A deterministic run of population + kita on Tinycity (figures of the population off)."""
    cfg = config(
        f"city.data_dir={tinycity_dir}",
        "horizon=6",
        "pipeline.stages=[population,kita]",
        "population.figures=false",
        "scenario=tiny",
    )
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    with open_run_folder(run_dir) as folder:
        run_scenario(cfg, folder, [])
    results = read_results(run_dir)
    return run_dir, results[results["model"] == "kita"]


def wide(r, variable):
    rows = r[r["variable"] == variable]
    return rows.pivot_table(index="year", columns="district", values="value")


def test_results_schema_and_year_convention(tiny_kita) -> None:
    run_dir, r = tiny_kita
    assert list(r.columns) == list(COLUMNS)
    assert set(r["district"]) == {"a", "b", "c", "_city"}
    assert set(r["statistic"]) == {"value"} and r["quantile"].isna().all()
    demand_years = set(r.loc[r["variable"] == "Kita|Demand|U3", "year"])
    assert demand_years == set(range(2022, 2029))  # Kita years 2022/23 (base) .. 2028/29
    past = set(r.loc[r["variable"] == "Kita|Participation|U3", "year"])
    assert past == set(range(2015, 2023))  # 1 March 2016..2023 = Kita years 2015..2022
    manifest = json.loads((run_dir / "manifest.json").read_text())
    kita = manifest["kita"]
    assert kita["school_entry"]["month"] == 9 and kita["school_entry"]["day"] == 30  # state NW
    assert set(kita["quota_models"]) == {"U3", "Ue3"}
    assert (run_dir / "figures" / "kita__city.png").stat().st_size > 5000
    assert (run_dir / "figures" / "kita_b.png").exists()


def test_accounting_identities_from_the_written_results(tiny_kita) -> None:
    _, r = tiny_kita
    demand = wide(r, "Kita|Demand|U3")
    parts = wide(r, "Kita|Demand|U3|Kita") + wide(r, "Kita|Demand|U3|Tagespflege")
    np.testing.assert_allclose(demand, parts, rtol=1e-12)
    for v in ("Kita|Demand|U3", "Kita|Demand|Ue3", "Kita|Children|U3", "Kita|Gap|U3"):
        w = wide(r, v)
        np.testing.assert_allclose(w["_city"], w[["a", "b", "c"]].sum(axis=1), rtol=1e-12)
    gap = wide(r, "Kita|Gap|U3")
    np.testing.assert_allclose(gap, wide(r, "Kita|Demand|U3|Kita") - wide(r, "Kita|Places|U3"))
    gap_ue3 = wide(r, "Kita|Gap|Ue3")
    np.testing.assert_allclose(gap_ue3, wide(r, "Kita|Demand|Ue3") - wide(r, "Kita|Places|Ue3"))
    groups = wide(r, "Kita|Gap groups|U3")
    np.testing.assert_array_equal(
        groups[["a", "b", "c"]], np.ceil(gap[["a", "b", "c"]].clip(0) / 10)
    )
    children = wide(r, "Kita|Children|U3")
    ages = sum(wide(r, f"Kita|Children|U3|Age {a}") for a in range(3))
    np.testing.assert_allclose(children, ages, rtol=1e-12)


def test_planned_opening_shows_in_places_and_gap(tiny_kita) -> None:
    _, r = tiny_kita
    places = wide(r, "Kita|Places|U3")
    assert places.loc[2023, "b"] == 20 and places.loc[2024, "b"] == 30  # opening in 2024/25
    assert places.loc[2028, "a"] == 40  # the 2020 row carries forward
    gap = wide(r, "Kita|Gap|U3")
    demand = wide(r, "Kita|Demand|U3|Kita")
    assert gap.loc[2024, "b"] == pytest.approx(demand.loc[2024, "b"] - 30)


def test_draws_give_quantiles_per_district(tinycity_dir, tmp_path) -> None:
    """With N population draws the projected variables are P10 <= P50 <= P90 over the draws."""
    cfg = config(f"city.data_dir={tinycity_dir}", "kita=history", "scenario=draws")
    city = load_city(tinycity_dir)
    years = np.arange(2022, 2028)
    rng = np.random.default_rng(7)
    pop = rng.poisson(15.0, size=(20, years.size, 3, 2, 27)).astype(float)
    with open_run_folder(tmp_path / "run") as folder:
        folder.manifest["fallbacks"] = []
        ctx = StageContext(cfg=cfg, city=city, folder=folder)
        ctx.population = PopulationPaths(years, ("a", "b", "c"), pop, stochastic=True)
        summary = kita_stage(ctx)
    assert "history" in summary
    r = read_results(tmp_path / "run")
    projected = r[r["variable"] == "Kita|Demand|U3"]
    assert set(projected["statistic"]) == {"quantile"}
    assert set(projected["quantile"]) == {0.1, 0.5, 0.9}
    q = projected.pivot_table(index=["district", "year"], columns="quantile", values="value")
    assert (q[0.1] <= q[0.5]).all() and (q[0.5] <= q[0.9]).all() and (q[0.1] < q[0.9]).any()
    past = r[r["variable"] == "Kita|Participation|U3"]
    assert set(past["statistic"]) == {"value"}


def test_bad_kita_input_is_reported_with_file_row_column(tinycity_copy) -> None:
    d = tinycity_copy
    places = (d / "kita_places.csv").read_text().splitlines()
    places[2] = "2016,b,-20,60"  # negative places, line 3
    places.append("2025,z,10,10")  # unknown district, line 7
    (d / "kita_places.csv").write_text("\n".join(places) + "\n")
    children = (d / "kita_children.csv").read_text().splitlines()
    # Line 2 is 2016, a, age 0, kita: 500 children under 1 where about 30 live.
    children[1] = "2016,a,0,,kita,500"
    children.append("2016,b,,u3,kita,3")  # an age group in a year given by single ages
    (d / "kita_children.csv").write_text("\n".join(children) + "\n")
    problems = {(p.file, p.row, p.column): p.message for p in validate_city(d)}
    assert "expected a whole number >= 0" in problems[("kita_places.csv", 3, "places_u3")]
    assert "'z'" in problems[("kita_places.csv", 7, "district")]
    quota = problems[("kita_children.csv", 2, "count")]
    assert "1 March 2016" in quota and "31.12.2015" in quota and "Betreuungsquote" in quota
    mixed = [m for (f, _, c), m in problems.items() if f == "kita_children.csv" and c is None]
    assert any("single ages and age groups" in m for m in mixed)


def test_bad_places_exit_1_and_write_nothing(tinycity_copy, tmp_path) -> None:
    d = tinycity_copy
    lines = (d / "kita_places.csv").read_text().splitlines()
    lines[1] = "2016,a,-36,100"
    (d / "kita_places.csv").write_text("\n".join(lines) + "\n")
    runs = tmp_path / "runs"
    res = jhplan("run", f"city.data_dir={d}", f"run_root={runs}", "horizon=3")
    assert res.returncode == 1
    assert "kita_places.csv, row 2, column 'places_u3'" in res.stderr
    assert "nothing was written" in res.stderr
    assert not runs.exists() or not any(runs.iterdir())


def test_quota_above_1_in_the_configuration_writes_nothing(tinycity_dir, tmp_path) -> None:
    cfg = config(
        f"city.data_dir={tinycity_dir}",
        "horizon=3",
        "population.figures=false",
        "kita.demand_quota.value.age1=1.3",
    )
    run_dir = tmp_path / "runs" / "run"
    with pytest.raises(ValueError, match=r"kita.demand_quota.value.age1 = 1.3: expected a share"):
        with open_run_folder(run_dir) as folder:
            run_scenario(cfg, folder, [])
    assert not run_dir.exists() and list((tmp_path / "runs").iterdir()) == []


def test_without_kita_files_the_fallbacks_are_named(tinycity_copy, tmp_path) -> None:
    (tinycity_copy / "kita_children.csv").unlink()
    (tinycity_copy / "kita_places.csv").unlink()
    cfg = config(
        f"city.data_dir={tinycity_copy}",
        "horizon=3",
        "population.figures=false",
        "kita=history",
        "kita.figures=false",
    )
    run_dir = tmp_path / "run"
    with open_run_folder(run_dir) as folder:
        summary = run_scenario(cfg, folder, [])
    assert "Kita demand (constant)" in summary["kita"]
    fallbacks = json.loads((run_dir / "manifest.json").read_text())["fallbacks"]
    assert any("no kita_children file" in f for f in fallbacks)
    assert any("no kita_places file" in f for f in fallbacks)
    assert any("quota path 'history'" in f for f in fallbacks)
    r = read_results(run_dir)
    variables = set(r.loc[r["model"] == "kita", "variable"])
    assert "Kita|Demand|U3" in variables
    assert not any(
        v.startswith(("Kita|Participation", "Kita|Places", "Kita|Gap")) for v in variables
    )


def test_district_histories_get_one_pooled_choice(tinycity_dir, tmp_path) -> None:
    """Tinycity has quotas for its three districts: one model is chosen for all on their pooled
    errors (panel model among the candidates); the history path runs on it; switching the
    pooling off gives a choice per district."""
    manifests = {}
    for pooled in (True, False):
        cfg = config(
            f"city.data_dir={tinycity_dir}",
            "horizon=4",
            "pipeline.stages=[population,kita]",
            "population.figures=false",
            "kita.figures=false",
            "kita.quota_path=history",
            f"kita.quota_panel={str(pooled).lower()}",
        )
        run_dir = tmp_path / f"run_{pooled}"
        with open_run_folder(run_dir) as folder:
            run_scenario(cfg, folder, [])
        manifests[pooled] = json.loads((run_dir / "manifest.json").read_text())["kita"]
        results = read_results(run_dir)
        demand = results[results["variable"] == "Kita|Demand|U3"]
        assert len(demand) and np.isfinite(demand["value"]).all() and (demand["value"] >= 0).all()
    for group in ("U3", "Ue3"):
        pooled = manifests[True]["quota_models"][group]
        assert set(pooled) == {"a", "b", "c"}
        chosen = {m["chosen"] for m in pooled.values()}
        assert len(chosen) == 1
        assert all("for all 3 districts" in m["note"] for m in pooled.values())
        for m in pooled.values():
            lo, mean, hi = (np.array(m["forecast"][k]) for k in ("lo_0.8", "mean", "hi_0.8"))
            assert np.all(lo <= mean) and np.all(mean <= hi) and np.all(np.diff(hi - lo) > 0)
        single = manifests[False]["quota_models"][group]
        assert not any("for all" in m["note"] for m in single.values())
