"""Stochastic processes around the variant path, and their calibration on a city's own history.

Each component's level deviates from the variant path by a multiplicative factor ``exp(x_t)``,
centred so that the variant path is the median of the draws' city total (``MEAN_ONE``: district
and age-pattern factors have mean 1, city-wide factors median 1):

* fertility: ``x`` = city AR(1) + district AR(1), on every district's fertility rates;
* mortality: ``x`` = city AR(1) on the death rates of both sexes (life expectancy moves with it;
  at German mortality a 10 % change of all death rates moves e0 by about one year);
* immigration and emigration across the city boundary: city AR(1) + district AR(1) each;
* moves between districts: city AR(1) + district AR(1) on the out rates.

An AR(1) ``x_t = phi * x_{t-1} + sigma * e_t`` with ``x_0 = 0`` starts at the base year's level
and drifts away from it as far as the city's history says such levels wander; ``phi`` near one
behaves like a random walk (errors grow with the horizon), ``phi`` = 0 is year-to-year noise.

Calibration (``calibrate``) fits phi and sigma to the annual log levels of the city's own history
(births, deaths, migration totals, district growth), with the Poisson noise of small counts taken
out, then scales the migration processes so that the model's predictive spread matches the errors
of rolling-origin backtests on the same history (``backtest_scale``).

References:
    Alho, J., Spencer, B. (2005). Statistical Demography and Forecasting. Springer, ch. 7-8.
    Raftery, A. et al. (2012). Bayesian probabilistic population projections for all countries.
    PNAS 109(35) (AR(1) models of fertility around a projected path).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from forecast.contract import MAX_AGE
from forecast.population.engine import Shocks


@dataclass(frozen=True)
class AR1:
    """An AR(1) process in log level: persistence ``phi`` (0..1) and innovation sd ``sigma``."""

    phi: float = 0.0
    sigma: float = 0.0

    def simulate(
        self, rng: np.random.Generator, horizon: int, size: tuple[int, ...] = ()
    ) -> np.ndarray:
        """Paths x_1..x_H, shape (H,) + size, starting from x_0 = 0."""
        e = rng.standard_normal((horizon,) + size)
        x = np.empty_like(e)
        prev = np.zeros(size)
        for t in range(horizon):
            prev = self.phi * prev + self.sigma * e[t]
            x[t] = prev
        return x

    def variance(self, horizon: int) -> np.ndarray:
        """Variance of x_1..x_H (log units squared), shape (H,): sigma^2 (1 - phi^2t) / (1 - phi^2).

        Computed as the partial sum of phi^2j so that phi = 1 (random walk: t sigma^2) needs no
        special case.
        """
        powers = np.cumsum(self.phi ** (2.0 * np.arange(horizon)))
        return self.sigma**2 * powers

    @property
    def stationary_sd(self) -> float:
        """Standard deviation of the level in the long run (infinite for phi = 1)."""
        return self.sigma / np.sqrt(max(1.0 - self.phi**2, 1e-12))


@dataclass(frozen=True)
class StochasticSettings:
    """The processes of the stochastic projection.

    Defaults are estimates of moderate uncertainty for a German city (used only when the city's
    history cannot be used); ``calibrate`` replaces them by the city's own.
    """

    fertility: AR1 = field(default_factory=lambda: AR1(0.7, 0.04))
    fertility_district: AR1 = field(default_factory=lambda: AR1(0.5, 0.05))
    mortality: AR1 = field(default_factory=lambda: AR1(0.9, 0.02))
    immigration: AR1 = field(default_factory=lambda: AR1(0.6, 0.08))
    immigration_district: AR1 = field(default_factory=lambda: AR1(0.5, 0.10))
    emigration: AR1 = field(default_factory=lambda: AR1(0.6, 0.06))
    emigration_district: AR1 = field(default_factory=lambda: AR1(0.5, 0.05))
    internal: AR1 = field(default_factory=lambda: AR1(0.6, 0.05))
    internal_district: AR1 = field(default_factory=lambda: AR1(0.5, 0.05))
    age_groups: tuple[tuple[int, int], ...] = ()
    age_group_sigma: tuple[float, ...] = ()
    age_group_phi: float = 0.5

    def scaled(self, factor: float) -> StochasticSettings:
        """All innovation sds times ``factor`` (0 gives the variant path in every draw)."""
        return replace(
            self,
            **{k: replace(v, sigma=v.sigma * factor) for k, v in self.processes().items()},
            age_group_sigma=tuple(x * factor for x in self.age_group_sigma),
        )

    def migration_scaled(self, factor: float) -> StochasticSettings:
        """The migration processes' innovation sds times ``factor``."""
        return replace(
            self,
            **{
                k: replace(v, sigma=v.sigma * factor)
                for k, v in self.processes().items()
                if "migration" in k
            },
        )

    def processes(self) -> dict[str, AR1]:
        """The AR(1) processes by name (without the age-pattern terms)."""
        return {
            k: getattr(self, k)
            for k in self.__dataclass_fields__
            if isinstance(getattr(self, k), AR1)
        }

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            k: {kk: round(float(vv), 6) for kk, vv in asdict(v).items()}
            for k, v in self.processes().items()
        }
        out["age_pattern"] = {
            "phi": self.age_group_phi,
            "sigma_by_age_group": {
                f"{lo}-{hi}": round(float(x), 5)
                for (lo, hi), x in zip(self.age_groups, self.age_group_sigma, strict=True)
            },
        }
        return out


