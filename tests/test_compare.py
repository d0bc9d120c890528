"""Comparing runs (simulation.compare, simulation.rundb) on small synthetic run folders.

The runs are written with the real results writer, so DuckDB reads exactly what a run writes;
the numbers are chosen so that every expected difference can be computed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.compare import (
    INDEPENDENT,
    MEDIANS,
    PAIRED,
    SCENARIO,
    SEEDS_ONLY,
    compare_runs,
)
from simulation.compare_output import compare_command
from simulation.compare_sro import SAME_RUN
from simulation.results import read_results, to_results, write_results
from simulation.rundb import find_runs

YEARS = (2025, 2026, 2027)


def write_run(
    root: Path,
    name: str,
    scenario: str,
    seed: int,
    draws: int,
    samples: np.ndarray,
    cost_median: float = 100.0,
    task: str = "run",
) -> Path:
    """A run folder: Population|Total samples (draws x years) and quantiles; an HzE cost median."""
    run = root / name

    def rows(values, **columns) -> pd.DataFrame:
        cells = {"district": "_city", "year": YEARS, "variable": "Population|Total"}
        return pd.DataFrame({**cells, "unit": "persons", "value": values, **columns})

    frames = [rows(s, statistic="sample", replicate=d) for d, s in enumerate(samples)]
    levels = (0.1, 0.5, 0.9)
    for level, q in zip(levels, np.quantile(samples, levels, axis=0), strict=True):
        frames.append(rows(q, statistic="quantile", quantile=level, replicate=-1))
    long = pd.concat(frames, ignore_index=True)
    write_results(to_results(long, "population", scenario, name), run, part="population")
    hze = pd.DataFrame(
        {
            "district": "_city",
            "year": YEARS,
            "variable": "HzE|Cost|Total",
            "unit": "EUR",
            "value": [cost_median, cost_median + 1, cost_median + 2],
            "statistic": "quantile",
            "quantile": 0.5,
        }
    )
    write_results(to_results(hze, "hze", scenario, name), run, part="hze")
    manifest = {
        "run_id": name,
        "task": task,
        "scenario": scenario,
        "root_seed": seed,
        "draws": draws,
        "overrides": [f"seed={seed}"],
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.fixture
def base_samples() -> np.ndarray:
    rng = np.random.default_rng(1)
    return 1000 + rng.normal(0, 10, size=(9, len(YEARS)))


def test_same_config_and_seed_differs_by_exactly_zero(tmp_path, base_samples):
    write_run(tmp_path, "a", "baseline", 1, 9, base_samples)
    write_run(tmp_path, "b", "baseline", 1, 9, base_samples.copy())
    c = compare_runs([tmp_path])
    assert len(c.pairs) == 1 and bool(c.pairs["paired"].iloc[0])  # one pair, not both ways
    assert (c.differences["difference"] == 0.0).all()
    assert len(c.differences) == 3 * 3 + 3  # population quantiles + HzE medians, all lined up
    assert (c.intervals[["mean", "p10", "p50", "p90"]].to_numpy() == 0.0).all()
    assert int(c.pairs["unmatched_rows"].iloc[0]) == 0


def test_paired_interval_is_the_quantile_of_per_replicate_differences(tmp_path, base_samples):
    """With common random numbers the difference is computed draw by draw; its P10-P90 is not
    the difference of the two runs' P10 and P90."""
    shift = np.linspace(0.0, 80.0, base_samples.shape[0])[:, None]  # effect differs by draw
    scenario = base_samples + shift
    write_run(tmp_path, "base", "baseline", 7, 9, base_samples)
    write_run(tmp_path, "sro", "sozialraum", 7, 9, scenario, cost_median=90.0)
    c = compare_runs([tmp_path / "base", tmp_path / "sro"])
    row = c.intervals[c.intervals["year"] == 2026].iloc[0]
    expected = np.quantile(shift[:, 0], [0.1, 0.5, 0.9])
    np.testing.assert_allclose(row[["p10", "p50", "p90"]].to_numpy(float), expected, rtol=1e-12)
    assert row["method"] == PAIRED and row["replicates"] == 9
    # Difference of medians vs median of differences: not the same number here.
    med = c.differences[
        (c.differences["quantile"] == 0.5)
        & (c.differences["year"] == 2026)
        & (c.differences["model"] == "population")
    ]["difference"].iloc[0]
    assert med == pytest.approx(np.median(scenario[:, 1]) - np.median(base_samples[:, 1]))
    assert abs(med - expected[1]) > 1e-6
    cost = c.differences[c.differences["model"] == "hze"]["difference"]
    np.testing.assert_array_equal(cost.to_numpy(), [-10.0, -10.0, -10.0])
    summary = c.summary.set_index(["variable", "year"])
    assert summary.loc[("Population|Total", 2026), "method"] == PAIRED
    assert summary.loc[("HzE|Cost|Total", 2026), "method"] == MEDIANS
    assert summary.loc[("HzE|Cost|Total", 2026), "difference_pct"] == pytest.approx(-10 / 101 * 100)


