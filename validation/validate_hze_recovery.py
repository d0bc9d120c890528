"""Parameter recovery and backtest interval coverage of the HzE rate models (issue 5).

1. Recovery: begun cases simulated from known rates (ten districts, twelve years); each model is
   fitted and its central 90 % interval of the city rate, the district rates and the trend is
   checked. Target: about 90 % of repetitions cover the truth.
2. Backtest coverage on the committed (synthetic) Konstanz history: the models chosen by
   ``fit_hze`` per Hilfeart, rolling origins 2018..2021 with horizons 1..3 (pooled over Hilfearten).
3. Backtest coverage on fresh synthetic Konstanz histories (same generator, other seeds), for fixed
   models (no selection): share of observed begun cases inside the 80 % / 90 % intervals.
4. Nested backtest of the whole model on the same histories (``forecast.hze.backtest``): fitted,
   chosen and reconciled on the years up to 2019 / 2022, begun, running and Fallzahl of the next
   three years against their 80 % intervals, per district and for the city.

Usage:
    python validation/validate_hze_recovery.py [--reps 300] [--histories 10] [--seed 1]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from forecast.citydata import load_city  # noqa: E402
from forecast.hze.backtest import backtest_history  # noqa: E402
from forecast.hze.catalogue import CATALOGUE  # noqa: E402
from forecast.hze.history import HzeHistory, load_history, weighted_exposure  # noqa: E402
from forecast.hze.model import fit_hze  # noqa: E402
from forecast.hze.rate_models import GammaPoissonRate, NegBinRate, PoissonRate  # noqa: E402
from forecast.hze.recovery import RecoveryDesign, backtest_coverage, recovery  # noqa: E402
from forecast.hze.selection import coverage  # noqa: E402
from forecast.hze.series import CountSeries  # noqa: E402
from forecast.hze.settings import HzeSettings  # noqa: E402
from forecast.population.estimate import population_array  # noqa: E402

KONSTANZ = REPO / "data" / "konstanz"


def _recovery(reps: int, rng: np.random.Generator) -> pd.DataFrame:
    cases = {
        "poisson+trend on Poisson data": (partial(PoissonRate, trend=True), RecoveryDesign()),
        "poisson on Poisson data, no trend": (PoissonRate, RecoveryDesign(trend=0.0)),
        "negbin+trend on NB data with year shocks": (
            partial(NegBinRate, trend=True),
            RecoveryDesign(nb_alpha=0.05, shock_sd=0.06),
        ),
        "gamma_poisson on constant rates": (
            partial(GammaPoissonRate, 0.003),
            RecoveryDesign(trend=0.0),
        ),
    }
    rows = []
    for name, (factory, design) in cases.items():
        rows.append({"case": name, **recovery(factory, design, reps, rng)})
    return pd.DataFrame(rows).set_index("case")


def _chosen_models_coverage(settings: HzeSettings) -> tuple[pd.DataFrame, dict]:
    city = load_city(KONSTANZ)
    reg, _ = population_array(city)
    model = fit_hze(
        load_history(city),
        city.district_codes,
        2025,
        weighted_exposure(reg[-2:], tuple(CATALOGUE))[-1],
        settings,
        seed=1,
    )
    rows, tables = [], []
    for code, hm in model.hilfearten.items():
        if hm.backtest is None:
            continue
        tables.append(hm.backtest)
        rows.append(
            {
                "hilfeart": code,
                "model": hm.selection.loc[hm.selection["score"].idxmin(), "candidate"],
                "reconciliation": hm.reconciliation,
                **coverage(hm.backtest),
            }
        )
    return pd.DataFrame(rows).set_index("hilfeart"), coverage(pd.concat(tables))


def _fresh_histories(n: int):
    """Synthetic Konstanz histories (other seeds of the build script) as ``HzeHistory`` objects."""
    spec = importlib.util.spec_from_file_location(
        "build", REPO / "scripts" / "build_konstanz_hze.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    city = load_city(KONSTANZ)
    reg, reg_years = population_array(city)
    for k in range(n):
        frame, exposure, codes = build.synthetic_history(seed=1000 + k)
        years = np.sort(frame["year"].unique())
        index = pd.MultiIndex.from_product([years, city.district_codes])
        wide = frame.pivot_table(
            index=["year", "district"], columns="hilfeart", values=["begun", "ended", "running"]
        ).reindex(index)
        arrays = {
            c: wide[c][list(codes)].to_numpy(float).reshape(len(years), -1, len(codes))
            for c in ("begun", "ended", "running")
        }
        at = np.searchsorted(reg_years, years)
        yield (
            HzeHistory(
                years=years,
                districts=city.district_codes,
                hilfearten=codes,
                exposure=exposure,
                under21=reg[at][..., :21].sum(axis=(-1, -2)),
                **arrays,
            ),
            reg,
            reg_years,
        )


def _fixed_models_coverage(histories, rng: np.random.Generator) -> pd.DataFrame:
    models = {
        "poisson": PoissonRate,
        "negbin": NegBinRate,
        "negbin+trend": partial(NegBinRate, trend=True),
    }
    tables: dict[str, list[pd.DataFrame]] = {m: [] for m in models}
    for history, _, _ in histories:
        for h in range(len(history.hilfearten)):
            if history.begun[:, :, h].sum() < 30:
                continue  # rare Hilfearten go to gamma_poisson in practice
            series = CountSeries(history.years, history.exposure[:, :, h], history.begun[:, :, h])
            for name, factory in models.items():
                tables[name].append(backtest_coverage(factory, series, 4, 3, rng))
    return pd.DataFrame({m: coverage(pd.concat(t)) for m, t in tables.items()}).T


def _auto_coverage(histories, origins: tuple[int, ...]) -> pd.DataFrame:
    """Nested backtest: ``fit_hze`` (model choice included) on the years up to each origin."""
    frames = []
    for k, (history, reg, reg_years) in enumerate(histories):
        for origin in origins:
            table = backtest_history(
                history, reg, reg_years, origin, 3, HzeSettings(backtest_sims=100), 300, k
            )
            frames.append(table[table["hilfeart"] != "Total"])
    table = pd.concat(frames, ignore_index=True)
    table["level"] = np.where(table["district"] == "_city", "city", "district")
    return table.groupby(["variable", "level"])["in80"].mean().unstack()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--histories", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    pd.set_option("display.width", 140)
    t0 = time.perf_counter()
    rec = _recovery(args.reps, rng)
    print(
        f"1. Parameter recovery, {args.reps} repetitions each: share of 90 % intervals covering "
        f"the known value ({time.perf_counter() - t0:.0f} s)"
    )
    print(rec.round(3).to_string())
    t0 = time.perf_counter()
    per_h, pooled = _chosen_models_coverage(HzeSettings())
    print(
        f"\n2. Backtest coverage of the chosen models on the synthetic Konstanz history "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print(per_h.round(3).to_string())
    print("   pooled: " + ", ".join(f"{k} {v:.3f}" for k, v in pooled.items()))
    t0 = time.perf_counter()
    histories = list(_fresh_histories(args.histories))
    fresh = _fixed_models_coverage(histories, rng)
    print(
        f"\n3. Backtest coverage of fixed models on {args.histories} fresh synthetic Konstanz "
        f"histories (Hilfearten with >= 30 begun cases; {time.perf_counter() - t0:.0f} s)"
    )
    print(fresh.round(3).to_string())
    t0 = time.perf_counter()
    auto = _auto_coverage(histories, (2019, 2022))
    print(
        f"\n4. Nested backtest of the whole HzE model (model choice, reconciliation, durations) "
        f"from 2019 and 2022 on the same histories: share inside the 80 % interval, per "
        f"Hilfeart ({time.perf_counter() - t0:.0f} s)"
    )
    print(auto.round(3).to_string())


if __name__ == "__main__":
    main()
