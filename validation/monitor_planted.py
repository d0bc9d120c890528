"""Does the Wirkungsmonitor find a planted effect, and only as often as it should without one?

On the tiny test city: a baseline run with ``hze.reform_start`` (stages population and social,
the HzE model fitted on the years before the start) gives the counterfactual bands. "Observed"
data are fresh draws of the same HzE process (other seeds than the bands'), once as they are and
once with a planted effect: stationary cases (§§ 33, 34; running and ended) x (1 + effect) from
the start year on. Each repetition's Kennzahlen of the first ``--years`` years per Wirkungsraum
and the city go through the monitor (``forecast.social.monitor.compare_to_band``).

Reported: without an effect, the share of flagged comparisons (target: alpha); with the effect,
for the city's stationary Eckwert, the share of intervals that contain the planted effect
(target: 1 - alpha), the median estimate, and the share flagged against the power the minimum
detectable effect promises. The observed draws come from the model that made the bands, so this
checks the monitor's statistics and plumbing, not whether the HzE model fits a real city (that is
the HzE backtest's job: validation/validate_hze_recovery.py).

Usage:
    python validation/monitor_planted.py [--reps 400] [--effect -0.15] [--years 3] [--draws 500]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from scipy import stats

from forecast.citydata import load_city
from forecast.contract import CITY_DISTRICT
from forecast.drawstore import MemoryBudget
from forecast.hze.catalogue import stationary_codes
from forecast.hze.forecast import forecast_hze, future_exposure
from forecast.hze.history import load_history
from forecast.population.estimate import population_array
from forecast.social.kennzahlen import by_unit, kennzahlen
from forecast.social.monitor import compare_to_band, minimum_detectable_effect
from simulation.abm.inputs import wirkungsraeume
from simulation.config import register_configs
from simulation.config_hze import cost_assumptions
from simulation.monitor import MONITORED, baseline_band
from simulation.pipeline import StageContext, start_manifest
from simulation.rundir import open_run_folder
from simulation.stage_hze import fitted_hze
from simulation.stages import STAGE_BY_NAME

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tinycity"
START = "2020-01"
KEY = "Eckwert|Stationary"


def baseline(tmp: Path, draws: int):
    """The baseline run (population, social) and the context it left: (run folder, ctx)."""
    register_configs()
    overrides = [
        f"city.data_dir={TINY}",
        f"hze.reform_start={START}",
        f"hze.draws={draws}",
        "horizon=6",
        "hze.model=gamma_poisson",
        "hze.trend=off",
        "hze.reconciliation=bottom_up",
        "population.figures=false",
    ]
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = OmegaConf.to_object(compose(config_name="config", overrides=overrides))
    city = load_city(TINY)
    final = tmp / "baseline"
    with open_run_folder(final) as folder:
        start_manifest(folder, cfg, city, overrides, "run")
        ctx = StageContext(cfg=cfg, city=city, folder=folder, budget=MemoryBudget.mib(1024))
        for name in ("population", "social"):
            STAGE_BY_NAME[name].run(ctx)
    return final, ctx


def observed(ctx, reps: int, effect: float, years_after: int, seed: int) -> pd.DataFrame:
    """Kennzahlen of ``reps`` fresh draws of the HzE process, with the effect planted."""
    city, cfg, paths = ctx.city, ctx.cfg, ctx.population
    model = fitted_hze(ctx)
    codes = city.district_codes
    members = {w: [codes.index(d) for d in ds] for w, ds in wirkungsraeume(city).items()}
    register, reg_years = population_array(city)
    years = np.arange(model.last_year + 1, model.last_year + 1 + years_after)
    exposure, u21 = future_exposure(paths, register, reg_years, years)
    seeds = np.random.SeedSequence(seed).spawn(reps)
    exposure = np.broadcast_to(exposure[:1], (reps, *exposure.shape[1:]))
    u21 = np.broadcast_to(u21[:1], (reps, *u21.shape[1:]))
    fc = forecast_hze(model, exposure, u21, years, reps, seeds, cost_assumptions(cfg.hze), 0.0)
    factor = np.where(np.isin(model.codes, stationary_codes()), 1.0 + effect, 1.0)
    d = {k: by_unit(fc.draws[k] * factor, members, axis=2) for k in ("Running", "Ended")}
    begun = by_unit(fc.draws["Begun"], members, axis=2)
    history = load_history(city, up_to=model.last_year)
    stock = np.zeros((len(codes), len(model.codes)))
    stock[:, [model.codes.index(h) for h in history.hilfearten]] = np.nan_to_num(
        history.running[-1]
    )
    stock = by_unit(stock, members, axis=0)
    before = np.concatenate(
        [np.broadcast_to(stock, d["Running"][:, :1].shape), d["Running"][:, :-1]], axis=1
    )
    k = kennzahlen(model.codes, d["Running"], d["Ended"], begun, before, by_unit(u21, members, 2))
    units = np.array([*codes, *members, CITY_DISTRICT])
    frames = []
    for key in MONITORED:
        r, y, u = np.meshgrid(np.arange(reps), years, units, indexing="ij")
        frames.append(
            pd.DataFrame(
                {
                    "rep": r.ravel(),
                    "unit": u.ravel(),
                    "kennzahl": key,
                    "year": y.ravel(),
                    "observed": k[key].ravel(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    return out[out["unit"].isin([*members, CITY_DISTRICT])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--effect", type=float, default=-0.15)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--alpha", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run, ctx = baseline(Path(tmp), args.draws)
        band, _ = baseline_band(run)
        start = int(START[:4])
        null = observed(ctx, args.reps, 0.0, args.years, args.seed)
        planted = observed(ctx, args.reps, args.effect, args.years, args.seed + 1)
        for close in ctx.closing:
            close()
    band = band[band["kennzahl"].isin(MONITORED)]
    t0 = compare_to_band(band, null.drop(columns="rep"), args.alpha)
    t1 = compare_to_band(band, planted.drop(columns="rep"), args.alpha)
    print(
        f"Tiny city, reform start {START}, {args.draws} band draws, {args.reps} repetitions, "
        f"first {args.years} years, alpha {args.alpha}"
    )
    n0 = len(t0)
    rate = t0["flagged"].mean()
    print(
        f"no effect: {100 * rate:.1f} % of {n0:,} comparisons flagged (target {100 * args.alpha:.0f} %); "
        "by Kennzahl: "
        + ", ".join(f"{k} {100 * g.mean():.1f} %" for k, g in t0.groupby("kennzahl")["flagged"])
    )
    mde = minimum_detectable_effect(band, start, args.alpha, 0.8, tuple(range(1, args.years + 1)))
    city = t1[(t1["unit"] == CITY_DISTRICT) & (t1["kennzahl"] == KEY)]
    for year, g in city.groupby("year"):
        covered = ((g["effect_low"] <= args.effect) & (args.effect <= g["effect_high"])).mean()
        row = mde[(mde["unit"] == CITY_DISTRICT) & (mde["kennzahl"] == KEY) & (mde["year"] == year)]
        s = -np.log(1 - float(row["mde"].iloc[0])) / (
            stats.norm.ppf(1 - args.alpha / 2) + stats.norm.ppf(0.8)
        )
        power = stats.norm.cdf(-np.log1p(args.effect) / s - stats.norm.ppf(1 - args.alpha / 2))
        print(
            f"planted {100 * args.effect:+.0f} % stationary, city {KEY} {year}: interval contains "
            f"it in {100 * covered:.1f} % (target {100 * (1 - args.alpha):.0f} %), median "
            f"estimate {100 * g['effect'].median():+.1f} %, flagged {100 * g['flagged'].mean():.1f} % "
            f"(power by the MDE {100 * power:.0f} %, MDE {100 * float(row['mde'].iloc[0]):.0f} %)"
        )


if __name__ == "__main__":
    main()