def test_pairs_by_seed_and_says_when_replicates_are_independent(tmp_path, base_samples):
    write_run(tmp_path, "b1", "baseline", 1, 9, base_samples)
    write_run(tmp_path, "b2", "baseline", 2, 9, base_samples + 1)
    write_run(tmp_path, "h2", "high_migration", 2, 9, base_samples + 5)
    write_run(tmp_path, "h3", "high_migration", 3, 9, base_samples + 5)
    c = compare_runs([tmp_path])
    pairs = {(r.label, r.reference_label): (r.paired, r.kind) for r in c.pairs.itertuples()}
    assert pairs == {
        # The other baseline is compared with the first, and named as what it is.
        ("baseline@seed=2", "baseline@seed=1"): (False, SEEDS_ONLY),
        ("high_migration@seed=2", "baseline@seed=2"): (True, SCENARIO),  # same seed: paired
        ("high_migration@seed=3", "baseline@seed=1"): (False, SCENARIO),  # no seed 3 baseline
    }
    # Seed noise is never a headline difference: the seeds-only pair is named, not listed.
    text = c.summary_text()
    assert "baseline@seed=2 vs baseline@seed=1: no scenario difference: seeds only" in text
    assert "baseline@seed=2 - baseline@seed=1" not in text
    unpaired = c.intervals[c.intervals["label"] == "high_migration@seed=3"]
    assert set(unpaired["method"]) == {INDEPENDENT}
    paired = c.intervals[c.intervals["label"] == "high_migration@seed=2"]
    np.testing.assert_allclose(paired[["p10", "p90"]].to_numpy(), 4.0, atol=1e-9)


def assert_one_pair(root: Path, samples: np.ndarray, names: tuple[str, str], shift: float) -> None:
    """Two runs named ``names``, the second ``shift`` above the first: compared with the second as
    reference, the first is the one pair and every population difference is -shift."""
    write_run(root, "a", names[0], 1, 9, samples)
    write_run(root, "b", names[1], 1, 9, samples + shift)
    c = compare_runs([root], reference=names[1])
    assert list(c.pairs["label"]) == [names[0]]
    population = c.differences["model"] == "population"
    np.testing.assert_allclose(c.differences.loc[population, "difference"], -shift, atol=1e-9)


def test_reference_by_label_and_errors(tmp_path, base_samples):
    assert_one_pair(tmp_path, base_samples, ("low", "high"), 2.0)
    with pytest.raises(ValueError, match="names no run"):
        compare_runs([tmp_path], reference="nosuch")
    only = tmp_path / "only"
    only.mkdir()
    write_run(only, "z", "baseline", 1, 9, base_samples)
    with pytest.raises(ValueError, match="nothing to compare"):
        compare_runs([only])


def test_finds_runs_in_sweeps_and_skips_partial_backtest_and_empty(tmp_path, base_samples):
    sweep = tmp_path / "sweep"
    write_run(sweep, "0_baseline", "baseline", 1, 9, base_samples)
    write_run(sweep, "1_baseline", "baseline", 2, 9, base_samples)
    write_run(sweep, ".2_baseline.partial-123", "baseline", 3, 9, base_samples)
    write_run(sweep, "bt", "baseline", 1, 9, base_samples, task="backtest")
    other = tmp_path / "other"
    write_run(other, "0_baseline", "baseline", 1, 9, base_samples)
    runs = find_runs([sweep, other])
    assert [r.path.name for r in runs] == ["0_baseline", "1_baseline", "0_baseline"]
    labels = [r.label for r in runs]
    assert len(set(labels)) == 3 and labels[1] == "baseline@seed=2"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no run folder"):
        find_runs([tmp_path / "empty"])
    with pytest.raises(ValueError, match="no such folder"):
        find_runs([tmp_path / "missing"])


def test_numeric_scenario_names_stay_text(tmp_path, base_samples):
    assert_one_pair(tmp_path, base_samples, ("2030", "007"), 3.0)


def write_old_format(frame: pd.DataFrame, run: Path, part: str) -> None:
    """Results as run folders wrote them before the variant column: the ABM's service model as a
    ``+<variant>`` suffix of the scenario partition, no ``variant`` column."""
    for (scenario, variant), rows in frame.groupby(["scenario", "variant"], dropna=False):
        name = scenario if pd.isna(variant) else f"{scenario}+{variant}"
        target = run / "results" / f"scenario={name}" / f"{part}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        rows.drop(columns=["scenario", "variant"]).to_parquet(target, index=False)


