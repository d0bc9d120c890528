"""One forecaster contract and one rolling-origin backtest for every model family.

Kita quota models (one short series), the Kita panel model (many short series) and the HzE rate
models (counts by year and district with an exposure) obey the same contract (statsforecast and
scikit-learn style):

* the constructor stores hyper-parameters only; ``get_params()`` returns them and ``clone()``
  gives an unfitted copy with the same ones;
* ``fit(y, X=None)`` validates, estimates and returns ``self``; fitted state ends in ``_``;
* ``predict(h, level=0.8, X_future=None, *, rng=None, n_samples=0)`` returns one ``Forecast``:
  the mean 1..h periods ahead, a central interval for every requested level, and sample paths
  where the family draws them. ``X_future`` carries what the future needs to be known (the HzE
  exposure and covariates); families that need nothing ignore it. ``predict`` is written once,
  here: it checks the model, ``h`` and ``level`` and calls the family's ``_predict`` hook;
* predicting before fitting raises ``NotFittedError``.

``cross_validate(model, data, h)`` is the one rolling-origin loop: at every origin a clone is
fitted to the data up to the origin and forecasts the next ``h`` periods, which are returned with
what was observed. How a family cuts its data at an origin is the family's ``split`` method.

References:
    Tashman, L.J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
    International Journal of Forecasting 16(4), 437-450 (rolling-origin evaluation).
    Garza, A., Mergenthaler Canseco, M., Challú, C. & Olivares, K.G. (2022). StatsForecast
    (``cross_validation``: cutoffs, horizon, refit at every window).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

Levels = tuple[float, ...]
"""Coverage shares of the central intervals, as ``as_levels`` gives them."""

Rng = np.random.Generator | None
"""A random generator, or None for the family's default."""


class NotFittedError(RuntimeError):
    """A forecaster was asked to predict before it was fitted."""


def as_levels(level: float | Sequence[float]) -> Levels:
    """One level or several as a tuple of shares, each strictly between 0 and 1."""
    levels = (level,) if np.isscalar(level) else tuple(level)
    if not levels:
        raise ValueError("level: expected at least one coverage share")
    for lv in levels:
        if not 0 < lv < 1:
            raise ValueError(f"level {lv}: expected a share between 0 and 1")
    return tuple(float(lv) for lv in levels)


