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
import re
import signal
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecast.drawstore import DrawStore

_WORK: Callable[[int, int], None] | None = None


def quiet_worker() -> None:
    """Initialiser of a forked worker: SIGTERM ends it at once, SIGINT is left to the run.

    A worker inherits the run's SIGTERM handler (``simulation.rundir``: turn it into an exception
    so the run folder is cleaned up); a pool ends its workers with SIGTERM, which would then print
    a traceback per worker. The run's own process still cleans up on SIGTERM and Ctrl-C.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
        with context.Pool(min(int(n_jobs), len(bounds)), initializer=quiet_worker) as pool:
            done = sum(pool.imap_unordered(_run, bounds))
    finally:
        _WORK = None
    if done != draws:
        raise RuntimeError(f"{done} of {draws} draws computed")


@dataclass(frozen=True)
class DrawPart:
    """Part ``index`` of ``parts`` of a run's ``draws`` draws (``draws_part=K/N``): one job's share.

    A part run computes draws ``first .. last - 1`` with the same seeds as the whole run (draw d
    uses child d of the stage's seed sequence, ``StageContext.draw_seeds``) and keeps them in its
    run folder; ``jhplan merge`` joins the parts and reduces the whole (``simulation.merge``).
    """

    index: int
    parts: int
    draws: int

    @classmethod
    def parse(cls, text: str, draws: int) -> DrawPart:
        """``"K/N"`` (K = 0 .. N-1) of ``draws`` draws.

        Raises:
            ValueError: not of the form K/N, K outside 0..N-1, or a part without draws.
        """
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not match:
            raise ValueError(
                f"draws_part={text!r}: expected K/N, part K (0 .. N-1) of N parts, e.g. 0/4"
            )
        index, parts = int(match[1]), int(match[2])
        if not 0 <= index < parts:
            raise ValueError(f"draws_part={text!r}: K must be 0 .. {parts - 1} for N = {parts}")
        if draws < parts:
            raise ValueError(
                f"draws_part={text!r}: {draws} draws cannot be split into {parts} parts "
                "(draws must be at least N)"
            )
        return cls(index, parts, int(draws))

    @property
    def first(self) -> int:
        return self.index * self.draws // self.parts

    @property
    def last(self) -> int:
        return (self.index + 1) * self.draws // self.parts

    @property
    def size(self) -> int:
        return self.last - self.first

    @property
    def label(self) -> str:
        return f"{self.index}/{self.parts}"


PART_FOLDER = "part_draws"
"""Folder of a part run's draws (``keep_part_draws``)."""


def part_of(ctx) -> DrawPart | None:
    """The part of the draws the run of ``ctx`` computes; None for all (or a context without)."""
    return getattr(ctx, "part", None)


def draw_seeds(ctx, seq: np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """The seeds of a stage's ``n`` draws: children ``0 .. n-1`` of ``seq``, or in a part run
    children ``first .. last - 1`` of the whole run's draws (the seeds one job gives them)."""
    part = part_of(ctx)
    if part is None:
        return seq.spawn(n)
    if n != part.size:
        raise ValueError(f"{n} draws in part {part.label}, expected {part.size}")
    return seq.spawn(part.draws)[part.first : part.last]


def keep_part_draws(ctx, name: str, store: DrawStore, **meta) -> None:
    """In a part run: write a stage's draws (before any reduction over the draws) to
    ``part_draws/<name>.npy`` for ``jhplan merge``, with ``meta`` (what the merge needs to reduce
    them as the stage does) in the manifest's ``draws_part.stores``; nothing otherwise."""
    if part_of(ctx) is None:
        return
    store.save(ctx.folder.path(PART_FOLDER, f"{name}.npy"))
    entry = {
        "file": f"{PART_FOLDER}/{name}.npy",
        "shape": list(store.shape),
        "dtype": str(store.dtype),
        **meta,
    }
    ctx.folder.manifest["draws_part"]["stores"][name] = entry
