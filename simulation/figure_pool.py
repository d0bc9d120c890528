"""Figures drawn in worker processes while the run goes on.

Drawing a PNG with matplotlib costs a quarter of a second of CPU, most of it in rendering text;
a city of 16 districts has three figures per district and the city, which is a third of a whole
Konstanz run when drawn one after another. The stages hand each figure to a ``FigurePool``
(``StageContext.figures``): with ``n_jobs`` > 1 it is drawn in a process forked from the run while
the stage goes on to its next district and the next stage starts; the pipeline waits for all of
them before the report (which embeds the files) and before the run folder is published.

The figure functions are module-level functions of ``simulation.figures`` and
``simulation.figures_kita`` that get small arrays and a path and write one file: a worker gets the
function by reference and the arguments pickled, and the files are byte for byte those drawn in
the run's own process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from simulation.blockjobs import quiet_worker


class FigurePool:
    """Calls figure functions in ``n_jobs`` forked processes (in this process when ``n_jobs`` <= 1).

    The workers are started at the first figure, so a run without figures starts none. ``wait``
    returns when every figure handed so far is written and raises the first error of one.
    """

    def __init__(self, n_jobs: int = 1) -> None:
        self.n_jobs = int(n_jobs)
        self._executor: ProcessPoolExecutor | None = None
        self._pending: list[Future] = []

    def submit(self, draw: Callable[..., None], *args, **kwargs) -> None:
        """Draw one figure: ``draw(*args, **kwargs)`` now or in a worker."""
        if self.n_jobs <= 1:
            draw(*args, **kwargs)
            return
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.n_jobs,
                mp_context=multiprocessing.get_context("fork"),
                initializer=quiet_worker,
            )
        self._pending.append(self._executor.submit(draw, *args, **kwargs))

    def wait(self) -> None:
        """Block until every figure handed so far is drawn; re-raise the first failure."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Stop the workers (figures not yet drawn are cancelled)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self._pending = []

    def __enter__(self) -> FigurePool:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self.close()