@dataclass(frozen=True)
class Forecast:
    """Point forecasts, central intervals and, where the family draws them, sample paths.

    Attributes:
        model: name of the model.
        mean: point forecasts; the forecast step is the last axis for quota series (h,) and
            panels (N, h), the first for HzE counts (h, D). Unit as the data.
        intervals: level -> (lower, upper), each shaped as ``mean``, never negative.
        samples: draws (S, *mean.shape), or None.
        sd: forecast standard deviation shaped as ``mean`` where the family has it, or None.
        index: labels of the panel's series (rows of ``mean``), or None.
        years: the forecast years where the family knows them, or None.
    """

    model: str
    mean: np.ndarray
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]
    samples: np.ndarray | None = None
    sd: np.ndarray | None = None
    index: Any = None
    years: np.ndarray | None = None

    @property
    def level(self) -> float:
        """The first requested level (the one ``lo`` and ``hi`` refer to)."""
        return next(iter(self.intervals))

    @property
    def lo(self) -> np.ndarray:
        """Lower bound of the interval at ``level``."""
        return self.intervals[self.level][0]

    @property
    def hi(self) -> np.ndarray:
        """Upper bound of the interval at ``level``."""
        return self.intervals[self.level][1]

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) of the central ``level`` interval."""
        if level not in self.intervals:
            raise KeyError(f"level {level} not forecast; levels: {list(self.intervals)}")
        return self.intervals[level]

    def frame(self):
        """Long table of a panel forecast: series, year, mean, lo, hi (first level)."""
        import pandas as pd

        n, h = self.mean.shape
        return pd.DataFrame(
            {
                "series": np.repeat(np.asarray(self.index), h),
                "year": np.tile(self.years, n),
                "mean": self.mean.ravel(),
                "lo": self.lo.ravel(),
                "hi": self.hi.ravel(),
            }
        )


class Split(NamedTuple):
    """What a family's ``split`` gives at one origin.

    Attributes:
        train: the data up to and including the origin (what ``fit`` takes).
        x_future: what ``predict`` needs to know of the future (``X_future``), or None.
        actual: what was observed 1..h periods after the origin, shaped as the forecast's
            ``mean``; NaN where nothing was observed.
        h: periods forecast from this origin (fewer than asked at the end of the data).
    """

    train: Any
    x_future: Any
    actual: np.ndarray
    h: int


class Forecaster:
    """Base of every forecasting model: parameters, cloning, the fitted check, ``forecast``.

    Subclasses implement ``fit``, ``_predict`` (the hook behind the public ``predict``),
    ``split`` and ``origins``.
    """

    name: str = "forecaster"

    def __init__(self) -> None:
        """No hyper-parameters (subclasses store theirs, and nothing else)."""

    # --- scikit-learn style plumbing ----------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        """Constructor arguments (the hyper-parameters), by name."""
        sig = inspect.signature(type(self).__init__)
        names = [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {n: getattr(self, n) for n in names}

    def clone(self, **params: Any) -> Forecaster:
        """An unfitted copy with the same hyper-parameters, ``params`` replacing some."""
        return type(self)(**{**self.get_params(), **params})

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` has stored its estimates (attributes ending in ``_``)."""
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"{self.name}: call fit() before predict()")

    @staticmethod
    def _check_horizon(h: int) -> None:
        if int(h) != h or h < 1:
            raise ValueError(f"horizon {h}: expected a whole number >= 1")

    # --- the contract -------------------------------------------------------------------------
    def fit(self, y: Any, X: Any = None) -> Forecaster:
        """Estimate from ``y`` (and exogenous ``X`` where the family has one); returns self."""
        raise NotImplementedError

    def predict(
        self,
        h: int,
        level: float | Sequence[float] = 0.8,
        X_future: Any = None,
        *,
        rng: np.random.Generator | None = None,
        n_samples: int = 0,
    ) -> Forecast:
        """Forecasts 1..h periods after the data, with central intervals at ``level``.

        The one public ``predict`` of every family (a template method, as scikit-learn's and
        statsforecast's): it checks the fitted state, the horizon and the levels, then hands
        over to the family's ``_predict``.

        Args:
            h: periods ahead (a whole number >= 1).
            level: coverage share(s) of the central intervals, each strictly in (0, 1).
            X_future: what the future needs to be known (the HzE exposure and covariates);
                families that need nothing ignore it.
            rng: random generator for sample paths (families default to seed 0).
            n_samples: sample paths to return (0: none, or the family's default where its
                intervals come from paths).

        Raises:
            NotFittedError: the model was not fitted.
            ValueError: ``h`` or ``level`` out of range, or ``X_future`` not what the family
                needs.
        """
        self._check_fitted()
        self._check_horizon(h)
        return self._predict(h, as_levels(level), X_future, rng, n_samples)

    def _predict(self, h: int, levels: Levels, X_future: Any, rng: Rng, n_samples: int) -> Forecast:
        """The family's forecast; ``predict`` has checked the model, ``h`` and ``levels``."""
        raise NotImplementedError

    def forecast(
        self, y: Any, h: int, level: float | Sequence[float] = 0.8, X: Any = None, **kw: Any
    ) -> Forecast:
        """``fit(y, X).predict(h, level, **kw)`` in one call."""
        return self.fit(y, X).predict(h, level, **kw)

    # --- how the family's data is cut for cross_validate ---------------------------------------
    def split(self, data: Any, origin: Any, h: int) -> Split:
        """Training data up to ``origin``, the future's exogenous data and the actual values."""
        raise NotImplementedError

    def origins(self, data: Any, min_train: int) -> list:
        """Every origin that leaves ``min_train`` periods to fit and one to compare with."""
        raise NotImplementedError


@dataclass(frozen=True)
class Fold:
    """One origin of a rolling-origin backtest.

    Attributes:
        origin: the last period the model saw (position or year, as the family's ``split``).
        forecast: the forecast of a clone fitted up to the origin.
        actual: the observed values, shaped as ``forecast.mean`` (NaN = not observed).
    """

    origin: Any
    forecast: Forecast
    actual: np.ndarray


def cross_validate(
    model: Forecaster,
    data: Any,
    h: int,
    origins: Iterable | None = None,
    min_train: int = 2,
    level: float | Sequence[float] = 0.8,
    *,
    rng: np.random.Generator | None = None,
    n_samples: int = 0,
    skip_errors: bool = False,
) -> list[Fold]:
    """Rolling-origin backtest: refit a clone at every origin, forecast the next ``h`` periods.

    Args:
        model: an unfitted (or fitted; it is not changed) forecaster.
        data: the family's data (what ``model.split`` cuts).
        h: periods ahead; fewer at origins near the end of the data.
        origins: the origins to use; None gives ``model.origins(data, min_train)``.
        min_train: the fewest periods to fit (only when ``origins`` is None).
        level: interval level(s).
        rng: random generator for sample paths, passed on in origin order (one stream).
        n_samples: sample paths per origin (0: none, except where the family needs them).
        skip_errors: leave out origins where the fit fails with ``ValueError`` (too little data
            there); by default the error propagates.

    Returns:
        One ``Fold`` per origin, in origin order.
    """
    folds = []
    for origin in model.origins(data, min_train) if origins is None else origins:
        part = model.split(data, origin, h)
        try:
            fitted = model.clone().fit(*_fit_args(part.train))
        except ValueError:
            if skip_errors:
                continue
            raise
        fc = fitted.predict(part.h, level, part.x_future, rng=rng, n_samples=n_samples)
        folds.append(Fold(origin, fc, part.actual))
    return folds


def _fit_args(train: Any) -> tuple:
    """``fit`` takes (y,) or (y, X); a family's ``split`` gives a ``TrainXY`` for the latter."""
    return tuple(train) if isinstance(train, TrainXY) else (train,)


class TrainXY(NamedTuple):
    """Training data with its exogenous part, e.g. a panel and its series' groups."""

    y: Any
    X: Any
