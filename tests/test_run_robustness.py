"""Nothing silent, nothing half-done: runs that die, runs that collide, impossible stocks, and
scenario names that would escape the run folder.

Runs use Tinycity with 2 projected years and the population stage only (a few seconds each).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.population.stock_check import ImpossiblePopulation, check_stocks
from simulation.hydra_run import scenario_problem
from simulation.ownership import (
    lock_file,
    owned_run_name,
    remove_stale_partials,
    remove_stale_temporaries,
    temporary_file,
)
from tests.cli import ROOT, TINY, jhplan

QUICK = ["horizon=2", "pipeline.stages=[population]", "population.figures=false"]


def run_args(run_root: Path, *extra: str, city: Path = TINY) -> list[str]:
    return ["run", f"city.data_dir={city}", f"run_root={run_root}", *QUICK, *extra]


def visible(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if not p.name.startswith(".")]


def hidden(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith("."))


# --- partial folders, locks and temporary files -------------------------------------------------


def test_stale_partial_folders_are_removed_by_the_next_run(tmp_path):
    """Partial folders of dead runs (the old pid-only name and the current one, with the draws'
    scratch file) and a dead run's lock file go; the new run is whole and alone."""
    runs = tmp_path / "runs"
    for name in (".20260101-000000-000000_baseline.partial-1", ".x_baseline.partial-1-ab12cd34"):
        (runs / name / "results").mkdir(parents=True)
        (runs / name / "draws.scratch").write_bytes(b"\0" * 1000)
    (runs / ".x_baseline.run-lock").write_text("pid 1 on box, started long ago")
    res = jhplan(*run_args(runs))
    assert res.returncode == 0, res.stderr
    assert "left by an interrupted run" in res.stdout + res.stderr
    (run,) = visible(runs)
    assert (run / "manifest.json").is_file()
    assert hidden(runs) == []


def test_ownership_is_the_lock_not_the_pid(tmp_path):
    """A partial folder named with this very pid is stale when nobody holds its lock (pid 1 in a
    container is every run's pid), and kept while its owner lives."""
    dead = tmp_path / f".dead.partial-{os.getpid()}-00000000"
    dead.mkdir()
    live_final = tmp_path / "live"
    with owned_run_name(live_final) as token:
        live = tmp_path / f".live.partial-{token}"
        live.mkdir()
        assert remove_stale_partials(tmp_path) == [dead]
        assert live.is_dir() and lock_file(live_final).is_file()
    assert not lock_file(live_final).exists()  # the owner removes its lock file


def test_stale_report_temporaries_are_removed_and_live_ones_kept(tmp_path):
    (tmp_path / f".finance.xlsx.tmp-{os.getpid()}").write_bytes(b"half a workbook")
    with temporary_file(tmp_path / "report.html") as tmp:  # cleans the folder first
        tmp.write_text("<html>")
        assert remove_stale_temporaries(tmp_path) == []  # being written: kept
        assert hidden(tmp_path) == [tmp.name]
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_second_run_into_a_folder_being_written_is_refused(tmp_path):
    final = tmp_path / "runs" / "same"
    final.parent.mkdir()
    with owned_run_name(final):  # stands for a live run writing ``final``
        res = jhplan(*run_args(final.parent, f"hydra.run.dir={final}"))
    assert res.returncode == 1
    assert f"another jhplan run (pid {os.getpid()}" in res.stderr
    assert "Traceback" not in res.stderr
    assert list(final.parent.iterdir()) == []  # no run folder, no partial folder, lock released


def test_kill_9_leaves_only_what_the_next_run_cleans(tmp_path):
    runs = tmp_path / "runs"
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", *run_args(runs)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not (
        runs.exists() and any(".partial-" in p.name for p in runs.iterdir())
    ):
        time.sleep(0.02)
    time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert visible(runs) == []  # Hydra made no empty run folder; only the rename makes one
    assert any(".partial-" in name for name in hidden(runs))
    res = jhplan(*run_args(runs))
    assert res.returncode == 0, res.stderr
    assert len(visible(runs)) == 1 and hidden(runs) == []


# --- impossible stocks --------------------------------------------------------------------------


def test_a_deaths_cell_above_its_population_stops_the_run(tinycity_copy, tmp_path):
    deaths = pd.read_csv(tinycity_copy / "deaths.csv")
    cell = (deaths["year"] == 2021) & (deaths["district"] == "b") & (deaths["sex"] == "m")
    deaths.loc[cell & (deaths["age"] == 30), "count"] = 5000
    deaths.to_csv(tinycity_copy / "deaths.csv", index=False)
    runs = tmp_path / "runs"
    res = jhplan(*run_args(runs, city=tinycity_copy))
    assert res.returncode == 1, res.stdout
    # check-data's plausibility layer stops it before the projection (which would give NaN and
    # stop at the stock check below): the message names the file, row, column and the bound.
    assert "deaths.csv, row" in res.stderr and "5,000 deaths in 2021, district 'b'" in res.stderr
    assert "Traceback" not in res.stderr
    assert not runs.exists() or list(runs.iterdir()) == []


def test_check_stocks_names_the_first_negative_cell():
    stocks = np.ones((3, 2, 2, 5))  # years, districts, sex, ages
    stocks[2, 1, 0, 3] = -4.0
    stocks[1, 0, 1, 0] = -0.3  # rounding: allowed
    with pytest.raises(ImpossiblePopulation, match=r"-4.0 persons \(first in district b, sex f, "):
        check_stocks(stocks, [2022, 2023, 2024], ["a", "b"], list("01234"), "test", lambda: "x")
    check_stocks(np.ones((4, 3, 2, 2, 5)), range(3), "ab", "01234", "draws", lambda: "x")
    stocks[2, 1, 0, 3] = np.nan
    with pytest.raises(ImpossiblePopulation, match=r"NaN persons \(first in district b, sex f, "):
        check_stocks(stocks, [2022, 2023, 2024], ["a", "b"], list("01234"), "test", lambda: "x")


# --- scenario names -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["baseline", "Süd-Ost_2.0", "hohe_Geburten", "2030-plan"])
def test_good_scenario_names(name):
    assert scenario_problem(name) is None


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "a\\b", ".hidden", "a..b", "with space", "tab\tname", "", "x."]
)
def test_bad_scenario_names(name):
    assert "is not allowed" in scenario_problem(name)


@pytest.mark.parametrize("args", [["scenario=../x"], ["-m", "scenario=ok,../../x"]])
def test_a_bad_scenario_name_writes_nothing_anywhere(tmp_path, args):
    root = tmp_path / "a" / "b"
    runs = root / "runs"
    root.mkdir(parents=True)
    res = jhplan(*run_args(runs), *args)
    assert res.returncode == 1
    assert "scenario name" in res.stderr and "is not allowed" in res.stderr
    assert "Traceback" not in res.stderr
    assert set(tmp_path.rglob("*")) == {tmp_path / "a", root}  # no run_root, no x