MEAN_ONE = frozenset(
    {
        "fertility_district",
        "immigration_district",
        "emigration_district",
        "internal_district",
        "age_pattern",
    }
)
"""Processes whose factor has mean 1 (``exp(x - var/2)``); the others have median 1 (``exp(x)``).

A city-wide process moves the whole city with one level per year, and with its persistence the
city total is close to a monotone function of that one path: median 1 keeps the variant path at
the middle of the draws. District and age-pattern deviations are many independent factors per
draw (districts x years, age groups x years) whose effects the city total adds up; such a sum
lies near its mean, so their factors must have mean 1, or the city total drifts by
``exp(var/2) - 1`` of the flow they carry (Konstanz: district in-migration with sd 0.22 adds
2.4 % to 8,556 in-migrants a year, about +1,570 persons after 20 years, 7 standard errors of the
median of 500 draws). Mean 1 also makes them deviations *around* the city level, as they were
fitted (district growth beyond the city's, age-group errors around the city's).
"""


def draw_shocks(
    settings: StochasticSettings,
    seeds: list[np.random.SeedSequence],
    horizon: int,
    districts: int,
    mean_one: frozenset[str] = MEAN_ONE,
) -> Shocks:
    """Shocks for a block of draws, one seed sequence per draw.

    Draw d depends only on its own seed, so a draw is the same whichever block or worker computes
    it. The order in which a draw's generator is used is fixed here; never reorder it.

    Args:
        settings: the processes.
        seeds: one seed sequence per draw of the block.
        horizon: H, projected years.
        districts: D.
        mean_one: names of the processes (and ``age_pattern``) centred to mean 1; every other
            process is centred to median 1 (see ``MEAN_ONE``).
    """
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("fert", "mort", "imm", "emi", "int", "age")
    }
    size = (districts,)
    ages = np.zeros(MAX_AGE + 1, dtype=int)
    for g, (lo, hi) in enumerate(settings.age_groups):
        ages[lo : hi + 1] = g
    age_sigma = np.asarray(settings.age_group_sigma, dtype=float)

    # Log-scale offsets, the same for every draw: -var/2 for mean-1 processes, 0 for median-1.
    def offset(name: str) -> np.ndarray:
        process: AR1 = getattr(settings, name)
        return -0.5 * process.variance(horizon) if name in mean_one else np.zeros(horizon)

    city_district = {
        "fert": ("fertility", "fertility_district"),
        "imm": ("immigration", "immigration_district"),
        "emi": ("emigration", "emigration_district"),
        "int": ("internal", "internal_district"),
    }
    shift = {k: offset(a)[:, None] + offset(b)[:, None] for k, (a, b) in city_district.items()}
    shift["mort"] = offset("mortality")
    unit_var = AR1(settings.age_group_phi, 1.0).variance(horizon)
    age_var = unit_var[:, None] * (age_sigma**2)[ages] if age_sigma.size else None
    for seed in seeds:
        rng = np.random.default_rng(seed)
        s = settings
        parts["fert"].append(
            s.fertility.simulate(rng, horizon)[:, None]
            + s.fertility_district.simulate(rng, horizon, size)
        )
        parts["mort"].append(s.mortality.simulate(rng, horizon))
        parts["imm"].append(
            s.immigration.simulate(rng, horizon)[:, None]
            + s.immigration_district.simulate(rng, horizon, size)
        )
        parts["emi"].append(
            s.emigration.simulate(rng, horizon)[:, None]
            + s.emigration_district.simulate(rng, horizon, size)
        )
        parts["int"].append(
            s.internal.simulate(rng, horizon)[:, None]
            + s.internal_district.simulate(rng, horizon, size)
        )
        if age_sigma.size:
            unit = AR1(s.age_group_phi, 1.0).simulate(rng, horizon, (age_sigma.size,))
            parts["age"].append((unit * age_sigma)[:, ages])
    arrays = {k: np.exp(np.stack(v) + shift[k]) for k, v in parts.items() if v and k != "age"}
    age_in = age_out = None
    if parts["age"]:
        z = np.stack(parts["age"])  # (n, H, A)
        # In-migrants times exp(z), out rates times exp(-z): one deviation of net migration. With
        # mean 1 each direction gets its own -var/2, so that neither gross flow is raised on
        # average (a common exp(z - var/2) would give the out rates a mean of exp(var)).
        centre = -0.5 * age_var if "age_pattern" in mean_one else 0.0
        age_in, age_out = np.exp(z + centre), np.exp(-z + centre)
    return Shocks(
        fertility=arrays["fert"],
        mortality=arrays["mort"],
        immigration=arrays["imm"],
        emigration=arrays["emi"],
        internal=arrays["int"],
        age_migration=age_in,
        age_migration_out=age_out,
    )


