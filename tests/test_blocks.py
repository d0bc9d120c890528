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


def _note_sigterm(path) -> None:
    """In a worker: whether SIGTERM has its default action there (written to ``path``)."""
    import signal

    path.write_text(str(signal.getsignal(signal.SIGTERM) == signal.SIG_DFL))


def test_workers_do_not_inherit_the_runs_sigterm_handler(tmp_path):
    """A run turns SIGTERM into an exception (to clean its folder up); forked workers of the
    blocks and of the figures must not inherit that: a pool ends its workers with SIGTERM, and
    each would print a KeyboardInterrupt traceback into the run's output."""
    import signal

    from simulation.blockjobs import run_blocks
    from simulation.figure_pool import FigurePool

    def _raise(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        run_blocks(lambda first, last: _note_sigterm(tmp_path / f"block{first}"), 4, 1, 2)
        with FigurePool(2) as pool:
            for k in range(2):
                pool.submit(_note_sigterm, tmp_path / f"figure{k}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    seen = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert len(seen) == 6 and set(seen.values()) == {"True"}, seen
