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

# Plausibility warnings by name (``forecast.validate_plausible``): a city accepts them in city.yaml.
JUMP, THOUSANDS, CONTROL, TFR, E0, PERCENT, UNKNOWN_FILE, UNKNOWN_KEY = (
    "jump",
    "thousands",
    "control_total",
    "tfr",
    "e0",
    "percent",
    "unknown_file",
    "unknown_key",
)
ACCEPTABLE: dict[str, str] = {
    JUMP: "a district's population grows tenfold or falls to a tenth in one year",
    THOUSANDS: "a count about 1000 times smaller than both neighbours in its series (75.000 as 75)",
    CONTROL: "a control total below 10 % (or above 10 times) of the register's population, or "
    "a whole-city total below 1,000 persons",
    TFR: "the TFR implied by births and women lies outside 0.5..4",
    E0: "the life expectancy implied by deaths and population lies outside 60..95 years",
    PERCENT: "every value of a social indicator lies in (1, 100]: looks like percent",
    UNKNOWN_FILE: "a table file in the city folder that is not a contract file (not read)",
    UNKNOWN_KEY: "a key in city.yaml that jhplan does not read (not like any key it reads)",
}
"""Warnings by name (``Problem.check``); ``accept_warnings: [name, ...]`` in city.yaml accepts them."""


def accept_hint(check: str) -> str:
    """The end of a warning: how to accept it when the data are right."""
    return f" (if the data are right, accept with 'accept_warnings: [{check}]' in city.yaml)"


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
        check: for a warning, the name of the plausibility check that raised it (what
            ``accept_warnings`` in city.yaml lists to accept it); empty for errors.
    """

    file: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"
    check: str = ""

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
        self._error_files: set[str] = set()

    def add(
        self,
        file: str,
        row: int | None,
        column: str | None,
        message: str,
        kind: str = "",
        severity: str = ERROR,
    ) -> None:
        """Add one problem; ``kind`` groups problems for the cap (default: the message itself).

        A warning's ``kind`` is the name of the check that raised it (``Problem.check``).
        """
        key = (file, column, kind or message)
        self._seen[key] += 1
        if severity == ERROR:
            self._error_files.add(file)
        if self._seen[key] <= self.cap:
            check = kind if severity == WARNING else ""
            self._problems.append(Problem(file, row, column, message, severity, check))
            self._last[key] = len(self._problems)

    def has_errors(self, file: str) -> bool:
        """Whether an error (not a warning) was reported for ``file``."""
        return file in self._error_files

    def rows(
        self,
        file: str,
        column: str | None,
        kind: str,
        lines: np.ndarray,
        message: Callable[[int], str],
        severity: str = ERROR,
        where: np.ndarray | None = None,
    ) -> None:
        """Add one problem per entry of ``lines``; ``message(k)`` describes the k-th.

        With a boolean mask ``where`` (one entry per line), only the lines where it holds are
        reported, and ``message(i)`` gets the line's position ``i`` in ``lines``.
        """
        key = (file, column, kind)
        pos = np.arange(len(lines)) if where is None else np.flatnonzero(where)
        if len(pos) and severity == ERROR:
            self._error_files.add(file)
        for k, i in enumerate(pos):
            if self._seen[key] >= self.cap:  # past the cap: count, do not build messages
                self._seen[key] += len(pos) - k
                return
            self.add(
                file, int(lines[i]), column, message(k if where is None else i), kind, severity
            )

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
                same = f"... and {what} with the same problem"
                out.append(Problem(file, None, column, same, problem.severity, problem.check))
        return out
