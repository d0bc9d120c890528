"""A problem with the input data, the error that carries them, and the capped list they go into.

Validation (``forecast.validate``) collects problems rather than raising at the first one;
``ProblemReport`` keeps the list readable when one mistake repeats over thousands of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

ERROR, WARNING = "error", "warning"
"""Severities of a ``Problem``."""

MAX_REPORTS = 20
"""Problems listed per (file, column, kind of problem); one more line counts the rest."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input data.

    Attributes:
        file: file name relative to the city folder, e.g. ``population.csv`` or ``city.yaml``.
        row: line number as a text editor shows it (header = line 1; for Parquet, data row
            index + 2 likewise); None if the problem is not about one row.
        column: the column (or city.yaml key) concerned, if any.
        message: what is wrong and what was expected.
        severity: ``ERROR`` (the data cannot be used as they are; check-data exits 1 and a run
            stops) or ``WARNING`` (usable, but the results rest on little; printed, the exit
            code and the run are unaffected).
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            noun = "key" if self.file.endswith((".yaml", ".yml")) else "column"
            where.append(f"{noun} '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class InputDataError(ValueError):
    """The city data break the input contract; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'' if n == 1 else 's'} in the city data:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ProblemReport:
    """Collects problems, listing at most ``cap`` per (file, column, kind) and counting the rest."""

    def __init__(self, cap: int = MAX_REPORTS) -> None:
        self.cap = cap
        self._problems: list[Problem] = []
        self._seen: Counter[tuple] = Counter()
        self._last: dict[tuple, int] = {}

    def add(
        self, file: str, row: int | None, column: str | None, message: str, kind: str = ""
    ) -> None:
        """Add one problem; ``kind`` groups problems for the cap (default: the message itself)."""
        key = (file, column, kind or message)
        self._seen[key] += 1
        if self._seen[key] <= self.cap:
            self._problems.append(Problem(file, row, column, message))
            self._last[key] = len(self._problems)

    def rows(
        self,
        file: str,
        column: str | None,
        kind: str,
        lines: np.ndarray,
        message: Callable[[int], str],
    ) -> None:
        """Add one problem per entry of ``lines``; ``message(k)`` describes the k-th."""
        key = (file, column, kind)
        for k, line in enumerate(lines):
            if self._seen[key] >= self.cap:  # past the cap: count, do not build messages
                self._seen[key] += len(lines) - k
                return
            self.add(file, int(line), column, message(k), kind)

    def problems(self) -> list[Problem]:
        """The listed problems; each capped group is followed by a line saying how many more."""
        more = {
            self._last[key]: (key, n - self.cap) for key, n in self._seen.items() if n > self.cap
        }
        out: list[Problem] = []
        for i, problem in enumerate(self._problems, start=1):
            out.append(problem)
            if i in more:
                (file, column, _), n = more[i]
                what = f"{n} more rows" if problem.row is not None else f"{n} more"
                out.append(Problem(file, None, column, f"... and {what} with the same problem"))
        return out
