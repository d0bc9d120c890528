"""Sweeps: `jhplan run -m experiment=baseline,sozialraum seed=1,2` with the basic and the
submitit_local launcher, the sweep manifest, one run folder per job, then `jhplan compare` over the
sweep: the SRO effect with its interval first, seeds-only pairs named, baseline vs baseline of the
same seed exactly 0; `jhplan report --compare` pairs by scenario; runs named after their overrides.

Tiny settings keep this fast: Tinycity, 2 projected years, 4 draws without calibration (the
calibration backtests take half a minute), the HzE model without backtests, the ABM (sozialraum
only, as the bundles say) without sensitivity analysis, no figures, no report files.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from rich.console import Console

from simulation.cli import main as cli_main
from simulation.compare import IDENTICAL, SCENARIO, SEEDS_ONLY, compare_runs
from simulation.compare_sro import SAME_RUN
from simulation.config import register_configs
from simulation.config_report import ReportConfig
from simulation.hydra_run import derived_scenario, scenario_problem
from simulation.pipeline import run_scenario
from simulation.progress import RunProgress, progress_enabled
from simulation.report import build_report
from simulation.results import read_results
from simulation.rundir import open_run_folder
from simulation.sweep import (
    read_sweep_manifest,
)
from tests.cli import QUICK_MODELS, ROOT, TINY, jhplan

register_configs()  # the schema conf/config.yaml extends, for compose() in this process

FAST = [
    f"city.data_dir={TINY}",
    "horizon=2",
    "draws=4",
    "population.figures=false",
    "hze.figures=false",
    "abm.figures=false",
    "abm.sensitivity.enabled=false",
    "report.html=false",
    "report.workbook=false",
    *QUICK_MODELS,
]
"""The bundles' own stages: baseline without the ABM, sozialraum with it (classic and SRO)."""


def the_sweep(root: Path) -> Path:
    (sweep,) = [p for p in root.iterdir() if p.name.endswith("_sweep")]
    return sweep


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("basic")
    res = jhplan(
        "run", "-m", "experiment=baseline,sozialraum", "seed=1,2", f"run_root={root}", *FAST
    )
    assert res.returncode == 0, res.stderr
    return the_sweep(root)


@pytest.fixture(scope="module")
def single(tmp_path_factory) -> Path:
    """One more baseline run with seed 1, outside the sweep (in this process: same pipeline,
    without the start-up time of another interpreter)."""
    run = tmp_path_factory.mktemp("single") / "baseline_seed1"
    overrides = ["experiment=baseline", "seed=1", *FAST]
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = OmegaConf.to_object(compose("config", overrides=overrides))
    with open_run_folder(run) as folder:
        run_scenario(cfg, folder, overrides)
    return run


def test_sweep_writes_one_run_folder_per_job_and_a_manifest(basic):
    manifest = read_sweep_manifest(basic)
    assert manifest["status"] == "complete" and manifest["jobs_completed"] == 4
    assert "experiment=baseline,sozialraum" in manifest["overrides"]
    assert manifest["launcher"].endswith("BasicLauncher")
    jobs = {j["num"]: j for j in manifest["jobs"]}
    expected = {
        0: ("baseline", 1),
        1: ("baseline", 2),
        2: ("sozialraum", 1),
        3: ("sozialraum", 2),
    }
    for num, (scenario, seed) in expected.items():
        job = jobs[num]
        run = Path(job["run_dir"])
        assert run.name == f"{num}_{scenario}" and run.parent == basic
        assert (job["scenario"], job["seed"], job["status"]) == (scenario, seed, "completed")
        assert f"experiment={scenario}" in job["overrides"] and f"seed={seed}" in job["overrides"]
        run_manifest = json.loads((run / "manifest.json").read_text())
        assert (run_manifest["scenario"], run_manifest["root_seed"]) == (scenario, seed)
        assert set(read_results(run)["scenario"]) == {scenario}
    # Nothing half-written: only the run folders, Hydra's multirun.yaml and the manifest's files.
    names = {p.name for p in basic.iterdir()}
    assert names == {
        "0_baseline",
        "1_baseline",
        "2_sozialraum",
        "3_sozialraum",
        "multirun.yaml",
        "sweep_manifest.json",
        ".jobs",
        ".sweep_manifest.lock",
    }


