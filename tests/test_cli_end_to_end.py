"""End-to-end: the jhplan command on the tiny test city and on the embedded Konstanz data."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import METHODS
from simulation.results import COLUMNS, read_results
from tests.cli import TINY, jhplan, only_run, run_city

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    res = jhplan("run", f"city.data_dir={TINY}", f"run_root={runs}", "horizon=6", "scenario=tiny")
    assert res.returncode == 0, res.stderr
    run_dir = only_run(runs)
    return run_dir, res


def test_run_writes_manifest_results_and_figures(tiny_run):
    run_dir, res = tiny_run
    assert "run folder:" in res.stdout
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for key in (
        "run_id",
        "created_at",
        "git_revision",
        "package_versions",
        "config",
        "overrides",
        "root_seed",
        "draws",
        "input_sha256",
        "fallbacks",
        "wall_time_s",
    ):
        assert key in manifest
    assert set(manifest["input_sha256"]) >= {"population.csv", "city.yaml"}
    assert "horizon=6" in manifest["overrides"]
    assert (run_dir / "figures" / "pyramid__city.png").stat().st_size > 1000
    assert (run_dir / "figures" / "total_a.png").exists()
    results = read_results(run_dir)
    assert list(results.columns) == list(COLUMNS)
    assert set(results["scenario"]) == {"tiny"}
    assert set(results["model"]) == set(manifest["summary"]) - {"report"}  # one model per stage run
    districts = {"a", "b", "c", "_city"}
    by_district = ~results["model"].isin(["ganztag", "social"])
    assert set(results.loc[by_district, "district"]) == districts
    areas = {"nord", "sued"}  # the social stage's Wirkungsräume (city.yaml sozialraum)
    assert set(results.loc[results["model"] == "social", "district"]) == districts | areas
    schools = {"school:gs_nord", "school:gs_sued"}  # the Ganztag stage's catchment areas
    assert set(results.loc[results["model"] == "ganztag", "district"]) == districts | schools


def test_results_satisfy_accounting_identity(tiny_run):
    """From the written results alone: P(t+1) = P(t) + births - deaths + net migration (+ the
    reallocation between districts when the districts are a combination of methods)."""
    run_dir, _ = tiny_run
    r = read_results(run_dir)
    r = r[r["model"] == "population"]
    wide = r[
        r["variable"].isin(
            [
                "Population|Total",
                "Population|Births",
                "Population|Deaths",
                "Population|Net migration",
                "Population|Method adjustment",
            ]
        )
    ].pivot_table(index=["district", "year"], columns="variable", values="value")
    if "Population|Method adjustment" not in wide:
        wide["Population|Method adjustment"] = 0.0
    for district, g in wide.groupby(level="district"):
        g = g.droplevel("district").sort_index()
        change = g["Population|Total"].diff().iloc[1:]
        comp = (
            g["Population|Births"]
            - g["Population|Deaths"]
            + g["Population|Net migration"]
            + g["Population|Method adjustment"].fillna(0.0)
        ).iloc[1:]
        np.testing.assert_allclose(change, comp, atol=1e-6, err_msg=district)
    # Single ages add up to the totals, city = sum of districts.
    cells = r[r["variable"].str.count(r"\|") == 2]
    by_district = cells.groupby(["district", "year"])["value"].sum()
    np.testing.assert_allclose(
        by_district.to_numpy(), wide["Population|Total"].to_numpy(), rtol=1e-12
    )
    city = by_district.xs("_city", level="district")
    parts = by_district.drop("_city", level="district").groupby(level="year").sum()
    np.testing.assert_allclose(city, parts, rtol=1e-12)
    assert (
        r.loc[
            r["variable"].str.startswith("Population|")
            & ~r["variable"].isin(["Population|Net migration", "Population|Method adjustment"]),
            "value",
        ]
        >= 0
    ).all()


def test_same_config_gives_identical_results(tiny_run, tmp_path):
    run_dir, _ = tiny_run
    again = run_city(tmp_path, "horizon=6", "scenario=tiny", "population.figures=false")
    a = read_results(run_dir).drop(columns="run_id")
    b = read_results(again).drop(columns="run_id")
    pd.testing.assert_frame_equal(a, b)


def test_never_overwrites_an_earlier_run(tiny_run):
    run_dir, _ = tiny_run
    before = (run_dir / "manifest.json").read_bytes()
    res = jhplan("run", f"city.data_dir={TINY}", f"hydra.run.dir={run_dir}", "horizon=3")
    assert res.returncode == 1
    assert "never overwrites" in res.stderr
    assert (run_dir / "manifest.json").read_bytes() == before


def test_bad_input_exits_1_and_writes_nothing(tinycity_copy, tmp_path):
    pop = tinycity_copy / "population.csv"
    lines = pop.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",-7"
    pop.write_text("\n".join(lines) + "\n")
    runs = tmp_path / "runs"
    res = jhplan("run", f"city.data_dir={tinycity_copy}", f"run_root={runs}")
    assert res.returncode == 1
    assert "population.csv" in res.stderr and "row 6" in res.stderr and "count" in res.stderr
    assert not runs.exists() or not any(runs.iterdir())


def test_check_data_lists_planted_errors_in_konstanz_copy(tmp_path):
    city = Path(shutil.copytree(ROOT / "data" / "konstanz", tmp_path / "kn"))
    pop = city / "population.csv"
    lines = pop.read_text().splitlines()
    header = lines[0].split(",")
    assert header == ["year", "district", "sex", "age", "count"]
    lines[10] = "2009,atlantis,f,9,12"  # unknown district
    lines[20] = lines[20].replace(",f,", ",x,")  # unknown sex code
    lines[30] = lines[30].rsplit(",", 1)[0] + ",3.5"  # non-integer count
    pop.write_text("\n".join(lines) + "\n")
    births = city / "births.csv"
    b = births.read_text().splitlines()
    births.write_text("\n".join(b[:3] + b[4:]) + "\n")  # a gap in years
    res = jhplan("check-data", str(city))
    assert res.returncode == 1
    out = res.stdout
    assert "row 11" in out and "atlantis" in out
    assert "row 21" in out and "sex" in out
    assert "row 31" in out and "3.5" in out
    assert "births.csv, column 'year': no rows for 2011" in out
    assert "5 problem(s)" in out  # the 4 planted errors + the 2 missing cells they leave, one line


def test_check_data_clean_city_exits_0():
    res = jhplan("check-data", str(ROOT / "data" / "konstanz"))
    assert res.returncode == 0, res.stdout


def test_killed_run_leaves_no_run_folder(tmp_path):
    """SIGTERM in the middle of a run: no run folder, no partial folder remains."""
    import signal
    import time

    runs = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "run", f"run_root={runs}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    # Wait until the run writes into its hidden partial folder (the signal handler is set by then).
    while time.time() < deadline and not (
        runs.exists() and any(p.name.startswith(".") for p in runs.iterdir())
    ):
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not runs.exists() or list(runs.iterdir()) == []


def test_backtest_command_writes_error_table(tmp_path):
    res = jhplan(
        "backtest",
        f"city.data_dir={TINY}",
        f"run_root={tmp_path}",
        "backtest.base_year=2020",
        "backtest.horizon=2",
    )
    assert res.returncode == 0, res.stderr
    assert "Population backtest from 2020" in res.stdout and "hamilton_perry" in res.stdout
    (run_dir,) = list(tmp_path.iterdir())
    assert run_dir.name.endswith("_backtest-population-2020")
    table = pd.read_parquet(run_dir / "backtest_population.parquet")
    assert set(table["method"]) == set(METHODS)
    assert set(table["year"]) == {2021, 2022}
    assert {"a", "b", "c", "_city"} <= set(table["district"])
    assert set(table["age_group"]) == {"all", "0-2", "3-5", "6-9", "10-15", "16-20", "21-64", "65+"}
    # Errors are projected minus observed, and the register of 2021-2022 is the observed truth.
    np.testing.assert_allclose(table["error"], table["projected"] - table["observed"])


def test_stochastic_run_carries_draws_through_every_stage(tmp_path):
    """draws=N: population quantiles and samples; Kita and HzE get the N trajectories."""
    run_dir = run_city(tmp_path, "horizon=5", "draws=30", "population.figures=false")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    stochastic = manifest["population"]["stochastic"]
    assert stochastic["draws"] == 30 and "backtest" in stochastic["calibration"]
    results = read_results(run_dir)
    pop = results[results["model"] == "population"]
    q = pop[(pop["statistic"] == "quantile") & (pop["variable"] == "Population|Total")]
    assert sorted(q["quantile"].unique()) == [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    wide = q.pivot_table(index=["district", "year"], columns="quantile", values="value")
    assert (wide.diff(axis=1).iloc[:, 1:] >= -1e-9).all().all()  # P5 <= ... <= P95
    last = wide.xs(int(wide.index.get_level_values("year").max()), level="year")
    assert (last[0.95] > last[0.05]).all()  # the draws spread
    samples = pop[pop["statistic"] == "sample"]
    assert set(samples["replicate"]) == set(range(30))
    for model in ("kita", "hze"):
        rows = results[(results["model"] == model) & (results["statistic"] == "quantile")]
        assert len(rows) > 0, model
