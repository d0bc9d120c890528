"""HzE draws of a large run, kept in a ``DrawReducer`` block by block and summarised year by year.

``forecast_hze`` gives the draws of one block of population draws (or of HzE draws on one
population path); ``HzeDraws`` collects them within the run's memory budget, then writes the
long table one forecast year at a time (the same rows ``HzeForecast.to_long`` gives for all draws
at once: means and quantiles per district, the city, Hilfeart and Total) and keeps the city's
draws (small) for the summary line and the charts.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.drawstore import DrawReducer, MemoryBudget
from forecast.hze.forecast import HzeForecast

STORED = ("Begun", "Ended", "Running", "Case-months", "Cost", "Real cost")
"""What is kept per draw; ``Cases`` and ``Rate`` follow from it."""


class HzeDraws:
    """The draws of an HzE forecast, added block by block (see the module docstring)."""

    def __init__(
        self,
        years: np.ndarray,
        districts: tuple[str, ...],
        codes: tuple[str, ...],
        draws: int,
        price_year: int,
        budget: MemoryBudget,
    ):
        self.years, self.districts, self.codes = years, districts, codes
        self.draws, self.price_year = draws, price_year
        shapes = {k: (len(districts), len(codes)) for k in STORED}
        shapes["under21"] = (len(districts),)
        self.reducer = DrawReducer("hze", shapes, len(years), draws, budget)

    def __enter__(self) -> HzeDraws:
        return self

    def __exit__(self, *exc) -> None:
        self.reducer.store.close()

    def write(self, first: int, fc: HzeForecast) -> None:
        """Write without counting (a forked block job; the parent sets ``reducer.added``)."""
        arrays = {k: fc.draws[k] for k in STORED}
        arrays["under21"] = fc.under21
        self.reducer.write(first, arrays)

    def _year(self, k: int, year: dict[str, np.ndarray]) -> HzeForecast:
        draws = {name: year[name][:, None] for name in STORED}
        draws["Cases"] = draws["Running"] + draws["Ended"]
        return HzeForecast(
            self.years[k : k + 1],
            self.districts,
            self.codes,
            draws,
            year["under21"][:, None],
            self.price_year,
        )

    def long_frames(self) -> Iterator[pd.DataFrame]:
        """``HzeForecast.to_long`` rows, one forecast year at a time."""
        for k, year in self.reducer.by_year():
            yield self._year(k, year).to_long()

    def city(self) -> HzeForecast:
        """The city's draws (all districts summed) as a forecast with one district."""
        n, f, h = self.draws, len(self.years), len(self.codes)
        draws = {name: np.empty((n, f, 1, h)) for name in (*STORED, "Cases")}
        under21 = np.empty((n, f, 1))
        for k, year in self.reducer.by_year():
            fc = self._year(k, year)
            for name in draws:
                draws[name][:, k, 0] = fc.draws[name][:, 0].sum(axis=1)
            under21[:, k, 0] = fc.under21[:, 0].sum(axis=1)
        return HzeForecast(
            self.years, (CITY_DISTRICT,), self.codes, draws, under21, self.price_year
        )
