"""Blocks of draws: the results do not depend on the memory budget or the number of jobs."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.results import read_results
from tests.cli import run_city

QUICK = (
    "horizon=3",
    "population.figures=false",
    "kita.figures=false",
    "hze.figures=false",
    "population.stochastic.calibrate=false",
    "population.stochastic.chunk=4",
)


def _rows(run) -> pd.DataFrame:
    rows = read_results(run).drop(columns=["run_id"])
    return rows.sort_values(list(rows.columns.drop("value"))).reset_index(drop=True)


@pytest.mark.parametrize(
    ("draws", "budget"),
    [("draws=10", "memory_budget_mb=0"), ("hze.draws=10", "memory_budget_mb=1024")],
    ids=["population-draws-spilled", "hze-draws-in-shared-memory"],
)
def test_parallel_blocks_give_the_results_of_one_serial_job(tmp_path, draws, budget):
    """Forked jobs write into the parent's stores (a scratch file, or shared memory)."""
    stages = "pipeline.stages=[population,hze]"
    serial = run_city(tmp_path / "serial", *QUICK, draws, stages)
    parallel = run_city(tmp_path / "parallel", *QUICK, draws, stages, "n_jobs=2", budget)
    pd.testing.assert_frame_equal(_rows(serial), _rows(parallel))