@pytest.mark.parametrize("old_format", [False, True, "mixed"])
def test_abm_yearly_cost_difference_per_replicate_from_monthly_samples(tmp_path, old_format):
    """Yearly sums per replicate, complete years only, then the per-replicate difference; the
    same from run folders with ``scenario=<s>+classic`` partitions, and across old and new runs."""
    runs = []
    for name, scenario, extra in (("c", "baseline", 0.0), ("s", "sro", 2.0)):
        rows = []
        for r in range(4):
            for month in range(1, 13):
                rows.append(("_city", 2026, month, r, 10.0 * r + month + extra))
            rows.append(("_city", 2027, 1, r, 5.0))  # an incomplete year: not summed
        long = pd.DataFrame(rows, columns=["district", "year", "month", "replicate", "value"])
        long["variable"], long["unit"], long["statistic"] = "ABM|Cost|Total", "EUR", "sample"
        run = tmp_path / name
        frame = to_results(long, "abm", scenario, name, variant="classic")
        if old_format is True or (old_format == "mixed" and name == "c"):
            write_old_format(frame, run, part="abm")
        else:
            write_results(frame, run, part="abm")
        back = read_results(run)
        assert set(back["scenario"]) == {scenario} and set(back["variant"]) == {"classic"}
        (run / "manifest.json").write_text(
            json.dumps(
                {"run_id": name, "task": "run", "scenario": scenario, "root_seed": 1, "draws": 4}
            )
        )
        runs.append(run)
    c = compare_runs(runs)
    monthly = c.intervals[(c.intervals["model"] == "abm") & (c.intervals["month"] > 0)]
    assert len(monthly) == 13  # 12 months of 2026, January 2027
    assert np.allclose(monthly.loc[monthly["year"] == 2026, "p50"], 2.0)  # 2 EUR more a month
    abm = c.intervals[(c.intervals["model"] == "abm") & (c.intervals["month"] == 0)]
    assert list(abm["year"]) == [2026] and list(abm["variant"]) == ["classic"]
    assert abm["p50"].iloc[0] == pytest.approx(24.0)  # 12 months x 2 EUR, every replicate
    level = c.levels[(c.levels["variable"] == "ABM|Cost|Total") & (c.levels["label"] == "baseline")]
    assert level["value"].iloc[0] == pytest.approx(np.median([120 * r + 78 for r in range(4)]))