def test_compare_lines_up_the_sweep_baseline_vs_baseline_exactly_zero(basic, single):
    c = compare_runs([basic, single])
    by_label = {r.label: r for r in c.runs}
    assert len(by_label) == 5
    pairs = c.pairs.set_index("label")
    twin = pairs.loc[[lab for lab in pairs.index if lab.startswith("baseline@seed=1")]]
    assert len(twin) == 1 and bool(twin["paired"].iloc[0])
    assert twin["kind"].iloc[0] == IDENTICAL
    run, ref = int(twin["run"].iloc[0]), int(twin["ref"].iloc[0])
    same = c.differences[(c.differences["run"] == run) & (c.differences["ref"] == ref)]
    assert len(same) > 1000 and set(same["model"]) == {
        "population",
        "kita",
        "hze",
        "ganztag",
        "social",
    }
    assert (same["difference"] == 0.0).all()  # exactly: same config and seed, other folder
    assert int(twin["unmatched_rows"].iloc[0]) == 0
    iv = c.intervals[(c.intervals["run"] == run) & (c.intervals["ref"] == ref)]
    assert len(iv) > 0 and (iv[["p10", "p50", "p90"]].to_numpy() == 0.0).all()
    # The other seed of the baseline: compared, and named as seeds only.
    assert pairs.loc["baseline@seed=2", "kind"] == SEEDS_ONLY
    # sozialraum is paired with the baseline of its own seed; SRO acts in the ABM only, so every
    # lined-up row (population, Kita, HzE) differs by exactly 0 and the effect is the ABM's.
    for seed in (1, 2):
        row = pairs.loc[f"sozialraum@seed={seed}"]
        assert bool(row["paired"]) and row["kind"] == SCENARIO
        assert c.runs[int(row["ref"])].seed == seed
        lined = c.differences[c.differences["run"] == int(row["run"])]
        assert len(lined) > 1000 and (lined["difference"] == 0.0).all()
        effect = c.effects[c.effects["run"] == int(row["run"])]
        assert set(effect["measure"]) == {"cost", "cases", "stationary"}
        assert set(effect["method"]) == {SAME_RUN}  # the baseline ran no ABM
        assert (effect["p10"] <= effect["p50"]).all() and (effect["p50"] <= effect["p90"]).all()


def annual_abm(run: Path) -> pd.DataFrame:
    """Budget-year cost and Fallzahl per service model and replicate, from the run's Parquet
    samples with pandas (independent of the DuckDB query of compare and the workbook)."""
    r = read_results(run)
    s = r[(r["model"] == "abm") & (r["statistic"] == "sample") & (r["district"] == "_city")]
    keys = ["variant", "year", "replicate"]
    cost = s[s["variable"] == "ABM|Cost|Total"].groupby(keys)["value"].sum()
    ended = s[s["variable"] == "ABM|Ended|Total"].groupby(keys)["value"].sum()
    running = s[(s["variable"] == "ABM|Running|Total") & (s["month"] == 12)]
    cases = ended + running.set_index(keys)["value"]
    return pd.DataFrame({"cost": cost, "cases": cases}).reset_index()


