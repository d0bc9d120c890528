"""Sweeps: `jhplan run -m` with the basic and the submitit_local launcher, the sweep manifest,
one run folder per job, then `jhplan compare` over the sweep (baseline vs baseline: exactly 0).

Tiny settings keep this fast: Tinycity, 2 projected years, 4 draws without calibration (the
calibration backtests take half a minute), the HzE model without backtests, no figures.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from rich.console import Console

from simulation.cli import main as cli_main
from simulation.compare import PAIRED, compare_runs
from simulation.pipeline import run_scenario
from simulation.progress import RunProgress, progress_enabled
from simulation.results import read_results
from simulation.rundir import open_run_folder
from simulation.sweep import read_sweep_manifest
from tests.cli import QUICK_MODELS, ROOT, TINY, jhplan

FAST = [
    f"city.data_dir={TINY}",
    "horizon=2",
    "draws=4",
    "pipeline.stages=[population,hze]",
    "population.figures=false",
    "hze.figures=false",
    *QUICK_MODELS,
]


def the_sweep(root: Path) -> Path:
    (sweep,) = [p for p in root.iterdir() if p.name.endswith("_sweep")]
    return sweep


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("basic")
    res = jhplan(
        "run", "-m", "experiment=baseline,high_migration", "seed=1,2", f"run_root={root}", *FAST
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
    assert "experiment=baseline,high_migration" in manifest["overrides"]
    assert manifest["launcher"].endswith("BasicLauncher")
    jobs = {j["num"]: j for j in manifest["jobs"]}
    expected = {
        0: ("baseline", 1),
        1: ("baseline", 2),
        2: ("high_migration", 1),
        3: ("high_migration", 2),
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
        "2_high_migration",
        "3_high_migration",
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
    run, ref = int(twin["run"].iloc[0]), int(twin["ref"].iloc[0])
    same = c.differences[(c.differences["run"] == run) & (c.differences["ref"] == ref)]
    assert len(same) > 1000 and set(same["model"]) == {"population", "hze"}
    assert (same["difference"] == 0.0).all()  # exactly: same config and seed, other folder
    assert int(twin["unmatched_rows"].iloc[0]) == 0
    iv = c.intervals[(c.intervals["run"] == run) & (c.intervals["ref"] == ref)]
    assert len(iv) > 0 and (iv[["p10", "p50", "p90"]].to_numpy() == 0.0).all()
    # high_migration is paired with the baseline of its own seed: a real, positive effect.
    for seed in (1, 2):
        row = pairs.loc[f"high_migration@seed={seed}"]
        assert bool(row["paired"]) and c.runs[int(row["ref"])].seed == seed
        total = c.summary[
            (c.summary["label"] == f"high_migration@seed={seed}")
            & (c.summary["variable"] == "Population|Total")
        ]
        last = total[total["year"] == total["year"].max()].iloc[0]
        assert last["method"] == PAIRED and last["difference"] > 0
        assert last["difference_lo"] <= last["difference_hi"]


def test_compare_command_over_the_sweep(basic, single, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli_main(["compare", str(basic), str(single), "--out", str(out)]) == 0
    assert "max |difference| 0\n" in capsys.readouterr().out  # the baseline twin
    summary = pd.read_csv(out / "summary.csv")
    assert {"baseline@seed=1 [0_baseline]", "high_migration@seed=1"} <= set(summary["label"])
    assert (out / "charts" / "population_total.png").stat().st_size > 5000


def test_submitit_local_launcher_gives_the_same_runs(basic, tmp_path):
    """Another launcher, same jobs: the run folders hold bit-identical results."""
    res = jhplan(
        "run",
        "-m",
        "experiment=baseline,high_migration",
        "seed=1",
        "hydra/launcher=submitit_local",
        f"run_root={tmp_path}",
        *FAST,
    )
    assert res.returncode == 0, res.stderr
    sweep = the_sweep(tmp_path)
    manifest = read_sweep_manifest(sweep)
    assert manifest["launcher"].endswith("LocalLauncher") and manifest["jobs_completed"] == 2
    for num, scenario, basic_num in ((0, "baseline", 0), (1, "high_migration", 2)):
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
        "experiment=baseline,high_migration",
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
    for name in ("0_baseline", "1_baseline", "3_high_migration"):  # same job, folder exists
        assert jobs[name]["status"] == "completed"
        assert "never overwrites" in jobs[name]["later_attempt_failed"]
    for name in ("2_baseline", "4_high_migration", "5_high_migration"):  # new jobs, bad input
        assert jobs[name]["status"] == "failed" and "population" in jobs[name]["error"]
        assert not (basic / name).exists()
    assert not [p for p in basic.iterdir() if ".partial-" in p.name]
