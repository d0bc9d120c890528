"""The check that the classic model reproduces the HzE forecast it was built from.

In a steady state (b helps begun per month, the stock in equilibrium) Little's law gives b E[D]
case-months per month and b (E[D] - 1) running at each month's end (``planning.expected_monthly``
in general); cost = unit cost x case-months. ``calibration_table`` compares a classic run (mean over replicates) with the HzE forecast's own
annual bookkeeping (``forecast.hze.durations.expected_flows``), Hilfeart by Hilfeart.

References:
    Little, J. D. C. (1961). A proof for the queuing formula L = lambda W. Operations Research 9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.hze.durations import MonthlyDuration, expected_flows


def calibration_table(runs, inputs) -> pd.DataFrame:
    """Classic run against the HzE forecast's expected flows, per Hilfeart (whole city).

    Expected: begun = the inputs' incidence; running at 31.12. and case-months from
    ``forecast.hze.durations.expected_flows`` with each replicate's duration draw and the
    inputs' stock; cost = unit cost (the replicate's level and price index) x case-months
    (``p28``: x begun). Runs in which cases waited are compared as they are (waiting delays
    begins): the table shows how close the constrained system stays to its inputs.

    Args:
        runs: ``AbmRuns`` of the classic service model (whole years of months).
        inputs: the ``AbmInputs`` they ran on.

    Returns:
        One row per Hilfeart and ``Total``: columns variable, hilfeart, model, expected,
        rel_error (model / expected - 1), over all simulated years and replicates.
    """
    years = runs.months // 12
    if years < 1:
        raise ValueError("calibration needs at least 12 simulated months")
    m = 12 * years
    rows = []
    annual = {
        "Begun": runs.arrays["begun"][:, :m].sum(2),
        "Case-months": runs.arrays["case_months"][:, :m].sum(2),
        "Cost": runs.arrays["cost"][:, :m].sum(2),
    }
    model = {
        "Begun": annual["Begun"].reshape(runs.replicates, years, 12, -1).sum(2),
        "Running": runs.arrays["running"][:, 11:m:12].sum(2),
        "Case-months": annual["Case-months"].reshape(runs.replicates, years, 12, -1).sum(2),
        "Cost": annual["Cost"].reshape(runs.replicates, years, 12, -1).sum(2),
    }
    expected = {k: np.zeros_like(v, dtype=float) for k, v in model.items()}
    per_case = np.array([h in inputs.costs.per_case for h in inputs.codes])
    for r in range(runs.replicates):
        begun = inputs.begun[runs.draw[r], :years].sum(1)  # (Y, H)
        price = runs.price_index[r].reshape(years, 12)[:, 0]  # constant within a year
        for h in range(len(inputs.codes)):
            flows = expected_flows(
                begun[:, h], MonthlyDuration(runs.pmf[r, h]), inputs.stock[:, h].sum()
            )
            expected["Begun"][r, :, h] = begun[:, h]
            expected["Running"][r, :, h] = flows.running
            expected["Case-months"][r, :, h] = flows.case_months
            volume = begun[:, h] if per_case[h] else flows.case_months
            expected["Cost"][r, :, h] = volume * price * runs.unit[r, h]
    for variable, values in model.items():
        mod = values.mean(0).sum(0)
        exp = expected[variable].mean(0).sum(0)
        labels = [*inputs.codes, "Total"]
        mod, exp = np.append(mod, mod.sum()), np.append(exp, exp.sum())
        if variable == "Running":  # a stock: mean over the year ends, not a sum
            mod, exp = mod / years, exp / years
        for label, a, b in zip(labels, mod, exp, strict=True):
            rows.append(
                {
                    "variable": variable,
                    "hilfeart": label,
                    "model": float(a),
                    "expected": float(b),
                    "rel_error": float(a / b - 1.0) if b > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)
