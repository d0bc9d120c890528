"""HzE cases and costs by year, district and Hilfeart, draw by draw, with quantiles at the end.

Draw d combines (DESIGN.md, "Data flow of one run"): population draw d (or the one deterministic
path), a draw of each rate model's parameters and year shocks, count noise on the begun cases,
a duration drawn from the posterior grid with each case's end year drawn from it, and a draw of
unit-cost levels and of the price-growth path. Each draw has its own generator from
``SeedSequence.spawn``, so results do not depend on how draws are chunked. Quantiles are taken
over draws after summing districts and Hilfearten, never of averaged inputs.

For the agent-based model: ``expected_begun`` gives the expected begun cases per year, district
and Hilfeart for each population draw (divide by 12 for a monthly incidence), and
``HzeModel.hilfearten[code].durations`` the monthly duration distributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from forecast.contract import CITY_DISTRICT
from forecast.drawstore import quantiles_first_axis
from forecast.hze.catalogue import CATALOGUE
from forecast.hze.costs import CostAssumptions
from forecast.hze.durations import simulate_flows
from forecast.hze.history import under_21, weighted_exposure
from forecast.hze.model import HzeModel
from forecast.hze.reconcile import reconcile
from forecast.hze.series import CountSeries
from forecast.population.paths import PopulationPaths
from forecast.variables import BAND, HZE_UNITS

TOTAL = "Total"


def future_exposure(
    paths: PopulationPaths,
    register: np.ndarray,
    register_years: np.ndarray,
    years: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted exposure and persons under 21 in the forecast years, per population draw.

    Args:
        paths: projected population (N, Y, D, 2, 27); ``paths.years[0]`` is the base year.
        register: register population (Yr, D, 2, 101) for years before the projection.
        register_years: its years, shape (Yr,).
        years: consecutive forecast years, shape (F,).

    Returns:
        (exposure (N, F, D, 11) in catalogue order, under-21 persons (N, F, D)).
    """
    ages = paths.population.shape[-1]
    need = np.arange(years[0] - 1, years[-1] + 1)
    frames = []
    for year in need:
        if year in paths.years:
            frames.append(paths.population[:, paths.year_index(int(year))])
        elif year in register_years:
            at = int(np.flatnonzero(register_years == year)[0])
            frames.append(
                np.broadcast_to(
                    register[at, ..., :ages],
                    paths.population.shape[:1] + register.shape[1:-1] + (ages,),
                )
            )
        else:
            raise ValueError(f"no population for {year}: neither projected nor in the register")
    pop = np.stack(frames, axis=1)  # (N, F+1, D, 2, A)
    return weighted_exposure(pop, tuple(CATALOGUE))[:, 1:], under_21(pop)[:, 1:]


def _series(model: HzeModel, code: str, years: np.ndarray, exposure: np.ndarray) -> CountSeries:
    cov = None
    if model.hilfearten[code].rate_model.cov_center_ is not None:
        cov = np.broadcast_to(model.last_covariates, (years.size, *model.last_covariates.shape))
    return CountSeries(years, exposure[..., list(CATALOGUE).index(code)], None, cov)


def expected_begun(
    model: HzeModel, exposure: np.ndarray, years: np.ndarray, rate_change: float = 0.0
) -> np.ndarray:
    """Expected begun cases at the estimated parameters, reconciled, per population draw.

    The incidence the agent-based model needs: divide by 12 for cases begun per month; the
    monthly duration distributions are ``model.hilfearten[code].durations`` (equally likely).

    Args:
        model: fitted HzE model.
        exposure: (N, F, D, 11) from ``future_exposure``.
        years: forecast years, shape (F,).
        rate_change: scenario change of the rates per year after the last history year (log).

    Returns:
        Cases per year, shape (N, F, D, H) in ``model.codes`` order.
    """
    scenario = np.exp(rate_change * (years - model.last_year))[:, None]
    out = np.zeros((*exposure.shape[:3], len(model.codes)))
    for n in range(exposure.shape[0]):
        for h, code in enumerate(model.codes):
            hm = model.hilfearten[code]
            fut = _series(model, code, years, exposure[n])
            mu = hm.rate_model.expected(fut)
            if hm.reconciliation == "mint":
                top = hm.city_model.expected(fut.city())[:, 0]
                mu = reconcile(
                    "mint",
                    mu,
                    top,
                    hm.rate_model.residual_var_,
                    float(hm.city_model.residual_var_[0]),
                )
            out[n, :, :, h] = mu * scenario
    return out


