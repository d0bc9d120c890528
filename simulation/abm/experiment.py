"""Replicates and scenarios of the HzE system model, and the differences between scenarios.

Randomness: replicate d of every scenario uses the same seed, ``seed.spawn(R)[d]`` (common random
numbers: the scenarios see the same replicate-level draws, and differences between them are
not blurred by unrelated noise), and population draw d of the inputs (DESIGN.md: draw d of the
population drives replicate d; with one deterministic population path every replicate uses it).
Each replicate is a separate ``HzeSystemModel``, so results do not depend on how replicates are
split into blocks or over worker processes: serial and parallel runs are identical.

Quantiles are taken over replicates at the end, of the quantity of interest itself (e.g. the
cumulative cost difference of each replicate), never of averaged inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.variables import BAND
from simulation.abm.inputs import AbmInputs
from simulation.abm.model import OUTPUTS_W, OUTPUTS_WH, HzeSystemModel
from simulation.abm.params import ClassicParams, SroParams

CLASSIC = "classic"


@dataclass(frozen=True)
class AbmRuns:
    """All replicates of one scenario.

    Attributes:
        scenario: scenario name (``classic``, ``sozialraum``, ...).
        codes: Hilfearten, length H.
        areas: Wirkungsraum codes, length W.
        start_year: calendar year of month 0.
        draw: population draw per replicate, shape (R,).
        arrays: ``OUTPUTS_WH`` (R, M, W, H) and ``OUTPUTS_W`` (R, M, W) per replicate.
        pmf: duration pmf drawn per replicate and Hilfeart, (R, H, K).
        unit: unit cost drawn per replicate and Hilfeart, EUR at prices of the price year, (R, H).
        price_index: nominal price index per replicate and month, (R, M).
        notes: the models' notes (deduplicated).
    """

    scenario: str
    codes: tuple[str, ...]
    areas: tuple[str, ...]
    start_year: int
    draw: np.ndarray
    arrays: dict[str, np.ndarray]
    pmf: np.ndarray
    unit: np.ndarray
    price_index: np.ndarray
    notes: tuple[str, ...] = field(default=())

    @property
    def replicates(self) -> int:
        return int(self.draw.size)

    @property
    def months(self) -> int:
        return int(self.arrays["begun"].shape[1])

    def total_cost(self) -> np.ndarray:
        """EUR per month (nominal): cases + prevention + transition, shape (R, M, W)."""
        a = self.arrays
        return a["cost"].sum(-1) + a["prevention"] + a["transition"]


def simulate(
    inputs: AbmInputs,
    classic: ClassicParams,
    sro: SroParams | None,
    seed: np.random.SeedSequence,
    draw: int,
    months: int,
) -> HzeSystemModel:
    """One replicate: build the model and run all months."""
    model = HzeSystemModel(inputs, classic, sro, draw=draw, months=months, rng=seed)
    model.run()
    return model


def _block(inputs, classic, sro, seeds, draws, months) -> list[dict]:
    """Run replicates one after the other; what a worker process returns."""
    out = []
    for seed, draw in zip(seeds, draws, strict=True):
        m = simulate(inputs, classic, sro, seed, int(draw), months)
        out.append(
            {
                "arrays": m.out,
                "pmf": m.pmf,
                "unit": m.unit,
                "price_index": m.price_index,
                "notes": m.notes,
            }
        )
    return out


def replicate_seeds(seed: np.random.SeedSequence, replicates: int) -> list[np.random.SeedSequence]:
    """``seed.spawn(replicates)`` without changing ``seed`` (the same children on every call)."""
    return [
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, d))
        for d in range(replicates)
    ]


def replicate_draws(inputs: AbmInputs, replicates: int) -> np.ndarray:
    """Population draw of each replicate: d for replicate d, or 0 for a deterministic path.

    Raises:
        ValueError: the population is stochastic and the number of replicates differs.
    """
    if inputs.draws == 1:
        return np.zeros(replicates, np.int64)
    if replicates != inputs.draws:
        raise ValueError(
            f"{inputs.draws} population draws but {replicates} replicates: population draw d "
            "drives replicate d, so they must match"
        )
    return np.arange(replicates)


def run_replicates(
    inputs: AbmInputs,
    scenario: str,
    classic: ClassicParams,
    sro: SroParams | None,
    seeds: list[np.random.SeedSequence],
    months: int | None = None,
    n_jobs: int = 1,
) -> AbmRuns:
    """Run one scenario for every seed (replicate d = ``seeds[d]``, population draw d).

    Args:
        inputs: model inputs.
        scenario: name of the scenario.
        classic: parameters of the classic system.
        sro: SRO parameters (None: classic service model).
        seeds: one seed sequence per replicate.
        months: months to simulate (default: all years of the inputs).
        n_jobs: worker processes (joblib, loky); 1 runs in this process.
    """
    if not seeds:
        raise ValueError("run_replicates: expected at least one replicate")
    months = 12 * inputs.years if months is None else int(months)
    draws = replicate_draws(inputs, len(seeds))
    if n_jobs == 1:
        results = _block(inputs, classic, sro, seeds, draws, months)
    else:
        from joblib import Parallel, delayed

        blocks = np.array_split(np.arange(len(seeds)), min(n_jobs, len(seeds)))
        parts = Parallel(n_jobs=n_jobs, backend="loky")(
            delayed(_block)(inputs, classic, sro, [seeds[i] for i in b], draws[b], months)
            for b in blocks
        )
        results = [r for part in parts for r in part]
    arrays = {  # filled replicate by replicate, each replicate's own arrays freed on the way
        k: np.empty((len(results), *results[0]["arrays"][k].shape))
        for k in (*OUTPUTS_WH, *OUTPUTS_W)
    }
    for i, r in enumerate(results):
        for k, target in arrays.items():
            target[i] = r["arrays"][k]
        r["arrays"] = None
    notes = tuple(dict.fromkeys(n for r in results for n in r["notes"]))
    return AbmRuns(
        scenario=scenario,
        codes=inputs.codes,
        areas=inputs.areas,
        start_year=inputs.start_year,
        draw=draws,
        arrays=arrays,
        pmf=np.stack([r["pmf"] for r in results]),
        unit=np.stack([r["unit"] for r in results]),
        price_index=np.stack([r["price_index"] for r in results]),
        notes=notes,
    )


@dataclass(frozen=True)
class Experiment:
    """The classic service model and one or more SRO scenarios on the same replicates.

    Attributes:
        runs: scenario name -> its runs; ``classic`` is always there.
    """

    runs: dict[str, AbmRuns]

    @property
    def classic(self) -> AbmRuns:
        return self.runs[CLASSIC]

    def cost_difference(self, scenario: str, cumulative: bool = True) -> np.ndarray:
        """Cost of ``scenario`` minus classic per replicate, EUR nominal, shape (R, M, W).

        Args:
            scenario: an SRO scenario.
            cumulative: summed from month 0 (else per month).
        """
        diff = self.runs[scenario].total_cost() - self.classic.total_cost()
        return np.cumsum(diff, axis=1) if cumulative else diff

    def difference_quantiles(
        self, scenario: str, months: tuple[int, ...], quantiles: tuple[float, ...] = BAND
    ) -> dict[int, dict[str, float]]:
        """Cumulative city cost difference after ``months`` (e.g. 60, 120): EUR and percent.

        Returns:
            months -> {"P10": EUR, "P50": ..., "P90": ..., "P10 %": percent of the classic
            cumulative cost, ...}; months beyond the run are left out.
        """
        diff = self.cost_difference(scenario).sum(-1)  # (R, M)
        base = np.cumsum(self.classic.total_cost().sum(-1), axis=1)
        out = {}
        for m in months:
            if m > diff.shape[1]:
                continue
            eur = np.quantile(diff[:, m - 1], quantiles)
            pct = np.quantile(100.0 * diff[:, m - 1] / base[:, m - 1], quantiles)
            row = {f"P{round(100 * q)}": float(v) for q, v in zip(quantiles, eur, strict=True)}
            row.update(
                {f"P{round(100 * q)} %": float(v) for q, v in zip(quantiles, pct, strict=True)}
            )
            out[m] = row
        return out


def run_experiment(
    inputs: AbmInputs,
    classic: ClassicParams,
    scenarios: dict[str, SroParams],
    replicates: int,
    seed: np.random.SeedSequence,
    months: int | None = None,
    n_jobs: int = 1,
) -> Experiment:
    """Run the classic service model and every SRO scenario on the same replicates.

    Args:
        inputs: model inputs.
        classic: parameters of the classic system (shared by all scenarios).
        scenarios: SRO scenario name -> its parameters (may be empty: classic only).
        replicates: number of replicates R (= population draws when those are stochastic).
        seed: the experiment's seed sequence; replicate d uses ``seed.spawn(R)[d]``.
        months: months to simulate (default: all years of the inputs).
        n_jobs: worker processes.
    """
    if CLASSIC in scenarios:
        raise ValueError(f"'{CLASSIC}' is the baseline; name SRO scenarios differently")
    seeds = replicate_seeds(seed, replicates)
    runs = {CLASSIC: run_replicates(inputs, CLASSIC, classic, None, seeds, months, n_jobs)}
    for name, sro in scenarios.items():
        runs[name] = run_replicates(inputs, name, classic, sro, seeds, months, n_jobs)
    return Experiment(runs)
