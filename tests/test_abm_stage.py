"""The ABM stage end to end on Tinycity: results schema, identities, sensitivity, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from forecast.problems import InputDataError
from simulation.config import register_configs
from simulation.pipeline import run_scenario
from simulation.results import COLUMNS, read_results
from simulation.rundir import open_run_folder

ROOT = Path(__file__).resolve().parents[1]
register_configs()
OVERRIDES = (
    "horizon=6",
    "scenario=tiny",
    "pipeline.stages=[population,abm]",
    "population.figures=false",
    "abm.replicates=8",
    "abm.sensitivity.replicates=2",
    "abm.sensitivity.months=36",
    "abm.sensitivity.parameters=[stationary_entry,transition_cost]",
)


def config(city: Path, *overrides: str):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"city.data_dir={city}", *overrides])
    return OmegaConf.to_object(cfg)


@pytest.fixture(scope="module")
def tiny_abm(tmp_path_factory, tinycity_dir):
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    with open_run_folder(run_dir) as folder:
        run_scenario(config(tinycity_dir, *OVERRIDES), folder, [])
    results = read_results(run_dir)
    return run_dir, results[results["model"] == "abm"]


def means(r: pd.DataFrame, variant: str, variable: str, district: str = "_city") -> np.ndarray:
    rows = r[
        (r["variant"] == variant)
        & (r["variable"] == variable)
        & (r["district"] == district)
        & (r["statistic"] == "mean")
        & ~r["variable"].str.startswith("ABM|Sensitivity")
    ]
    return rows.sort_values(["year", "month"])["value"].to_numpy()


def test_schema_months_districts_scenarios(tiny_abm) -> None:
    run_dir, r = tiny_abm
    assert list(r.columns) == list(COLUMNS)
    assert set(r["scenario"]) == {"tiny"}
    assert set(r["variant"]) == {"classic", "sozialraum"}
    assert set(r["district"]) == {"nord", "sued", "_city"}
    monthly = r[~r["variable"].str.startswith("ABM|Sensitivity")]
    assert set(monthly["month"]) == set(range(1, 13))
    assert set(monthly["year"]) == set(range(2023, 2029))
    assert set(r["statistic"]) == {"mean", "quantile", "sample"}
    q = r[r["statistic"] == "quantile"]
    assert set(q["quantile"]) == {0.1, 0.5, 0.9}
    wide = q.pivot_table(
        index=["variant", "district", "year", "month", "variable"],
        columns="quantile",
        values="value",
    )
    assert (wide[0.1] <= wide[0.5] + 1e-9).all() and (wide[0.5] <= wide[0.9] + 1e-9).all()
    samples = r[r["statistic"] == "sample"]
    assert set(samples["replicate"]) == set(range(8)) and set(samples["district"]) == {"_city"}
    assert (r.loc[r["statistic"] != "sample", "replicate"] == -1).all()


def test_stock_flow_and_cost_identities(tiny_abm) -> None:
    """Per replicate, hence for the mean: running(t) = running(t-1) + begun(t) - ended(t)."""
    _, r = tiny_abm
    for scenario in ("classic", "sozialraum"):
        for district in ("nord", "_city"):
            run = means(r, scenario, "ABM|Running|Total", district)
            begun = means(r, scenario, "ABM|Begun|Total", district)
            ended = means(r, scenario, "ABM|Ended|Total", district)
            np.testing.assert_allclose(run[1:], run[:-1] + begun[1:] - ended[1:], atol=1e-9)
    sro = "sozialraum"
    parts = [v for v in set(r["variable"]) if v.startswith("ABM|Cost|") and v != "ABM|Cost|Total"]
    total = sum(means(r, sro, v) for v in parts)
    np.testing.assert_allclose(total, means(r, sro, "ABM|Cost|Total"), rtol=1e-9)
    diff = np.cumsum(means(r, sro, "ABM|Cost|Total") - means(r, "classic", "ABM|Cost|Total"))
    np.testing.assert_allclose(diff, means(r, sro, "ABM|Cost difference|Total"), rtol=1e-9)
    share = means(r, "classic", "ABM|Stationary share")
    assert ((share >= 0) & (share <= 1)).all() and share.mean() > 0.1


def test_sensitivity_figures_and_manifest(tiny_abm) -> None:
    run_dir, r = tiny_abm
    table = pd.read_parquet(run_dir / "abm_sensitivity.parquet")
    assert set(table["parameter"]) == {"stationary_entry", "transition_cost"}
    sens = r[r["variable"].str.startswith("ABM|Sensitivity")]
    assert len(sens) == 5 and set(sens["variant"]) == {"sozialraum"}
    assert set(sens["month"]) == {12} and set(sens["year"]) == {2025}
    for name in ("abm_kostendifferenz.png", "abm_tornado.png"):
        assert (run_dir / "figures" / name).stat().st_size > 5_000
    manifest = json.loads((run_dir / "manifest.json").read_text())
    abm = manifest["abm"]
    assert abm["wirkungsraeume"] == {"nord": ["a", "b"], "sued": ["c"]}
    assert abm["replicates"] == 8 and abm["months"] == 72
    assert set(abm["cost_difference"]) == {"5 years"}
    assert {"P10", "P50", "P90", "P50 %"} <= set(abm["cost_difference"]["5 years"])
    assert manifest["summary"]["abm"].startswith("ABM 8 replicates, 2 Wirkungsräume")


def test_classic_only_and_bad_wirkungsraeume_write_nothing(tmp_path, tinycity_copy) -> None:
    city = tinycity_copy / "city.yaml"
    city.write_text(city.read_text() + "wirkungsraeume: {nord: [a, b]}\n", encoding="utf-8")
    cfg = config(tinycity_copy, *OVERRIDES, "service_model=classic", "abm.replicates=2")
    run_dir = tmp_path / "run"
    with pytest.raises(InputDataError, match="in no Wirkungsraum"):
        with open_run_folder(run_dir) as folder:
            run_scenario(cfg, folder, [])
    assert not run_dir.exists() and not list(tmp_path.glob(".run*"))


def test_classic_only_tables_have_no_differences() -> None:
    from simulation.abm.experiment import run_experiment
    from simulation.abm.inputs import AbmInputs
    from simulation.abm.params import ClassicParams
    from simulation.abm.tables import to_long

    inputs = AbmInputs.synthetic(under21=2_000, areas=2, years=1)
    ex = run_experiment(inputs, ClassicParams(), {}, 2, np.random.SeedSequence(0))
    long = to_long(ex.classic, ex)
    assert set(ex.runs) == {"classic"}
    assert not long["variable"].str.contains("difference|Prevention|Diverted").any()
    assert (
        len(long) == 4 * 12 * 3 * long["variable"].nunique()
    )  # 4 statistics, 12 months, 3 districts
