"""Blocks of draws computed by forked worker processes that write into the run's draw stores.

A stage that works block by block (``StageContext.block`` draws at a time) hands ``run_blocks`` a
function that computes draws ``first .. last - 1`` and writes them into a ``DrawStore`` or
``DrawReducer`` (``write``, not ``add``: the parent counts). With ``n_jobs`` > 1 the blocks run in
processes forked from the run, which share its stores (anonymous shared memory, or the scratch
file written at fixed offsets) and everything computed before (models, population draws), so
nothing large is pickled. Every draw has its own seed, so the values are the same whatever the
number of jobs (a test holds serial and parallel runs equal).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

_WORK: Callable[[int, int], None] | None = None


def _run(bounds: tuple[int, int]) -> int:
    first, last = bounds
    _WORK(first, last)
    return last - first


def run_blocks(work: Callable[[int, int], None], draws: int, block: int, n_jobs: int = 1) -> None:
    """Call ``work(first, last)`` for consecutive blocks of ``block`` draws of ``draws``.

    In ``n_jobs`` forked processes when ``n_jobs`` > 1 and there is more than one block; in this
    process otherwise. An exception in a block is raised here.
    """
    global _WORK
    block = max(int(block), 1)
    bounds = [(a, min(a + block, draws)) for a in range(0, draws, block)]
    if n_jobs <= 1 or len(bounds) < 2:
        for first, last in bounds:
            work(first, last)
        return
    _WORK = work
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(int(n_jobs), len(bounds))) as pool:
            done = sum(pool.imap_unordered(_run, bounds))
    finally:
        _WORK = None
    if done != draws:
        raise RuntimeError(f"{done} of {draws} draws computed")
