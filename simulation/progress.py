"""Progress of a long run in a terminal (rich); silent when the output is not a terminal.

``RunProgress`` shows one line per run: the stage running, how many of the run's stages are done
and the time elapsed, refreshed while a stage works (a Konstanz run with 1,000 draws spends minutes
in one stage). A stage can add its own bar (``task``), e.g. per block of draws. Nothing is drawn
when standard error is not a terminal (CI, ``| tee``, submitit and Ray workers, Hydra's joblib
workers), so that logs stay clean. ``JHPLAN_PROGRESS=on|off`` overrides the detection.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


def progress_enabled(stream: TextIO | None = None) -> bool:
    """Whether to draw: ``JHPLAN_PROGRESS`` if set (on/off), else whether ``stream`` is a TTY."""
    setting = os.environ.get("JHPLAN_PROGRESS", "auto").strip().lower()
    if setting in ("on", "1", "true", "yes"):
        return True
    if setting in ("off", "0", "false", "no"):
        return False
    stream = sys.stderr if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


class RunProgress:
    """Progress display of one run; a no-op when disabled.

    Args:
        stages: the stages the run will go through, in order.
        enabled: draw (default: ``progress_enabled()``).
        console: where to draw (default: standard error).

    Example:
        >>> with RunProgress(["population", "kita"], enabled=False) as p:
        ...     with p.stage("population"):
        ...         advance = p.task("draws", 100)
        ...         advance(50)
    """

    def __init__(
        self, stages: list[str], enabled: bool | None = None, console: Console | None = None
    ) -> None:
        self.stages = list(stages)
        self.enabled = progress_enabled() if enabled is None else enabled
        self._progress: Progress | None = None
        self._run_task = None
        self._console = console

    def __enter__(self) -> RunProgress:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(bar_width=30),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console or Console(stderr=True),
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
            self._run_task = self._progress.add_task("jhplan run", total=len(self.stages))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Show ``name`` as the running stage; counts it done when the block ends."""
        if self._progress is None:
            yield
            return
        done = int(self._progress.tasks[self._run_task].completed)
        self._progress.update(
            self._run_task, description=f"Stufe {name} ({done + 1}/{len(self.stages)})"
        )
        try:
            yield
        finally:
            self._progress.advance(self._run_task)

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """A bar of its own (e.g. blocks of draws); returns ``advance(n)``. Removed at the end
        of the stage's run."""
        if self._progress is None:
            return lambda n=1: None
        task_id = self._progress.add_task(f"  {description}", total=total)
        progress = self._progress

        def advance(n: int = 1) -> None:
            progress.advance(task_id, n)
            if progress.tasks[task_id].finished:
                progress.remove_task(task_id)

        return advance