@dataclass(frozen=True)
class HzeForecast:
    """Draws of HzE cases and costs.

    Attributes:
        years: forecast years (calendar years; stocks at 31.12.), shape (F,).
        districts: district codes, length D.
        codes: Hilfearten forecast, length H.
        draws: variable -> array (N, F, D, H); variables as in ``UNITS``.
        under21: persons under 21 at 31.12. per draw, (N, F, D).
        price_year: prices of the real costs.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    codes: tuple[str, ...]
    draws: dict[str, np.ndarray]
    under21: np.ndarray
    price_year: int

    def units(self) -> dict[str, str]:
        """Variable -> unit (``HzE|<variable>|<Hilfeart or Total>`` in the results)."""
        return {k: unit.format(price_year=self.price_year) for k, (unit, _) in HZE_UNITS.items()}

    def full(self, variable: str) -> np.ndarray:
        """Draws with the city (last district) and Total (last Hilfeart): (N, F, D+1, H+1)."""
        if variable == "Rate":
            cases = self.full("Cases")
            u21 = np.concatenate([self.under21, self.under21.sum(-1, keepdims=True)], -1)
            return 1e4 * cases / np.maximum(u21, 1.0)[..., None]
        a = self.draws[variable]
        a = np.concatenate([a, a.sum(2, keepdims=True)], 2)
        return np.concatenate([a, a.sum(3, keepdims=True)], 3)

    def to_long(self, quantiles: tuple[float, ...] = BAND) -> pd.DataFrame:
        """Mean and quantiles per year x district (incl. ``_city``) x variable, long format.

        Returns:
            Columns district, year, variable, unit, statistic (mean | quantile), quantile, value.
        """
        districts = np.array([*self.districts, CITY_DISTRICT])
        labels = np.array([*self.codes, TOTAL])
        n_f, n_d, n_h = self.years.size, districts.size, labels.size
        frames = []
        for variable, unit in self.units().items():
            arr = self.full(variable)
            stats = [("mean", np.nan, arr.mean(0))]
            qs = quantiles_first_axis(arr, quantiles)  # np.quantile to the bit, faster
            stats += [("quantile", q, qs[i]) for i, q in enumerate(quantiles)]
            for statistic, q, values in stats:
                frames.append(
                    pd.DataFrame(
                        {
                            "district": np.tile(np.repeat(districts, n_h), n_f),
                            "year": np.repeat(self.years, n_d * n_h),
                            "variable": np.tile(np.char.add(f"HzE|{variable}|", labels), n_f * n_d),
                            "unit": unit,
                            "statistic": statistic,
                            "quantile": q,
                            "value": values.ravel(),
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def summary(self) -> str:
        """One line: cases and nominal cost of the city, first and last year (P10/P50/P90)."""

        def q(variable: str, t: int) -> str:
            lo, mid, hi = np.quantile(self.full(variable)[:, t, -1, -1], BAND)
            if variable == "Cost":
                return f"EUR {mid / 1e6:.1f} M ({lo / 1e6:.1f}-{hi / 1e6:.1f})"
            return f"{mid:,.0f} ({lo:,.0f}-{hi:,.0f})"

        y0, y1 = int(self.years[0]), int(self.years[-1])
        return (
            f"HzE {len(self.codes)} Hilfearten, {self.draws['Begun'].shape[0]} draws: Fallzahl "
            f"{y0} {q('Cases', 0)} -> {y1} {q('Cases', -1)}; cost {y0} {q('Cost', 0)} -> "
            f"{y1} {q('Cost', -1)} (P50, P10-P90)"
        )


def forecast_hze(
    model: HzeModel,
    exposure: np.ndarray,
    under21: np.ndarray,
    years: np.ndarray,
    n_draws: int,
    seeds: list[np.random.SeedSequence],
    costs: CostAssumptions,
    rate_change: float = 0.0,
) -> HzeForecast:
    """Simulate HzE cases and costs.

    Args:
        model: fitted HzE model.
        exposure: weighted exposure (Np, F, D, 11) from ``future_exposure``.
        under21: persons under 21 (Np, F, D).
        years: forecast years, shape (F,).
        n_draws: number of draws N; with Np > 1 population draws, N must equal Np.
        seeds: one seed sequence per draw (``SeedSequence(...).spawn(N)``).
        costs: unit costs and price development.
        rate_change: scenario change of all begun rates per year after the last history year,
            log scale (0.02 = +2 %/yr on top of the fitted model).

    Returns:
        Draws of every variable.
    """
    n_pop = exposure.shape[0]
    if n_pop > 1 and n_pop != n_draws:
        raise ValueError(f"{n_pop} population draws but {n_draws} HzE draws: they must match")
    codes = model.codes
    shape = (n_draws, years.size, len(model.districts), len(codes))
    out = {
        k: np.zeros(shape)
        for k in ("Begun", "Ended", "Running", "Case-months", "Cost", "Real cost")
    }
    scenario = np.exp(rate_change * (years - model.last_year))[:, None]
    with threadpool_limits(1, user_api="blas"):  # many tiny products: threads only contend
        for n in range(n_draws):
            _one_draw(
                model, exposure, years, n, n if n_pop > 1 else 0, seeds[n], costs, scenario, out
            )
    out["Cases"] = out["Running"] + out["Ended"]
    u21 = under21 if n_pop > 1 else np.broadcast_to(under21, (n_draws, *under21.shape[1:]))
    return HzeForecast(years, model.districts, codes, out, np.asarray(u21), costs.price_year)


def _one_draw(
    model: HzeModel,
    exposure: np.ndarray,
    years: np.ndarray,
    n: int,
    p: int,
    seed: np.random.SeedSequence,
    costs: CostAssumptions,
    scenario: np.ndarray,
    out: dict[str, np.ndarray],
) -> None:
    """Draw n (population draw p) of every Hilfeart into ``out``."""
    rng = np.random.default_rng(seed)
    codes = model.codes
    for h, code in enumerate(codes):
        hm = model.hilfearten[code]
        fut = _series(model, code, years, exposure[p])
        mu = hm.rate_model.expected_draws(fut, 1, rng)[0]
        if hm.reconciliation == "mint":
            top = hm.city_model.expected_draws(fut.city(), 1, rng)[0, :, 0]
            mu = reconcile(
                "mint", mu, top, hm.rate_model.residual_var_, float(hm.city_model.residual_var_[0])
            )
        begun = hm.rate_model.count_draws(mu * scenario, rng)
        dur = hm.durations[rng.integers(len(hm.durations))]
        stock = hm.stock
        if stock is None:  # national fallback: steady state of the first year's rate
            stock = rng.poisson(mu[0] * (dur.mean - 1.0) / 12.0)
        flows = simulate_flows(begun.T, stock, dur, rng)
        out["Begun"][n, :, :, h] = begun
        out["Ended"][n, :, :, h] = flows.ended.T
        out["Running"][n, :, :, h] = flows.running.T
        out["Case-months"][n, :, :, h] = flows.case_months.T
    nominal, real = costs.costs(codes, years, out["Case-months"][n], out["Begun"][n], rng)
    out["Cost"][n], out["Real cost"][n] = nominal, real
