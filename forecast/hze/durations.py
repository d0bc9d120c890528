"""How long a help runs: monthly duration distributions and their stock-flow bookkeeping.

A help that begins in month ``s`` and lasts ``k`` months (k >= 1) is running in months
``s .. s+k-1`` and ends at the end of month ``s+k-1``. It counts as *running at 31.12.* of a year
if it is still running after December, as *ended* in the year of its last month, and contributes
one *case-month* to every month it runs (costs follow case-months). The statistics' Fallzahl of
a year is running at 31.12. plus ended during the year (DESIGN.md, domain conventions).

Durations are discretised Weibull distributions: ``P(D >= m) = exp(-((m-1)/scale)**shape)``,
i.e. D = ceil(X) for a continuous Weibull X; shape 1 is the geometric distribution.

The forecast works in calendar years. ``CohortFlows`` turns a duration into what a year's
cohort of begun cases (begin months spread evenly over the year) does in later years: the
probability of ending ``j`` years later and the expected case-months per year given that. The
same for the stock running at a 31.12., whose remaining durations follow the equilibrium
(length-biased) residual distribution of renewal theory.

References:
    Cox, D. R. (1962). Renewal Theory, ch. 5 (equilibrium residual life).
    Nakagawa, T., Osaki, S. (1975). The discrete Weibull distribution. IEEE Trans. Reliability 24.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.optimize import brentq

MAX_MONTHS = 360
"""Longest duration carried, months (30 years; longer helps are cut there)."""


@dataclass(frozen=True)
class MonthlyDuration:
    """Distribution of the completed duration of a help, in whole months.

    Attributes:
        pmf: P(D = k) for k = 1..K, shape (K,), sums to 1.
    """

    pmf: np.ndarray

    @property
    def survival(self) -> np.ndarray:
        """P(D >= k) for k = 1..K, shape (K,)."""
        return np.cumsum(self.pmf[::-1])[::-1]

    @property
    def mean(self) -> float:
        """Mean duration, months."""
        return float(np.sum(np.arange(1, self.pmf.size + 1) * self.pmf))

    def residual_pmf(self) -> np.ndarray:
        """Remaining months of a help running at a month's end, in a steady state.

        ``q_r = P(D >= r+1) / (mean - 1)`` for r = 1..K-1 (renewal theory, discrete time).

        Returns:
            P(R = r), shape (K-1,); all zero when every help lasts one month.
        """
        tail = self.survival[1:]
        total = tail.sum()
        return tail / total if total > 0 else np.zeros_like(tail)

    def fallzahl_per_begun(self) -> float:
        """Fallzahl per begun case in a steady state: ``1 + (mean - 1) / 12``.

        With B cases begun per year at a constant monthly rate, B·(mean-1)/12 are running at
        31.12. and B end per year, so the statistics count B·(1 + (mean-1)/12).
        """
        return 1.0 + (self.mean - 1.0) / 12.0

    @cached_property
    def cohorts(self) -> CohortFlows:
        """Annual cohort bookkeeping of this duration (see ``CohortFlows``)."""
        return CohortFlows.from_duration(self)


def weibull_duration(
    mean: float, shape: float = 1.0, max_months: int = MAX_MONTHS
) -> MonthlyDuration:
    """Discretised Weibull duration with the given mean.

    Args:
        mean: mean duration, months (> 1).
        shape: Weibull shape (1 = geometric; < 1 many short and a few very long helps).
        max_months: longest duration; the mass beyond is put on the last month.

    Returns:
        The duration distribution.

    Raises:
        ValueError: mean <= 1 or not below max_months / 2.
    """
    if not 1.0 < mean < max_months / 2:
        raise ValueError(f"mean duration {mean} months: expected between 1 and {max_months / 2}")
    m = np.arange(max_months)

    def surv(scale: float) -> np.ndarray:  # P(D >= m+1) = P(X > m)
        return np.exp(-((m / scale) ** shape))

    scale = brentq(lambda s: surv(s).sum() - mean, 1e-3, 10.0 * max_months)
    s = surv(scale)
    pmf = s - np.append(s[1:], 0.0)  # the last entry keeps the cut tail
    return MonthlyDuration(pmf)


@dataclass(frozen=True)
class CohortFlows:
    """What one year's begun cases, or one 31.12. stock, do in the following calendar years.

    Offsets count calendar years: for a cohort begun in year t, offset j means year t+j; for the
    stock running at 31.12. of year t0, offset j means year t0+1+j.

    Attributes:
        end_prob: P(a case begun in year t ends in year t+j), shape (J,).
        case_months: E[case-months in year t+i | ends in year t+j], shape (J, J), zero for i > j.
        stock_end_prob: P(a case running at 31.12.t0 ends in year t0+1+j), shape (J,).
        stock_case_months: E[case-months in t0+1+i | ends in t0+1+j], shape (J, J).
    """

    end_prob: np.ndarray
    case_months: np.ndarray
    stock_end_prob: np.ndarray
    stock_case_months: np.ndarray
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_duration(cls, duration: MonthlyDuration) -> CohortFlows:
        """Tabulate a duration over begin months 1..12 (evenly spread) and all durations."""
        k = np.arange(1, duration.pmf.size + 1)
        begin = np.arange(1, 13)
        end = begin[:, None] + k[None, :] - 1  # last running month, months from 1 Jan of year t
        n_off = int((end.max() - 1) // 12) + 1
        weight = duration.pmf[None, :] / 12.0
        end_prob, case_months = _tabulate(begin[:, None], end, weight, n_off)
        r = np.arange(1, duration.pmf.size)  # remaining months of the stock, from 1 Jan of t0+1
        s_prob, s_months = _tabulate(np.ones(1, int), r, duration.residual_pmf(), n_off)
        return cls(end_prob, case_months, s_prob, s_months)

    @property
    def span(self) -> int:
        """Number of offsets J."""
        return int(self.end_prob.size)

    def operators(self, years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Tensors mapping cohort counts ``n[t, ..., j]`` to yearly ended, running, case-months.

        Returns:
            Three arrays of shape (years, years, J): entry [T, t, j] says what one case begun in
            year t that ends at offset j adds to year T (ended: 1 if t+j = T; running at 31.12.:
            1 if t <= T < t+j; case-months: their expected number in year T).
        """
        if ("cohort", years) in self._cache:
            return self._cache[("cohort", years)]
        lag = np.arange(years)[:, None] - np.arange(years)[None, :]  # T - t
        j = np.arange(self.span)
        lag3 = lag[:, :, None]
        ended = (lag3 == j).astype(float)
        running = ((lag3 >= 0) & (j > lag3)).astype(float)
        cm = np.zeros((years, years, self.span))
        ok = (lag >= 0) & (lag < self.span)
        cm[ok] = self.case_months[:, lag[ok]].T
        self._cache[("cohort", years)] = ended, running, cm
        return ended, running, cm

    def stacked_operators(self, years: int) -> tuple[np.ndarray, np.ndarray]:
        """``operators`` and ``stock_operators`` stacked as matrices for one product each.

        Returns:
            (3Y, Y*J) for cohort counts flattened over (t, j), and (3Y, J) for the stock; rows are
            ended, running at 31.12. and case-months of years 0..Y-1.
        """
        if ("stacked", years) not in self._cache:
            cohort = np.concatenate([op.reshape(years, -1) for op in self.operators(years)])
            stock = np.concatenate(self.stock_operators(years))
            self._cache[("stacked", years)] = cohort, stock
        return self._cache[("stacked", years)]

    def stock_operators(self, years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like ``operators`` for the initial stock: arrays (years, J) for ended, running, cm."""
        if ("stock", years) in self._cache:
            return self._cache[("stock", years)]
        t = np.arange(years)[:, None]
        j = np.arange(self.span)[None, :]
        cm = np.zeros((years, self.span))
        cm[: min(years, self.span)] = self.stock_case_months.T[: min(years, self.span)]
        ops = (t == j).astype(float), (j > t).astype(float), cm
        self._cache[("stock", years)] = ops
        return ops


def _tabulate(
    begin: np.ndarray, end: np.ndarray, weight: np.ndarray, n_off: int
) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of the end-year offsets and expected case-months per year given them.

    ``begin``/``end`` are first/last running months (1 = January of year 0), broadcastable;
    ``weight`` their probabilities.
    """
    begin, end = np.broadcast_arrays(begin, end)
    weight = np.broadcast_to(weight, end.shape).ravel()
    off = ((end - 1) // 12).ravel()
    first = 12 * np.arange(n_off) + 1
    months = np.clip(
        np.minimum(end.ravel()[:, None], first + 11)
        - np.maximum(begin.ravel()[:, None], first)
        + 1,
        0,
        None,
    )
    prob = np.bincount(off, weights=weight, minlength=n_off)
    # Sum of weight x case-months by (offset, year): one bincount over the flattened pairs
    # (a small BLAS product here is slow when the machine's cores are busy).
    pair = (off[:, None] * n_off + np.arange(n_off)).ravel()
    expected = np.bincount(pair, weights=(weight[:, None] * months).ravel(), minlength=n_off**2)
    expected = expected.reshape(n_off, n_off)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.where(prob[:, None] > 0, expected / prob[:, None], 0.0)
    return prob, expected


@dataclass(frozen=True)
class AnnualFlows:
    """Yearly stock-flow figures of one Hilfeart; arrays share a shape (..., Y).

    Attributes:
        begun: cases begun during the year.
        ended: cases ended during the year.
        running: cases running at 31.12.
        case_months: months of running help during the year.
    """

    begun: np.ndarray
    ended: np.ndarray
    running: np.ndarray
    case_months: np.ndarray

    @property
    def fallzahl(self) -> np.ndarray:
        """Statistics' case count: running at 31.12. plus ended during the year."""
        return self.running + self.ended


def expected_flows(
    begun: np.ndarray, duration: MonthlyDuration, stock: np.ndarray | float = 0.0
) -> AnnualFlows:
    """Expected yearly flows from begun cases and a stock running at the start.

    Args:
        begun: cases begun per year, shape (..., Y); year 0 is the first year after the stock date.
        duration: the duration distribution.
        stock: cases running at 31.12. before year 0, shape broadcastable to (...,).

    Returns:
        Expected ended, running at 31.12. and case-months per year, shape (..., Y).
    """
    begun = np.asarray(begun, float)
    years = begun.shape[-1]
    c = duration.cohorts
    e_op, r_op, m_op = c.operators(years)
    s_e, s_r, s_m = c.stock_operators(years)
    stock = np.asarray(stock, float)[..., None]
    out = []
    for op, s_op in ((e_op, s_e), (r_op, s_r), (m_op, s_m)):
        per_begun = np.einsum("Ttj,j->Tt", op, c.end_prob)
        per_stock = s_op @ c.stock_end_prob
        out.append(begun @ per_begun.T + stock * per_stock)
    return AnnualFlows(begun, *out)


def simulate_flows(
    begun: np.ndarray,
    stock: np.ndarray,
    duration: MonthlyDuration,
    rng: np.random.Generator,
) -> AnnualFlows:
    """Random yearly flows: each case's end year drawn from the duration distribution.

    Cases end independently (a multinomial split of each cohort over its end years), so ended
    and running are whole numbers and ``running[t] = running[t-1] + begun[t] - ended[t]`` holds
    exactly; case-months are their expectation given the end years.

    Args:
        begun: whole numbers of cases begun per year, shape (D, Y).
        stock: whole numbers of cases running before year 0, shape (D,).
        duration: the duration distribution.
        rng: random generator.

    Returns:
        Flows of shape (D, Y).
    """
    years = begun.shape[-1]
    c = duration.cohorts
    n = rng.multinomial(begun.astype(np.int64), _pvals(c.end_prob))  # (D, Y, J)
    n0 = rng.multinomial(stock.astype(np.int64), _pvals(c.stock_end_prob))  # (D, J)
    op, s_op = c.stacked_operators(years)
    flows = n.reshape(n.shape[0], -1) @ op.T + n0 @ s_op.T  # (D, 3Y): ended, running, months
    return AnnualFlows(begun.astype(float), *np.split(flows, 3, axis=1))


def _pvals(p: np.ndarray) -> np.ndarray:
    """Probabilities safe for ``Generator.multinomial`` (non-negative, sum exactly <= 1)."""
    p = np.clip(p, 0.0, None)
    return p / max(p.sum(), 1.0) if p.sum() > 1.0 else p
