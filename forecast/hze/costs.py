"""HzE costs per budget year: unit costs, a price-growth path and its uncertainty, nominal and real.

Cost of a Hilfeart in budget year t (the Haushaltsjahr is the calendar year):

    nominal[t] = unit_cost * level * index[t] * volume[t]
    real[t]    = nominal[t] / (1 + inflation) ** (t - price_year)

with ``volume`` the case-months of the year (Erziehungsberatung: the cases begun in the year),
``unit_cost`` at prices of ``price_year``, ``level`` a draw of the city's unit-cost level
(lognormal, median 1, the cost range as its 5 %..95 % interval), and ``index`` the cumulated price
growth since ``price_year``: each draw has its own growth rate (lognormal around the default,
the growth range as its 5 %..95 % interval) plus independent year-to-year deviations. Real values
are in prices of ``price_year``, deflated by a general inflation rate (not by HzE prices), so
they show how much of the nominal rise is more than general inflation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from forecast.hze.catalogue import CATALOGUE, Z95
from forecast.params import default_param, default_value


def _sigma(lo: float, hi: float) -> float:
    """Lognormal sd whose 5 %..95 % interval has the ratio hi/lo."""
    return float(np.log(hi / lo) / (2 * Z95)) if lo > 0 and hi > lo else 0.0


@dataclass(frozen=True)
class CostAssumptions:
    """Unit costs and price development.

    Attributes:
        unit_cost: Hilfeart -> EUR per case-month (per begun case for ``per_case``), prices of
            ``price_year``.
        unit_cost_range: Hilfeart -> 5 %..95 % range of the city's unit cost, same unit.
        per_case: Hilfearten paid per begun case rather than per case-month.
        price_year: the year whose prices ``unit_cost`` are in.
        growth: nominal growth of unit costs per year (median), fraction.
        growth_range: 5 %..95 % range of the growth rate, fraction per year.
        growth_noise: sd of the year-to-year deviation from a draw's growth rate, fraction.
        inflation: general price inflation per year for real values, fraction.
    """

    unit_cost: Mapping[str, float]
    unit_cost_range: Mapping[str, tuple[float, float]]
    per_case: frozenset[str] = field(
        default_factory=lambda: frozenset(h for h, c in CATALOGUE.items() if c.cost_per_case)
    )
    price_year: int = field(default_factory=lambda: default_value("hze.costs.price_year"))
    growth: float = field(default_factory=lambda: default_value("hze.costs.growth"))
    growth_range: tuple[float, float] = field(
        default_factory=lambda: tuple(default_param("hze.costs.growth")["range"])
    )
    growth_noise: float = field(default_factory=lambda: default_value("hze.costs.growth_noise"))
    inflation: float = field(default_factory=lambda: default_value("hze.costs.inflation"))
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def defaults(cls) -> CostAssumptions:
        """The catalogue's unit costs (DOMAIN.md § 6.4) and the price development of
        ``forecast/parameters/hze.yaml`` (growth +5 %/yr, 3-10 % [S1][S25])."""
        return cls(
            unit_cost={h: c.unit_cost for h, c in CATALOGUE.items()},
            unit_cost_range={h: c.cost_range for h, c in CATALOGUE.items()},
        )

    def price_index(self, years: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """Nominal unit-cost index relative to ``price_year`` (1 there), shape (Y,).

        Args:
            years: consecutive budget years.
            rng: random generator; None gives the median path (growth at its default, no noise).
        """
        span = np.arange(min(years.min(), self.price_year), max(years.max(), self.price_year) + 1)
        g = np.full(span.size, self.growth)
        if rng is not None:
            g = self.growth * np.exp(_sigma(*self.growth_range) * rng.standard_normal())
            g = g + self.growth_noise * rng.standard_normal(span.size)
        # log index[y] = sum of log(1 + g_s) over price_year < s <= y (minus the sum over
        # y < s <= price_year before the price year): a difference of cumulative sums.
        cum = np.cumsum(np.log1p(np.maximum(g, -0.5)))
        log_index = cum - cum[span == self.price_year]
        return np.exp(log_index[np.searchsorted(span, years)])

    def level(self, codes: tuple[str, ...], rng: np.random.Generator | None) -> np.ndarray:
        """Unit cost per Hilfeart for one draw (EUR, prices of ``price_year``), shape (H,)."""
        base = np.array([self.unit_cost[h] for h in codes])
        if rng is None:
            return base
        sigma = np.array([_sigma(*self.unit_cost_range[h]) for h in codes])
        return base * np.exp(sigma * rng.standard_normal(len(codes)))

    def deflator(self, years: np.ndarray) -> np.ndarray:
        """General price level relative to ``price_year``, shape (Y,)."""
        return (1.0 + self.inflation) ** (years - self.price_year)

    def costs(
        self,
        codes: tuple[str, ...],
        years: np.ndarray,
        case_months: np.ndarray,
        begun: np.ndarray,
        rng: np.random.Generator | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nominal and real cost of one draw.

        Args:
            codes: Hilfearten, length H.
            years: budget years, shape (Y,).
            case_months: case-months, shape (Y, D, H).
            begun: begun cases, shape (Y, D, H).
            rng: random generator (None: median assumptions).

        Returns:
            (nominal EUR, real EUR at prices of ``price_year``), each shape (Y, D, H).
        """
        per_case = np.array([h in self.per_case for h in codes])
        volume = np.where(per_case, begun, case_months)
        unit = self.level(codes, rng)  # (H,)
        index = self.price_index(years, rng)  # (Y,)
        nominal = volume * unit * index[:, None, None]
        return nominal, nominal / self.deflator(years)[:, None, None]
