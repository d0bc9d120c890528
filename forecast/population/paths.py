"""Population trajectories handed from the population stage to the demand models.

The demand models (Kita, HzE) see the projected population only through ``PopulationPaths``: one
trajectory when the projection is deterministic, N when it is stochastic. Draw d of the population
feeds draw d of every demand model (DESIGN.md, "Data flow of one run"), so demand models vectorise
over the leading draw axis and never average over it. Many draws of a large city do not fit in
memory at once: the stochastic paths are then read block by block (``blocks``) from the population
stage's store, and a demand model works on one block of draws at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from forecast.contract import MAX_AGE

YOUNG_AGES = 27
"""Ages 0..26 are kept for the demand models: Kita needs 0-6, HzE 0-20 and § 41 up to 26."""


@dataclass(frozen=True)
class PopulationPaths:
    """Projected population by draw, year, district, sex and single year of age.

    Attributes:
        years: Stichtage 31.12., shape (Y,); ``years[0]`` is the base (register) year.
        districts: district codes, length D.
        population: persons at 31.12., shape (N, Y, D, 2, A), sex index 0 = f, 1 = m. N = 1 for a
            deterministic projection. Ages are 0..A-1; when A = 101 the last is the open group
            100+, otherwise the ages above A-1 are simply not carried (see ``YOUNG_AGES``).
            None when the draws are read block by block from ``reader``.
        stochastic: whether the N trajectories are random draws (else N = 1, the variant path).
        reader: ``reader(first, last)`` gives draws ``first .. last - 1`` as (n, Y, D, 2, A);
            used instead of ``population`` when the draws stay in a store.
        n_draws: N when ``reader`` is given.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    population: np.ndarray | None
    stochastic: bool = False
    reader: Callable[[int, int], np.ndarray] | None = None
    n_draws: int = 0

    def __post_init__(self) -> None:
        if (self.population is None) == (self.reader is None):
            raise ValueError("give either the population array or a reader of its draws")
        if self.reader is not None:
            if not self.stochastic or self.n_draws < 1:
                raise ValueError("a reader holds N >= 1 stochastic draws")
            return
        self._check(self.population)
        if not self.stochastic and self.population.shape[0] != 1:
            raise ValueError("a deterministic projection has exactly one trajectory")

    def _check(self, pop: np.ndarray) -> None:
        if pop.ndim != 5:
            raise ValueError(f"population must have shape (N, Y, D, 2, A), got {pop.shape}")
        n, y, d, s, a = pop.shape
        if y != len(self.years) or d != len(self.districts) or s != 2 or a > MAX_AGE + 1:
            raise ValueError(
                f"population shape {pop.shape} does not match {len(self.years)} years, "
                f"{len(self.districts)} districts, 2 sexes and at most {MAX_AGE + 1} ages"
            )

    @property
    def draws(self) -> int:
        """Number of trajectories N."""
        return self.n_draws if self.reader is not None else int(self.population.shape[0])

    def select(self, first: int, last: int) -> PopulationPaths:
        """Draws ``first .. last - 1`` as paths held in memory."""
        if not 0 <= first < last <= self.draws:
            raise ValueError(f"draws {first}..{last} outside 0..{self.draws}")
        if self.reader is None:
            pop = self.population[first:last]
        else:
            pop = self.reader(first, last)
            self._check(pop)
        return PopulationPaths(self.years, self.districts, pop, self.stochastic)

    def blocks(self, size: int) -> Iterator[tuple[int, int, PopulationPaths]]:
        """``(first, last, paths of those draws)`` for consecutive blocks of ``size`` draws."""
        for first in range(0, self.draws, max(int(size), 1)):
            last = min(first + max(int(size), 1), self.draws)
            yield first, last, self.select(first, last)

    def year_index(self, year: int) -> int:
        """Position of ``year`` on the year axis; ValueError when it is not projected."""
        hits = np.flatnonzero(self.years == year)
        if hits.size == 0:
            raise ValueError(
                f"year {year} is not in the projection {self.years[0]}..{self.years[-1]}"
            )
        return int(hits[0])
