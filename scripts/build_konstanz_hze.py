"""Build the SYNTHETIC HzE history of Konstanz: ``data/konstanz/hze_cases.csv``.

Konstanz publishes no HzE case numbers per Stadtteil, so this history is invented: it is drawn
from the national rates and durations of DOMAIN.md § 6.3 (via ``forecast.hze.catalogue``),
applied to the real register population of the Stadtteile (``data/konstanz/population.csv``),
with realistic noise. It exists so that the default city runs the full HzE pipeline; it says
nothing about Konstanz. ``data/konstanz/SOURCES.md`` labels it ``synthetic``.

How it is drawn (``forecast.hze.synthetic.simulate_history``):

* begun rate per Hilfeart = national Fallzahl rate / steady-state Fallzahl per begun case,
  holding in 2023 (the year of the national figures) [S1][S3];
* trend +2 % per year in all rates (HzE case numbers rose 2.0 %/yr 2008-2018 [S5]);
* 2020 rates x 0.92 (the Covid dip of 2020 [S1]; size E);
* Stadtteil multipliers: a common lognormal factor (sd 0.35) times a Hilfeart-specific one
  (sd 0.15), normalised so that the city rate equals the national one (E);
* a common year shock per Hilfeart (sd 0.06, DOMAIN.md D from [S12]) and negative-binomial
  noise per Stadtteil and year (alpha 0.05, E);
* durations: the catalogue's discretised Weibull distributions; the simulation starts ten years
  before 2014 from a steady-state stock.

No ``p41`` rows: as in the national statistics, help for young adults is counted under its form
of help. Run ``python scripts/build_konstanz_hze.py``; the output is deterministic (seed below).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forecast.citydata import load_city  # noqa: E402
from forecast.hze.catalogue import CATALOGUE  # noqa: E402
from forecast.hze.durations import weibull_duration  # noqa: E402
from forecast.hze.history import weighted_exposure  # noqa: E402
from forecast.hze.settings import HzeSettings  # noqa: E402
from forecast.hze.synthetic import SyntheticRates, simulate_history  # noqa: E402
from forecast.population.estimate import population_array  # noqa: E402

SEED = 20250605
YEARS = np.arange(2014, 2026)
CITY = ROOT / "data" / "konstanz"


def synthetic_history(seed: int = SEED) -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """The synthetic rows, the exposure they were drawn with (T, D, H) and the Hilfearten."""
    rng = np.random.default_rng(seed)
    city = load_city(CITY)
    pop, pop_years = population_array(city)
    at = np.searchsorted(pop_years, np.arange(YEARS[0] - 1, YEARS[-1] + 1))
    settings = HzeSettings()
    codes = tuple(h for h in CATALOGUE if settings.national_rates[h] is not None)
    exposure = weighted_exposure(pop[at], codes)[1:]  # (T, D, H), mid-year
    n_d = len(city.district_codes)
    common = np.exp(0.35 * rng.standard_normal(n_d))[:, None]
    mult = common * np.exp(0.15 * rng.standard_normal((n_d, len(codes))))
    weight = exposure[-1]
    mult = mult / ((mult * weight).sum(0) / weight.sum(0))  # city level = national
    truth = SyntheticRates(
        begun_rate={h: settings.national_begun_rate(h) for h in codes},
        multipliers=mult,
        trend=0.02,
        ref_year=2023,
        year_shock_sd=0.06,
        nb_alpha=0.05,
        year_factors={2020: 0.92},
    )
    durations = {
        h: weibull_duration(CATALOGUE[h].duration_months, CATALOGUE[h].duration_shape)
        for h in codes
    }
    frame = simulate_history(YEARS, city.district_codes, exposure, truth, durations, rng)
    return frame, exposure, codes


def build(out: Path = CITY / "hze_cases.csv", seed: int = SEED) -> None:
    """Write the synthetic history (see the module docstring)."""
    frame, _, _ = synthetic_history(seed)
    frame.to_csv(out, index=False, lineterminator="\n")


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else CITY / "hze_cases.csv")