def test_compare_of_the_sweep_leads_with_the_sro_effect_and_its_interval(basic):
    """The first line of `jhplan compare` is the SRO effect with P10..P90, pooled over the seeds'
    paired replicates; its numbers are the quantiles of SRO - classic replicate by replicate,
    recomputed here from the runs' Parquet files."""
    res = jhplan("compare", str(basic), "--out", str(basic.parent / "cmp"))
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("SRO effect sozialraum - classic (sozialraum vs baseline; 2 pair")
    assert "8 paired replicates" in lines[0]  # 2 seeds x 4 draws
    assert re.search(r"cost [+-][\d.,]+ (Tsd|Mio)\. € \[P10 [+-]", lines[0])
    assert "baseline@seed=2 vs baseline@seed=1: no scenario difference: seeds only" in res.stdout
    assert "baseline@seed=2 - baseline@seed=1" not in res.stdout  # seed noise is no effect
    # Recomputed: SRO - classic per replicate in both sozialraum runs, pooled.
    frames = [annual_abm(basic / name) for name in ("2_sozialraum", "3_sozialraum")]
    d = []
    for f in frames:
        wide = f.pivot_table(index=["year", "replicate"], columns="variant", values="cost")
        d.append(wide["sozialraum"] - wide["classic"])
    d = pd.concat(d)
    pooled = pd.read_csv(basic.parent / "cmp" / "effects_pooled.csv")
    cost = pooled[(pooled["measure"] == "cost") & (pooled["year"] > 0)].set_index("year")
    for year, g in d.groupby(level="year"):
        expected = np.quantile(g.to_numpy(), [0.1, 0.5, 0.9])
        got = cost.loc[year, ["p10", "p50", "p90"]].to_numpy(float)
        np.testing.assert_allclose(got, expected, rtol=1e-9)  # same replicates, same quantiles
    summary = pd.read_csv(basic.parent / "cmp" / "summary.csv")
    assert summary["effect"].iloc[0] and summary["kind"].iloc[0] == SCENARIO  # effects lead
    first_zero = summary.index[summary["zero"]].min()
    assert not summary.loc[: first_zero - 1, "zero"].any()  # then non-zero, zeros last
    assert (basic.parent / "cmp" / "charts" / "sro_effekt_cost.png").stat().st_size > 5000


def test_report_compare_pairs_by_scenario_and_says_nur_seeds(basic, tmp_path):
    """`jhplan report <baseline seed 1> --compare <sweep>`: the SRO effect, not seed noise."""
    run = tmp_path / "baseline_seed1"
    shutil.copytree(basic / "0_baseline", run)
    written = build_report(
        run, json.loads((run / "manifest.json").read_text()), ReportConfig(), [basic]
    )
    html = written["html"].read_text(encoding="utf-8")
    section = html[html.index('<section id="szenarien">') :]
    assert "Wirkung: Sozialraumorientierung (sozialraum) – klassisch" in section
    assert "keine Szenariodifferenz: nur Seeds: baseline@seed=2 und baseline@seed=1" in section
    assert "Tsd. €" in section or "Mio. €" in section
    assert not re.search(r"\d{1,3}\.\d{3}\.\d{3}", section)  # no whole euros in the millions
    for row in re.findall(r"<tr>(.*?)</tr>", section, flags=re.S):
        assert not ("baseline@seed=2" in row and "baseline@seed=1" in row)  # never a difference


