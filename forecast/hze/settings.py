"""Settings of the HzE model: model choice, backtests, national rates and durations.

The library's defaults are the catalogue's (``forecast.hze.catalogue``) and those of
``forecast/parameters/hze.yaml``; the run configuration
(``conf/hze/*.yaml`` via ``simulation.config_hze.hze_settings``) may override every one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from forecast.hze.catalogue import CATALOGUE
from forecast.hze.duration_fit import DurationEstimate, prior_estimate
from forecast.hze.durations import weibull_duration
from forecast.hze.rate_models import MODELS
from forecast.params import default_value

MODEL_CHOICES = ("auto", *MODELS)
TREND_CHOICES = ("auto", "on", "off")
RECONCILIATION_CHOICES = ("auto", "bottom_up", "mint")


@dataclass(frozen=True)
class HzeSettings:
    """How the HzE model is fitted.

    Attributes:
        model: ``auto`` (backtest) or a name of ``rate_models.MODELS``.
        trend: ``auto`` (backtest with and without), ``on`` or ``off``.
        covariates: social indicators to try as regressors (backtest with and without).
        reconciliation: ``auto`` (backtest), ``bottom_up`` or ``mint``.
        damping: trend damping per forecast year.
        min_years_regression: shorter series use ``gamma_poisson``, years.
        min_cases_regression: series with fewer begun cases use ``gamma_poisson``.
        backtest_origins: number of rolling origins.
        backtest_horizon: years forecast from each origin.
        backtest_min_train: years needed before the first origin.
        backtest_sims: predictive samples per origin.
        national_rates: Hilfeart -> Fallzahl per 10,000 under 21 (None: none of its own).
        national_cv: spread of rates between Jugendämter (coefficient of variation).
        durations: Hilfeart -> (mean months, (5 %, 95 %) of the mean, Weibull shape).
        fit_durations: estimate mean durations from the city's history.
        duration_grid: equally likely duration points carried into the forecast.
    """

    model: str = "auto"
    trend: str = "auto"
    covariates: tuple[str, ...] = ()
    reconciliation: str = "auto"
    damping: float = field(default_factory=lambda: default_value("hze.damping"))
    min_years_regression: int = 5
    min_cases_regression: int = 10
    backtest_origins: int = 4
    backtest_horizon: int = 3
    backtest_min_train: int = 4
    backtest_sims: int = 200
    national_rates: Mapping[str, float | None] = field(
        default_factory=lambda: {h: c.national_rate for h, c in CATALOGUE.items()}
    )
    national_cv: float = field(default_factory=lambda: default_value("hze.national_cv"))
    durations: Mapping[str, tuple[float, tuple[float, float], float]] = field(
        default_factory=lambda: {
            h: (c.duration_months, c.duration_range, c.duration_shape) for h, c in CATALOGUE.items()
        }
    )
    fit_durations: bool = True
    duration_grid: int = 16

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("model", self.model, MODEL_CHOICES),
            ("trend", self.trend, TREND_CHOICES),
            ("reconciliation", self.reconciliation, RECONCILIATION_CHOICES),
        ):
            if value not in allowed:
                raise ValueError(f"hze.{name}={value!r}: expected one of {allowed}")

    def prior_duration(self, code: str) -> DurationEstimate:
        mean, (lo, hi), shape = self.durations[code]
        return prior_estimate(mean, lo, hi, shape)

    def national_begun_rate(self, code: str) -> float | None:
        """National begun cases per weighted person-year: Fallzahl rate / steady-state factor."""
        rate = self.national_rates.get(code)
        if rate is None:
            return None
        mean, _, shape = self.durations[code]
        return rate / 1e4 / weibull_duration(mean, shape).fallzahl_per_begun()
