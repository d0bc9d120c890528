"""Run the ``jhplan`` command line as a user does (a subprocess), and find the run it wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jhplan(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m simulation.cli ARGS`` in ``cwd``; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_run(root: Path) -> Path:
    """The one run folder under ``root`` (hidden entries such as ``.runs.duckdb`` left out)."""
    (run_dir,) = [p for p in root.iterdir() if not p.name.startswith(".")]
    return run_dir


TINY = ROOT / "tests" / "data" / "tinycity"
"""The tiny test city (see its README)."""

QUICK_MODELS = [
    "population.stochastic.calibrate=false",
    "hze.model=gamma_poisson",
    "hze.trend=off",
    "hze.reconciliation=bottom_up",
]
"""Overrides that skip model selection: for tests of the pipeline, not of the models."""


def run_city(run_root: Path, *overrides: str, city: Path = TINY) -> Path:
    """``jhplan run`` on ``city`` into ``run_root``; asserts success and returns the run folder."""
    res = jhplan("run", f"city.data_dir={city}", f"run_root={run_root}", *overrides)
    assert res.returncode == 0, res.stderr
    return only_run(run_root)
