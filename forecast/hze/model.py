"""Fit the HzE model of a city: per Hilfeart a rate model, a reconciliation and a duration.

``fit_hze`` goes Hilfeart by Hilfeart through the catalogue:

* with a history in ``hze_cases``: the rate model is chosen among the candidates by a
  rolling-origin backtest (``forecast.hze.selection``) unless the configuration fixes it; a
  series shorter than ``min_years_regression`` or with fewer than ``min_cases_regression`` begun
  cases falls back to ``gamma_poisson`` (the national rate updated by the city's cases);
  bottom-up or MinT reconciliation is chosen by backtest as well; the mean duration is estimated
  from the city's begun, ended and running cases with the catalogue's duration as prior;
* without a history: the national rate (``NationalRate``) with its spread between Jugendämter,
  and the run says so (a ``Fallback`` note); the stock at the start is the steady state;
* ``p41`` without a history is not forecast: the national statistics count help for young adults
  under its form of help, so it is inside the other Hilfearten.

Every choice is recorded in ``HzeModel.notes`` and ``HilfeartModel.describe()`` for the manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from forecast.hze.catalogue import CATALOGUE
from forecast.hze.duration_fit import DurationEstimate, fit_duration
from forecast.hze.durations import MonthlyDuration
from forecast.hze.history import HzeHistory
from forecast.hze.rate_models import (
    MODELS,
    GammaPoissonRate,
    NationalRate,
    RateModel,
)
from forecast.hze.selection import origins_for, select_model, select_reconciliation
from forecast.hze.series import CountSeries
from forecast.hze.settings import HzeSettings


@dataclass
class HilfeartModel:
    """The fitted model of one Hilfeart.

    Attributes:
        code: Hilfeart code.
        source: ``city`` (own history) or ``national`` (fallback).
        rate_model: fitted district-level rate model.
        city_model: fitted city-level rate model (for MinT), or None.
        reconciliation: ``bottom_up`` or ``mint``.
        duration: posterior of the mean duration.
        durations: equally likely duration distributions (draw one per forecast draw).
        stock: cases running at 31.12. of the last history year per district, or None (steady
            state of the forecast's first year, for the national fallback).
        selection: backtest scores of the candidates, or None.
        reconciliation_scores: backtest CRPS per reconciliation method, or None.
        backtest: the chosen model's scored backtest cells (``selection.score_table``), or None.
    """

    code: str
    source: str
    rate_model: RateModel
    city_model: RateModel | None
    reconciliation: str
    duration: DurationEstimate
    durations: tuple[MonthlyDuration, ...]
    stock: np.ndarray | None
    selection: pd.DataFrame | None = None
    reconciliation_scores: dict[str, float] | None = None
    backtest: pd.DataFrame | None = None

    def describe(self) -> dict:
        """Plain facts for the run manifest."""
        m = self.rate_model
        out = {
            "source": self.source,
            "model": m.name,
            "trend": bool(m.trend),
            "covariates": m.cov_center_ is not None,
            "reconciliation": self.reconciliation,
            "begun_rate_per_10000": float(1e4 * np.exp(m.beta_[0])),
            "year_shock_var": float(m.phi_),
            "nb_alpha": float(m.alpha_),
            "duration_months": round(self.duration.mean, 2),
            "duration_90": [round(v, 2) for v in self.duration.interval90],
            "duration_source": self.duration.source,
        }
        if m.trend:
            out["trend_per_year"] = float(m.beta_[1])
        if self.selection is not None:
            out["backtest"] = self.selection.replace({np.inf: None}).to_dict(orient="records")
        if self.reconciliation_scores is not None:
            out["reconciliation_crps"] = self.reconciliation_scores
        return out


@dataclass
class HzeModel:
    """Fitted HzE models of a city.

    Attributes:
        districts: district codes.
        last_year: last history year (the forecast starts the year after).
        hilfearten: Hilfeart -> fitted model (only those forecast).
        covariates: covariate names used by regressions (in order), possibly empty.
        last_covariates: their last observed values, shape (D, K), or None.
        notes: sources, choices and fallbacks, one sentence each.
    """

    districts: tuple[str, ...]
    last_year: int
    hilfearten: dict[str, HilfeartModel]
    covariates: tuple[str, ...] = ()
    last_covariates: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.hilfearten)


def candidates(
    settings: HzeSettings, rate: float | None, with_cov: bool
) -> dict[str, Callable[[], RateModel]]:
    """Candidate factories for the backtest, simplest first (ties go to the simpler)."""
    kinds = ("poisson", "negbin") if settings.model == "auto" else (settings.model,)
    trends = {"auto": (False, True), "on": (True,), "off": (False,)}[settings.trend]
    out: dict[str, Callable[[], RateModel]] = {}
    if settings.model in ("auto", "gamma_poisson"):
        out["gamma_poisson"] = partial(GammaPoissonRate, rate, settings.national_cv)
    for kind in kinds:
        if kind in ("gamma_poisson", "national"):
            continue
        for trend in trends:
            for cov in (False, True) if with_cov else (False,):
                name = kind + ("+trend" if trend else "") + ("+social" if cov else "")
                out[name] = partial(MODELS[kind], trend, cov, settings.damping, rate)
    return out


def fit_hze(
    history: HzeHistory | None,
    districts: tuple[str, ...],
    base_year: int,
    base_exposure: np.ndarray,
    settings: HzeSettings,
    seed: int = 0,
) -> HzeModel:
    """Fit the HzE model of a city.

    Args:
        history: the city's HzE history (``history.load_history``), or None.
        districts: district codes.
        base_year: last year before the forecast when there is no history.
        base_exposure: weighted exposure of ``base_year`` per Hilfeart of the catalogue,
            shape (D, 11) (used for the reference year of the national fallback).
        settings: model settings.
        seed: seed of the backtests' random numbers.

    Returns:
        The fitted models.
    """
    notes: list[str] = list(history.notes) if history is not None else []
    rng = np.random.default_rng([seed, 0])
    cov_names = _covariate_names(history, settings, notes)
    fitted: dict[str, HilfeartModel] = {}
    with threadpool_limits(1, user_api="blas"):  # many small fits: threads only contend
        for code in CATALOGUE:
            _fit_one(
                code,
                history,
                base_year,
                base_exposure,
                settings,
                cov_names,
                rng,
                seed,
                fitted,
                notes,
            )
    last = int(history.years[-1]) if history is not None else base_year
    last_cov = None
    if cov_names:
        last_cov = np.stack([history.covariates[c][-1] for c in cov_names], axis=-1)
    return HzeModel(districts, last, fitted, cov_names, last_cov, tuple(notes))


def _fit_one(
    code: str,
    history: HzeHistory | None,
    base_year: int,
    base_exposure: np.ndarray,
    settings: HzeSettings,
    cov_names: tuple[str, ...],
    rng: np.random.Generator,
    seed: int,
    fitted: dict[str, HilfeartModel],
    notes: list[str],
) -> None:
    """Fit one Hilfeart into ``fitted``: own history, national fallback, or not at all."""
    rate = settings.national_begun_rate(code)
    prior = settings.prior_duration(code)
    if history is not None and code in history.hilfearten:
        fitted[code] = _fit_city(code, history, rate, prior, settings, cov_names, rng, seed, notes)
    elif rate is not None:
        series = CountSeries(
            np.array([base_year]), base_exposure[None, :, list(CATALOGUE).index(code)]
        )
        model = NationalRate(rate, settings.national_cv).fit(series)
        fitted[code] = HilfeartModel(
            code,
            "national",
            model,
            None,
            "bottom_up",
            prior,
            prior.grid(settings.duration_grid),
            None,
        )
        why = (
            "the city has no hze_cases" if history is None else f"hze_cases has no rows for {code}"
        )
        notes.append(
            f"Fallback: {code} uses the national rate ({settings.national_rates[code]:g} per "
            f"10,000 under 21, DOMAIN.md § 6.3) with its range as prior, because {why}"
        )
    else:
        notes.append(
            f"{code} not forecast: no rows in hze_cases and no national rate of its own (the "
            "national statistics count help for young adults under its form of help)"
        )


def _covariate_names(
    history: HzeHistory | None, settings: HzeSettings, notes: list[str]
) -> tuple[str, ...]:
    if not settings.covariates:
        return ()
    have = history.covariates if history is not None else {}
    missing = [c for c in settings.covariates if c not in have]
    if missing:
        notes.append(f"Fallback: covariate(s) {missing} not in social; regressions use the others")
    return tuple(c for c in settings.covariates if c in have)


def _fit_city(
    code: str,
    history: HzeHistory,
    rate: float | None,
    prior: DurationEstimate,
    settings: HzeSettings,
    cov_names: tuple[str, ...],
    rng: np.random.Generator,
    seed: int,
    notes: list[str],
) -> HilfeartModel:
    h = history.index(code)
    rows = np.isfinite(history.begun[:, :, h]).all(axis=1)
    years = history.years[rows]
    cov = None
    if cov_names:
        cov = np.stack([history.covariates[c][rows] for c in cov_names], axis=-1)
    series = CountSeries(years, history.exposure[rows, :, h], history.begun[rows, :, h], cov)
    districts = history.districts
    n_cases = float(series.begun.sum())
    short = years.size < settings.min_years_regression or n_cases < settings.min_cases_regression
    selection = backtest = None
    if settings.model in ("gamma_poisson", "national") or (short and settings.model == "auto"):
        if short and settings.model == "auto":
            notes.append(
                f"Fallback: {code} has {years.size} years and {n_cases:g} begun cases, too few for "
                "a regression; gamma_poisson (national rate updated by the city's cases) is used"
            )
        name = settings.model if settings.model != "auto" else "gamma_poisson"
        factory = partial(MODELS[name], rate, settings.national_cv)
    else:
        options = candidates(settings, rate, bool(cov_names))
        origins = origins_for(years, settings.backtest_origins, settings.backtest_min_train)
        if len(options) > 1 and origins:
            name, selection, backtest = select_model(
                options,
                series,
                origins,
                settings.backtest_horizon,
                settings.backtest_sims,
                rng,
                districts,
            )
        else:
            name = next(n for n in options if n != "gamma_poisson")
        factory = options[name]
    try:
        model = factory().fit(series)
    except (ValueError, np.linalg.LinAlgError) as err:
        notes.append(f"Fallback: {code}: {name} could not be fitted ({err}); gamma_poisson is used")
        factory = partial(GammaPoissonRate, rate, settings.national_cv)
        model = factory().fit(series)
    method, rec_scores, city_model = _reconciliation(factory, series, settings, seed, districts)
    totals = [
        np.nansum(a[rows, :, h], axis=1) for a in (history.begun, history.ended, history.running)
    ]
    duration = fit_duration(*totals, prior) if settings.fit_durations else prior
    return HilfeartModel(
        code,
        "city",
        model,
        city_model,
        method,
        duration,
        duration.grid(settings.duration_grid),
        np.nan_to_num(history.running[rows, :, h][-1]),
        selection,
        rec_scores,
        backtest,
    )


def _reconciliation(
    factory: Callable[[], RateModel],
    series: CountSeries,
    settings: HzeSettings,
    seed: int,
    districts: tuple[str, ...],
) -> tuple[str, dict[str, float] | None, RateModel | None]:
    """Reconciliation method, its backtest scores and the city-level model it needs."""
    if len(districts) < 2 or settings.reconciliation == "bottom_up":
        return "bottom_up", None, None
    city_model = factory().fit(series.city())
    if settings.reconciliation == "mint":
        return "mint", None, city_model
    origins = origins_for(series.years, settings.backtest_origins, settings.backtest_min_train)
    if not origins:
        return "bottom_up", None, None
    method, scores = select_reconciliation(
        factory, series, origins, settings.backtest_horizon, settings.backtest_sims, seed, districts
    )
    return method, scores, city_model if method == "mint" else None
