"""Resuming a killed sweep (``simulation.sweep``): the same command again joins the unfinished
sweep folder, skips the jobs whose run folder holds a finished run of the same job identity and
runs the others. Population-only jobs without backtests keep this to a few seconds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from simulation.config import register_configs
from simulation.ownership import hold_lock, release_lock
from simulation.sweep import (
    OWNER_LOCK,
    finished_job,
    job_identity,
    read_sweep_manifest,
    resumable_sweep,
)
from tests.cli import ROOT, TINY, jhplan


def the_sweep(root: Path) -> Path:
    (sweep,) = [p for p in root.iterdir() if p.name.endswith("_sweep")]
    return sweep


RESUME = [
    "seed=1,2,3",
    f"city.data_dir={TINY}",
    "horizon=2",
    "draws=0",
    "population.figures=false",
    "population.combination.enabled=false",
    "report.html=false",
    "report.workbook=false",
    "pipeline.stages=[population]",
]
"""A sweep of three population jobs whose run is a fraction of a second (no backtests)."""


def test_a_killed_sweep_resumes_without_redoing_finished_jobs(tmp_path):
    """kill -9 of a sweep once its first job has finished; the same command again joins that
    sweep folder, skips every finished job (its run folder untouched), runs the others, cleans
    what the killed job left, and the sweep manifest covers all three jobs."""
    command = [sys.executable, "-m", "simulation.cli", "run", "-m", f"run_root={tmp_path}", *RESUME]
    sweep = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob("*_sweep/0_baseline/manifest.json")):
            assert sweep.poll() is None and time.monotonic() < deadline, "first job not finished"
            time.sleep(0.05)
    finally:
        sweep.kill()
        sweep.wait()
    folder = the_sweep(tmp_path)
    finished = {p.name: p.stat().st_ino for p in folder.glob("[0-9]_baseline")}
    assert "0_baseline" in finished and read_sweep_manifest(folder)["status"] == "running"
    res = jhplan("run", "-m", f"run_root={tmp_path}", *RESUME)
    assert res.returncode == 0, res.stderr
    assert the_sweep(tmp_path) == folder  # no second sweep folder
    assert f"resuming the unfinished sweep in {folder}" in res.stdout
    for name in finished:  # found by its identity, not run again, not touched
        assert f"{name}: finished run found with the same configuration, seed and" in res.stdout
        assert (folder / name).stat().st_ino == finished[name]
    manifest = read_sweep_manifest(folder)
    assert manifest["status"] == "complete" and manifest["jobs_completed"] == 3
    jobs = {Path(j["run_dir"]).name: j for j in manifest["jobs"]}
    for num, name in enumerate(["0_baseline", "1_baseline", "2_baseline"]):
        run = json.loads((folder / name / "manifest.json").read_text())
        assert run["root_seed"] == num + 1 and len(run["job_identity"]) == 64
        assert jobs[name]["status"] == "completed"
        assert ("skipped" in jobs[name] or "skipped_at" in jobs[name]) == (name in finished)
    left = [p.name for p in folder.iterdir() if p.name.endswith(("-lock", ".partial-"))]
    assert not left and not list(folder.glob(".*.partial-*"))  # the killed job's debris too


def test_a_run_folder_of_another_job_identity_is_never_taken_for_finished(tmp_path):
    run = tmp_path / "0_baseline"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"job_identity": "a" * 64}))
    assert finished_job(tmp_path / "1_baseline", "a" * 64) is None  # no run there yet
    assert finished_job(run, "a" * 64).startswith("0_baseline: finished run found")
    with pytest.raises(ValueError, match="another configuration, seed, input data"):
        finished_job(run, "b" * 64)


def test_only_a_sweep_of_the_same_command_whose_launcher_is_gone_is_resumed(tmp_path):
    def sweep(name: str, overrides: list[str], status: str = "running") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        header = {"created_at": name, "overrides": overrides, "status": status}
        (folder / "sweep_manifest.json").write_text(json.dumps(header))
        return folder

    sweep("1_sweep", ["seed=1,2"])
    newest = sweep("2_sweep", ["seed=1,2"])
    sweep("3_sweep", ["seed=1,2"], status="complete")
    sweep("4_sweep", ["seed=1,2,3"])
    assert resumable_sweep(tmp_path, ["seed=1,2"]) == newest
    owner = hold_lock(newest / OWNER_LOCK)  # its launching process is alive: never joined
    try:
        assert resumable_sweep(tmp_path, ["seed=1,2"]) == tmp_path / "1_sweep"
    finally:
        release_lock(owner, newest / OWNER_LOCK)
    assert resumable_sweep(tmp_path, ["seed=4"]) is None


def test_the_job_identity_follows_config_seed_and_input_data(tmp_path):
    overrides = [f"city.data_dir={tmp_path / 'city'}", "seed=1"]
    shutil.copytree(TINY, tmp_path / "city")
    register_configs()  # the schemas conf/config.yaml builds on (as the command line does)
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = OmegaConf.to_object(compose("config", overrides=overrides))
        other_seed = OmegaConf.to_object(compose("config", overrides=[*overrides[:1], "seed=2"]))
    first = job_identity(cfg, "run")
    assert job_identity(cfg, "run") == first  # same job, same identity
    assert job_identity(other_seed, "run") != first
    assert job_identity(cfg, "backtest") != first
    births = tmp_path / "city" / "births.csv"
    births.write_text(births.read_text().replace("\n", "\n", 1) + "\n")  # one more line end
    assert job_identity(cfg, "run") != first