def test_compare_command_writes_a_folder_once(tmp_path, base_samples, capsys):
    write_run(tmp_path / "runs", "a", "baseline", 1, 9, base_samples)
    write_run(tmp_path / "runs", "b", "high", 1, 9, base_samples + 1)
    out = tmp_path / "cmp"
    assert compare_command([str(tmp_path / "runs"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "high vs baseline (paired)" in printed and "comparison folder" in printed
    for name in (
        "manifest.json",
        "runs.csv",
        "pairs.csv",
        "summary.csv",
        "differences.parquet",
        "intervals.parquet",
        "summary.txt",
    ):
        assert (out / name).is_file(), name
    assert any((out / "charts").glob("*.png"))
    assert json.loads((out / "manifest.json").read_text())["task"] == "compare"
    before = (out / "summary.csv").read_bytes()
    assert compare_command([str(tmp_path / "runs"), "--out", str(out)]) == 1
    assert "never overwrites" in capsys.readouterr().err
    assert (out / "summary.csv").read_bytes() == before
    # The comparison folder itself is not a run: comparing its parent finds the two runs only.
    assert len(find_runs([tmp_path])) == 2


def test_rows_only_in_one_run_are_counted_not_compared(tmp_path, base_samples):
    a = write_run(tmp_path, "a", "baseline", 1, 9, base_samples)
    b = write_run(tmp_path, "b", "other", 1, 9, base_samples)
    extra = pd.DataFrame(
        {
            "district": "_city",
            "year": [2030],
            "variable": "Kita|Demand|U3",
            "unit": "children",
            "value": [5.0],
        }
    )
    write_results(to_results(extra, "kita", "other", "b"), b, part="kita")
    c = compare_runs([a, b])
    assert int(c.pairs["unmatched_rows"].iloc[0]) == 1
    assert int(c.pairs["matched_rows"].iloc[0]) == 9 * 3 + 3 * 3 + 3  # samples, quantiles, HzE
    assert "Kita|Demand|U3" not in set(c.differences["variable"])


def write_abm_run(
    root: Path, name: str, scenario: str, service_model: str, models: dict, seed: int = 1
) -> Path:
    """A run folder with ABM samples of the city: per service model in ``models`` a function
    (replicate, month) -> (cost, running, ended, stationary share) for one year (2026), and a
    configuration that differs between scenarios only in ``abm.service_model``."""
    run = root / name
    rows = []
    for variant, f in models.items():
        for r in range(5):
            for month in range(1, 13):
                cost, running, ended, share = f(r, month)
                for variable, value in (
                    ("ABM|Cost|Total", cost),
                    ("ABM|Running|Total", running),
                    ("ABM|Ended|Total", ended),
                    ("ABM|Stationary share", share),
                ):
                    rows.append((variant, variable, month, r, value))
    long = pd.DataFrame(rows, columns=["variant", "variable", "month", "replicate", "value"])
    long["district"], long["year"], long["unit"], long["statistic"] = "_city", 2026, "x", "sample"
    frames = [
        to_results(g.drop(columns="variant"), "abm", scenario, name, variant=v)
        for v, g in long.groupby("variant")
    ]
    if frames:
        write_results(pd.concat(frames), run, part="abm")
    run.mkdir(exist_ok=True)
    config = {"abm": {"service_model": service_model}, "seed": seed, "scenario": scenario}
    manifest = {
        "run_id": name,
        "task": "run",
        "scenario": scenario,
        "root_seed": seed,
        "draws": 5,
        "config": config,
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def classic(r: int, month: int) -> tuple[float, float, float, float]:
    return 1000.0 + 10 * r, 50.0 + r, 2.0, 0.40


def sro(r: int, month: int) -> tuple[float, float, float, float]:
    """Cheaper by 5 EUR x replicate a month; 2 fewer running helps in December; a share 0.05
    lower: every difference known by hand."""
    return 995.0 + 5 * r, 48.0 + r, 2.0, 0.35


def test_sozialraum_vs_a_baseline_without_abm_is_sro_minus_classic_of_the_same_replicates(
    tmp_path,
):
    base = write_abm_run(tmp_path, "b", "baseline", "classic", {})  # the baseline ran no ABM
    run = write_abm_run(
        tmp_path, "s", "sozialraum", "sozialraum", {"classic": classic, "sozialraum": sro}
    )
    c = compare_runs([base, run])
    e = c.effects.set_index("measure")
    assert set(e["method"]) == {SAME_RUN} and set(e["kind"]) == {SCENARIO}
    cost = -12 * (5.0 + 5 * np.arange(5))  # 12 months x (5 + 5 r) EUR less
    np.testing.assert_allclose(
        e.loc["cost", ["p10", "p50", "p90"]], np.quantile(cost, [0.1, 0.5, 0.9])
    )
    assert e.loc["cases", "p50"] == pytest.approx(-2.0)  # running in December + 24 ended
    assert e.loc["stationary", "p50"] == pytest.approx(-5.0)  # percentage points
    assert c.summary["effect"].iloc[0] and c.summary_text().startswith(
        "SRO effect sozialraum - classic"
    )
    # The other way round (sozialraum as reference): classic minus SRO, the same numbers negated;
    # pooled (what the first line and the report lead with) is SRO minus classic either way.
    back = compare_runs([base, run], reference="sozialraum")
    turned = back.effects.set_index("measure")
    assert turned.loc["cost", "p50"] == pytest.approx(-e.loc["cost", "p50"])
    assert set(turned["a_variant"]) == {"classic"}
    pooled = back.pooled[back.pooled["year"] > 0].set_index("measure")
    np.testing.assert_allclose(
        pooled.loc["cost", ["p10", "p50", "p90"]].to_numpy(float),
        e.loc["cost", ["p10", "p50", "p90"]].to_numpy(float),
    )
    assert pooled.loc["cost", "scenario"] == "sozialraum"


def test_a_baseline_with_the_classic_abm_is_paired_replicate_by_replicate(tmp_path):
    base = write_abm_run(tmp_path, "b", "baseline", "classic", {"classic": classic})
    run = write_abm_run(
        tmp_path, "s", "sozialraum", "sozialraum", {"classic": classic, "sozialraum": sro}
    )
    c = compare_runs([base, run])
    e = c.effects.set_index("measure")
    assert set(e["method"]) == {PAIRED}  # the baseline's own classic ABM, same seed and draws
    assert e.loc["cost", "p50"] == pytest.approx(-12 * 15.0)  # replicate 2: 5 + 5 x 2


def test_configurations_decide_seeds_only_whatever_the_names(tmp_path):
    a = write_abm_run(tmp_path, "a", "baseline", "classic", {"classic": classic}, seed=1)
    b = write_abm_run(tmp_path, "b", "renamed", "classic", {"classic": classic}, seed=2)
    c = compare_runs([a, b], reference="baseline")
    assert list(c.pairs["kind"]) == [SEEDS_ONLY]  # same configuration, other seed and name
    assert c.pooled.empty  # seed noise is never pooled into an effect
    assert "renamed vs baseline: no scenario difference: seeds only" in c.summary_text()
