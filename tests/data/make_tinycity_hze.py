"""Generate Tinycity's SYNTHETIC HzE history and social indicators (``hze_cases.csv``, ``social.csv``).

Tinycity (see ``make_tinycity.py`` and ``tinycity/README.md``) does not exist; neither do these
cases. They are drawn with ``forecast.hze.synthetic.simulate_history`` from the register of
``tinycity/population.csv``:

* ``social.csv``: ``sgb2_rate_u15`` (share of children under 15 in SGB II households) a 0.16,
  b 0.09, c 0.05, drifting by +0.004 / 0 / -0.002 per year; ``single_parent_share`` a 0.24,
  b 0.18, c 0.14, constant; years 2015..2022;
* begun rates: the national rates of DOMAIN.md § 6.3 converted to begun cases (as for Konstanz),
  and for ``p41`` (booked separately in Tinycity) a Fallzahl rate of 15 per 10,000 under 21 (E);
* each district's rate scales with ``1 + 5 x sgb2_rate_u15`` (relative risk 6 of children in SGB II
  households, DOMAIN.md § 6.3), normalised to the city mean in 2022;
* trend +3 %/yr, common year shock sd 0.06, negative-binomial noise alpha 0.05; catalogue
  durations; ten burn-in years from a steady-state stock.

Run ``python tests/data/make_tinycity_hze.py [DIR]``; deterministic (``SEED``). A test checks
that the committed files match the generator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from forecast.citydata import load_city  # noqa: E402
from forecast.hze.catalogue import CATALOGUE  # noqa: E402
from forecast.hze.durations import weibull_duration  # noqa: E402
from forecast.hze.history import weighted_exposure  # noqa: E402
from forecast.hze.settings import HzeSettings  # noqa: E402
from forecast.hze.synthetic import SyntheticRates, simulate_history  # noqa: E402
from forecast.population.estimate import population_array  # noqa: E402

SEED = 20240505
TINYCITY = Path(__file__).parent / "tinycity"
P41_FALLZAHL_RATE = 15.0
SGB2 = {"a": (0.16, 0.004), "b": (0.09, 0.0), "c": (0.05, -0.002)}
SINGLE_PARENT = {"a": 0.24, "b": 0.18, "c": 0.14}


def make(out_dir: Path = TINYCITY, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Write ``hze_cases.csv`` and ``social.csv`` into ``out_dir``; returns the frames."""
    rng = np.random.default_rng(seed)
    city = load_city(TINYCITY)
    pop, pop_years = population_array(city)
    years = pop_years[1:]  # 2016..2022: the first year needs the previous 31.12.
    districts = city.district_codes
    sgb2 = np.array([[SGB2[d][0] + SGB2[d][1] * (y - 2015) for d in districts] for y in pop_years])
    social = pd.concat(
        [
            _long(pop_years, districts, "sgb2_rate_u15", sgb2),
            _long(
                pop_years,
                districts,
                "single_parent_share",
                np.array([[SINGLE_PARENT[d] for d in districts]] * len(pop_years)),
            ),
        ],
        ignore_index=True,
    )
    cases = simulate_cases(pop, sgb2, years, districts, 2022, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases.to_csv(out_dir / "hze_cases.csv", index=False, lineterminator="\n")
    social.to_csv(out_dir / "social.csv", index=False, lineterminator="\n", float_format="%.4f")
    return {"hze_cases": cases, "social": social}


def simulate_cases(
    pop: np.ndarray,
    sgb2: np.ndarray,
    years: np.ndarray,
    districts: tuple[str, ...],
    ref_year: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """``hze_cases`` for ``years`` (the register years after the first): national begun rates
    (§ 41 at ``P41_FALLZAHL_RATE``), 3 %/yr trend to ``ref_year``, district rates scaled by
    1 + 5 x the SGB II rate ``sgb2`` (register years x districts)."""
    settings = HzeSettings(
        national_rates={**HzeSettings().national_rates, "p41": P41_FALLZAHL_RATE}
    )
    codes = tuple(CATALOGUE)
    risk = 1.0 + 5.0 * sgb2[1:]
    exposure = weighted_exposure(pop, codes)[1:] * (risk / risk[-1].mean())[:, :, None]
    truth = SyntheticRates(
        begun_rate={h: settings.national_begun_rate(h) for h in codes},
        multipliers=np.ones(len(districts)),
        trend=0.03,
        ref_year=ref_year,
        year_shock_sd=0.06,
        nb_alpha=0.05,
    )
    durations = {
        h: weibull_duration(CATALOGUE[h].duration_months, CATALOGUE[h].duration_shape)
        for h in codes
    }
    return simulate_history(years, districts, exposure, truth, durations, rng)


def _long(
    years: np.ndarray, districts: tuple[str, ...], name: str, values: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "year": np.repeat(years, len(districts)),
            "district": np.tile(np.array(districts), len(years)),
            "indicator": name,
            "value": values.ravel(),
        }
    )


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else TINYCITY)
