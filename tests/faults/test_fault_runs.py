"""A few planted faults through the real command line ``jhplan run`` on the tiny city.

An error stops the run before it writes anything (no run folder, no file anywhere under the
working folder, no traceback); a warned fault runs, names the warning in the manifest and
publishes no NaN or negative population.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from tests.cli import TINY, jhplan
from tests.faults.catalogue import FAULTS
from tests.faults.harness import tree

QUICK = ["horizon=2", "pipeline.stages=[population]", "population.figures=false", "draws=20"]
BY_ID = {f.id: f for f in FAULTS}


def run(tmp_path: Path, fault_id: str):
    city = tmp_path / "city"
    shutil.copytree(TINY, city, ignore=shutil.ignore_patterns("*.md"))
    BY_ID[fault_id].plant(city)
    before = tree(tmp_path)
    res = jhplan(
        "run", f"city.data_dir={city}", f"run_root={tmp_path / 'runs'}", *QUICK, cwd=tmp_path
    )
    assert "Traceback" not in res.stderr, res.stderr
    after = tree(tmp_path)
    return res, {k for k in after if before.get(k) != after[k]}


def test_a_fault_stops_the_run_before_it_writes(tmp_path) -> None:
    """(A single register year: ``tests/test_check_data_readiness.py``.)"""
    fault_id = "births-beyond-women"
    res, written = run(tmp_path, fault_id)
    assert res.returncode == 1
    assert BY_ID[fault_id].file in res.stderr and "nothing was written" in res.stderr
    # Only the run root itself may appear (empty, or with the run's released lock's folder).
    assert all(Path(k).parts[0] == "runs" for k in written), written
    runs = tmp_path / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]


def test_a_warned_fault_runs_and_says_so(tmp_path) -> None:
    res, written = run(tmp_path, "pop-jump")
    assert res.returncode == 0, res.stderr
    assert all(Path(k).parts[0] == "runs" for k in written), written
    (run_dir,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert any("accept_warnings: [jump]" in w for w in manifest["warnings"])
    results = pd.read_parquet(run_dir / "results")
    stock = results[results["variable"].str.match(r"Population\|[fm]\|\d+$")]["value"]
    assert len(stock) and np.isfinite(stock).all() and (stock >= 0).all()
