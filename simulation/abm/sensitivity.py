"""Which SRO assumptions drive the difference to the classic system: one-at-a-time analysis.

Every SRO parameter with a range (``SroParams.varied()``) is set to the low and to the high end of
its range while the others keep their values; each setting runs the same replicates (common
random numbers) as the classic model and the base SRO setting. The outcome is the mean over
replicates of the cumulative city cost difference (SRO - classic) after ``months``; the table
sorts the parameters by the swing between low and high (the bars of a tornado chart).

One-at-a-time analysis shows each assumption's own leverage around the defaults, not its
interactions (a variance-based analysis would, at many times the runs).

References:
    Saltelli, A. et al. (2008). Global Sensitivity Analysis: The Primer, ch. 1.2 (OAT, tornado).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.abm.experiment import CLASSIC, replicate_seeds, run_replicates
from simulation.abm.inputs import AbmInputs
from simulation.abm.params import ClassicParams, SroParams, describe


def one_at_a_time(
    inputs: AbmInputs,
    classic: ClassicParams,
    base: SroParams,
    replicates: int,
    seed: np.random.SeedSequence,
    months: int,
    parameters: tuple[str, ...] | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of the cumulative cost difference to the SRO parameters.

    Args:
        inputs: model inputs (population draw 0 when they hold several: the analysis is about
            the SRO parameters, not the population).
        classic: classic parameters.
        base: the SRO parameters around which to vary.
        replicates: replicates per setting.
        seed: seed sequence; replicate d uses ``seed.spawn(R)[d]`` in every setting.
        months: horizon of the outcome, months.
        parameters: names to vary (default: all with a range).
        n_jobs: worker processes.

    Returns:
        One row per parameter: parameter, label, unit, source, low, base, high (parameter values),
        outcome_low, outcome_base, outcome_high (EUR, cumulative city cost difference SRO -
        classic after ``months``, mean over replicates), swing (|high - low| outcome), sorted by
        swing (largest first).
    """
    info = describe(SroParams)
    names = parameters if parameters is not None else SroParams.varied()
    unknown = [n for n in names if n not in info or info[n]["range"] is None]
    if unknown:
        raise ValueError(f"cannot vary {unknown}: expected SRO parameters with a range")
    if inputs.draws > 1:
        inputs = _first_draw(inputs)
    seeds = replicate_seeds(seed, replicates)

    def outcome(sro: SroParams | None, name: str) -> np.ndarray:
        runs = run_replicates(inputs, name, classic, sro, seeds, months, n_jobs)
        return runs.total_cost().sum(-1).sum(-1)  # (R,) cumulative city cost

    classic_cost = outcome(None, CLASSIC)
    base_diff = float((outcome(base, "base") - classic_cost).mean())
    rows = []
    for name in names:
        lo, hi = info[name]["range"]
        ends = {}
        for end, value in (("low", lo), ("high", hi)):
            sro = base.replace(**{name: type(getattr(base, name))(value)})
            ends[end] = float((outcome(sro, f"{name}={value}") - classic_cost).mean())
        rows.append(
            {
                "parameter": name,
                "label": info[name]["label"],
                "unit": info[name]["unit"],
                "source": info[name]["source"],
                "low": float(lo),
                "base": float(getattr(base, name)),
                "high": float(hi),
                "outcome_low": ends["low"],
                "outcome_base": base_diff,
                "outcome_high": ends["high"],
                "swing": abs(ends["high"] - ends["low"]),
            }
        )
    table = pd.DataFrame(rows)
    return table.sort_values("swing", ascending=False, ignore_index=True)


def _first_draw(inputs: AbmInputs) -> AbmInputs:
    from dataclasses import replace

    return replace(inputs, begun=inputs.begun[:1])


def tornado_data(table: pd.DataFrame) -> pd.DataFrame:
    """Bars of a tornado chart: per parameter the outcome at its low and high end, relative to
    the base outcome (EUR), largest swing first.

    Returns:
        Columns label, low_value, high_value, low_delta, high_delta.
    """
    out = pd.DataFrame(
        {
            "label": table["label"],
            "low_value": table["low"],
            "high_value": table["high"],
            "low_delta": table["outcome_low"] - table["outcome_base"],
            "high_delta": table["outcome_high"] - table["outcome_base"],
        }
    )
    return out.reset_index(drop=True)