def test_compare_command_over_the_sweep(basic, single, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli_main(["compare", str(basic), str(single), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "same settings and seed: must be exactly 0): " in printed  # the baseline twin
    twin = [line for line in printed.splitlines() if "must be exactly 0" in line]
    assert len(twin) == 1 and twin[0].endswith("max |difference| 0")
    summary = pd.read_csv(out / "summary.csv")
    assert "sozialraum@seed=1" in set(summary["label"])
    assert "baseline@seed=1 [0_baseline]" in set(summary["reference_label"])
    assert (out / "charts" / "population_total.png").stat().st_size > 5000


def test_submitit_local_launcher_gives_the_same_runs(basic, tmp_path):
    """Another launcher, same jobs: the run folders hold bit-identical results."""
    res = jhplan(
        "run",
        "-m",
        "experiment=baseline,sozialraum",
        "seed=1",
        "hydra/launcher=submitit_local",
        f"run_root={tmp_path}",
        *FAST,
    )
    assert res.returncode == 0, res.stderr
    sweep = the_sweep(tmp_path)
    manifest = read_sweep_manifest(sweep)
    assert manifest["launcher"].endswith("LocalLauncher") and manifest["jobs_completed"] == 2
    for num, scenario, basic_num in ((0, "baseline", 0), (1, "sozialraum", 2)):
        a = read_results(sweep / f"{num}_{scenario}").drop(columns="run_id")
        b = read_results(basic / f"{basic_num}_{scenario}").drop(columns="run_id")
        pd.testing.assert_frame_equal(a, b)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_in_a_terminal_and_is_silent_otherwise(monkeypatch):
    monkeypatch.delenv("JHPLAN_PROGRESS", raising=False)
    assert not progress_enabled(io.StringIO()) and progress_enabled(_Terminal())
    monkeypatch.setenv("JHPLAN_PROGRESS", "off")
    assert not progress_enabled(_Terminal())
    monkeypatch.setenv("JHPLAN_PROGRESS", "on")
    assert progress_enabled(io.StringIO())
    shown, silent = io.StringIO(), io.StringIO()
    for out, enabled in ((shown, True), (silent, False)):
        console = Console(file=out, force_terminal=True, width=100)
        with RunProgress(["population", "kita"], enabled=enabled, console=console) as p:
            with p.stage("population"):
                advance = p.task("Simulationsläufe", 4)
                advance(2)
                time.sleep(0.15)  # let the display refresh once
                advance(2)
            with p.stage("kita"):
                pass
    assert "Stufe population (1/2)" in shown.getvalue()
    assert silent.getvalue() == ""


def test_sweep_started_again_overwrites_nothing_and_records_failures(basic, tmp_path):
    """The sweep again in its folder, with a third seed and a city folder that fails
    validation: three jobs find their run folders (never overwritten), the three new ones fail on
    the bad input; every failure is recorded, the sweep goes on, nothing half-written is left."""
    bad = tmp_path / "bad_city"
    bad.mkdir()
    (bad / "city.yaml").write_text((TINY / "city.yaml").read_text())  # no population file
    before = {p.name: (p / "manifest.json").read_bytes() for p in basic.glob("[0-9]_*")}
    res = jhplan(
        "run",
        "-m",
        "experiment=baseline,sozialraum",
        "seed=1,2,3",
        f"hydra.sweep.dir={basic}",
        *FAST,
        f"city.data_dir={bad}",
    )
    assert res.returncode != 0 and "never overwrites" in res.stderr
    after = {p.name: (p / "manifest.json").read_bytes() for p in basic.glob("[0-9]_*")}
    assert after == before  # the four run folders of the first sweep, untouched
    manifest = read_sweep_manifest(basic)
    assert len(manifest["restarts"]) == 1 and manifest["jobs_completed"] == 4
    jobs = {Path(j["run_dir"]).name: j for j in manifest["jobs"]}
    for name in ("0_baseline", "1_baseline", "3_sozialraum"):  # same job, folder exists
        assert jobs[name]["status"] == "completed"
        assert "never overwrites" in jobs[name]["later_attempt_failed"]
    for name in ("2_baseline", "4_sozialraum", "5_sozialraum"):  # new jobs, bad input
        assert jobs[name]["status"] == "failed" and "population" in jobs[name]["error"]
        assert not (basic / name).exists()
    assert not [p for p in basic.iterdir() if ".partial-" in p.name]


@pytest.mark.parametrize(
    ("overrides", "bundle", "expected"),
    [
        (["kita=saturation", "hze=rising", "seed=3"], "baseline", "kita-saturation_hze-rising"),
        (
            ["experiment=sozialraum", "population/fertility=low"],
            "sozialraum",
            "sozialraum_fertility-low",
        ),
        (["hze.rate_change.value=0.03"], "baseline", "rate_change-0.03"),
        (["city.housing_plan=data/scenarios/x plan.csv"], "baseline", "housing_plan-x-plan"),
        # Seeds, draws, horizon, model and output settings do not make another scenario.
        (
            ["seed=2", "draws=9", "horizon=4", "hze.model=gamma_poisson", "abm.figures=false"],
            "baseline",
            None,
        ),
        (["experiment=sozialraum", "seed=1"], "sozialraum", None),
        (["kita=trend", "scenario=mine"], "baseline", None),  # a name given wins
    ],
)
def test_a_run_without_scenario_is_named_after_what_it_changes(overrides, bundle, expected):
    name = derived_scenario(overrides, bundle)
    assert name == expected
    assert name is None or scenario_problem(name) is None  # a safe folder name


def test_the_derived_name_is_the_run_folder_and_the_results_partition(tmp_path):
    res = jhplan(
        "run",
        "kita=saturation",
        "hze=rising",
        f"run_root={tmp_path}",
        *FAST,
        "draws=0",
        "pipeline.stages=[population]",
    )
    assert res.returncode == 0, res.stderr
    (run,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert run.name.endswith("_kita-saturation_hze-rising")
    assert (
        json.loads((run / "manifest.json").read_text())["scenario"] == "kita-saturation_hze-rising"
    )
    assert set(read_results(run)["scenario"]) == {"kita-saturation_hze-rising"}