def fit_ar1(series: np.ndarray, noise_var: np.ndarray | float = 0.0) -> tuple[AR1, dict]:
    """Fit an AR(1) to annual log levels, demeaned per column, with sampling noise taken out.

    Args:
        series: log levels, shape (T,) or (T, K) for K parallel series (e.g. districts) that share
            phi and sigma; NaN = missing.
        noise_var: variance of each value that is pure sampling (Poisson) noise, 1/count for a
            log count; same shape as ``series`` or scalar.

    Returns:
        The process and the figures it came from (for the manifest).
    """
    x = np.asarray(series, dtype=float)
    noise = np.asarray(noise_var, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
        noise = noise[:, None] if noise.ndim == 1 else noise
    noise = np.broadcast_to(noise, x.shape)
    x = x - np.nanmean(x, axis=0, keepdims=True)
    level_var = float(np.nanmean(x**2) - np.nanmean(noise))
    lag = x[1:] * x[:-1]
    ok = ~np.isnan(lag)
    n_obs = int(np.sum(~np.isnan(x)))
    if level_var <= 0 or ok.sum() < 3:
        return AR1(0.0, 0.0), {"observations": n_obs, "level_sd": 0.0, "phi": 0.0}
    phi = float(np.clip(np.nansum(lag) / ok.sum() / level_var, 0.0, 0.95))
    sigma = float(np.sqrt(level_var * (1.0 - phi**2)))
    return AR1(phi, sigma), {
        "observations": n_obs,
        "level_sd": round(float(np.sqrt(level_var)), 5),
        "phi": round(phi, 4),
        "sigma": round(sigma, 5),
    }
