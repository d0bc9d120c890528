"""The tables of a comparison built from its lined-up rows: the service-model effects (per pair
and pooled over seeds) and the headline summary (see ``simulation.compare``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from simulation import compare_sro
from simulation.compare_sro import EFFECT_PREFIX, MEASURE_TITLES, SAME_RUN, effect_title
from simulation.compare_terms import (
    HEADLINES,
    IDENTICAL,
    INDEPENDENT,
    MEDIANS,
    MIXED,
    PAIRED,
    SCENARIO,
    SEEDS_ONLY,
    VALUES,
)
from simulation.rundb import RunInfo


def effect_tables(
    diffs: pd.DataFrame, runs: list[RunInfo], paired: dict, kinds: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The service-model effects per pair and pooled over the seeds of two scenarios."""
    if diffs.empty:
        return pd.DataFrame(), pd.DataFrame()
    variants = ["a_variant", "b_variant", "same_run"]
    effects = compare_sro.summarise(diffs, ["run", "ref", *variants, "measure", "year"])
    pair = list(zip(effects["run"], effects["ref"], strict=True))
    effects.insert(2, "label", [runs[i].label for i in effects["run"]])
    effects.insert(3, "reference_label", [runs[j].label for j in effects["ref"]])
    effects["method"] = [
        SAME_RUN if same else PAIRED if paired[k] else INDEPENDENT
        for same, k in zip(effects["same_run"], pair, strict=True)
    ]
    effects["kind"] = [kinds[k] for k in pair]
    # Pooled over seeds: the pairs of two different scenarios only (never seed noise).
    scenario = [kinds[k] == SCENARIO for k in zip(diffs["run"], diffs["ref"], strict=True)]
    rows = diffs[scenario].copy()
    if rows.empty:
        return effects, pd.DataFrame()
    rows["scenario"] = [runs[i].scenario for i in rows["run"]]
    rows["reference_scenario"] = [runs[j].scenario for j in rows["ref"]]
    by = ["scenario", "reference_scenario", *variants]
    yearly = compare_sro.summarise(rows, [*by, "measure", "year"])
    total = compare_sro.cumulative(rows)
    if not total.empty:
        total["scenario"] = [runs[i].scenario for i in total["run"]]
        total["reference_scenario"] = [runs[j].scenario for j in total["ref"]]
        total["measure"], total["year"] = "cost", 0
        span = total.groupby(by)[["first_year", "last_year"]].agg(
            {"first_year": "max", "last_year": "min"}
        )
        cum = compare_sro.summarise(total, [*by, "measure", "year"]).merge(
            span.reset_index(), on=by
        )
        yearly = pd.concat([yearly, cum], ignore_index=True)
    counts = rows.groupby(by)[["run"]].agg(lambda r: len(set(r))).rename(columns={"run": "pairs"})
    pooled = yearly.merge(counts.reset_index(), on=by)
    return effects, compare_sro.sro_minus_classic(pooled)


def summary_table(
    pairs: pd.DataFrame, levels: pd.DataFrame, intervals: pd.DataFrame, effects: pd.DataFrame
) -> pd.DataFrame:
    """Headline differences per pair and year, with an interval where samples allow one: the
    service-model effects first, then the differences that are not zero, then the zeros."""
    rows = _effect_rows(pairs, effects)
    if levels.empty and not rows:
        return pd.DataFrame()
    head = _headline_rows(pairs, levels, intervals)
    out = pd.DataFrame(rows + head)
    out["effect"] = out["variable"].str.startswith(EFFECT_PREFIX)
    out["zero"] = (
        (out["difference"] == 0)
        & ~(out["difference_lo"].abs() > 0)
        & ~(out["difference_hi"].abs() > 0)
    )
    order = {SCENARIO: 0, SEEDS_ONLY: 1, IDENTICAL: 2}
    out["_kind"] = out["kind"].map(order)
    rank = {v: k for k, v in enumerate([*(EFFECT_PREFIX + m for m in MEASURE_TITLES), *HEADLINES])}
    out["_variable"] = out["variable"].map(rank)
    out = out.sort_values(
        ["_kind", "effect", "zero", "label", "_variable", "variant", "year"],
        ascending=[True, False, True, True, True, True, True],
        kind="stable",
    )
    return out.drop(columns=["_kind", "_variable"]).reset_index(drop=True)


def _effect_rows(pairs: pd.DataFrame, effects: pd.DataFrame) -> list[dict]:
    """Summary rows of the service-model effects (``Effect|<measure>``)."""
    if effects.empty:
        return []
    labels = pairs.set_index(["run", "ref"])
    rows = []
    for e in effects.itertuples():
        p = labels.loc[(e.run, e.ref)]
        rows.append(
            {
                "variable": EFFECT_PREFIX + e.measure,
                "variant": f"{e.a_variant}-{e.b_variant}",
                "title": effect_title(e.measure, e.a_variant, e.b_variant),
                "year": int(e.year),
                "label": p["label"],
                "reference_label": p["reference_label"],
                "value": e.value,
                "value_lo": e.value_lo,
                "value_hi": e.value_hi,
                "reference_value": e.reference_value,
                "reference_lo": e.reference_lo,
                "reference_hi": e.reference_hi,
                "difference": e.p50,
                "difference_pct": 100 * e.p50 / e.reference_value
                if e.reference_value and e.measure != "stationary"
                else np.nan,
                "difference_lo": e.p10,
                "difference_hi": e.p90,
                "method": e.method,
                "kind": e.kind,
            }
        )
    return rows


def _headline_rows(pairs: pd.DataFrame, levels: pd.DataFrame, intervals: pd.DataFrame) -> list:
    """Headline differences of the levels (``HEADLINES``) per pair and year."""
    if levels.empty:
        return []
    city = intervals[
        (intervals["district"] == CITY_DISTRICT)
        & (intervals["month"] == 0)
        & intervals["variable"].isin(list(HEADLINES))
    ].set_index(["run", "ref", "variable", "variant", "year"])
    index = ["variable", "variant", "year"]
    rows = []
    for p in pairs.itertuples():
        a = levels[levels["run"] == p.run].set_index(index)
        b = levels[levels["run"] == p.ref].set_index(index)
        both = a.merge(b, left_index=True, right_index=True, suffixes=("", "_ref"))
        for (variable, variant, year), r in both.iterrows():
            key = (p.run, p.ref, variable, variant, year)
            lo = hi = np.nan
            method = {
                ("median", "median"): MEDIANS,
                ("value", "value"): VALUES,
            }.get((r["kind"], r["kind_ref"]), MIXED)
            if key in city.index:
                lo, hi = float(city.loc[key, "p10"]), float(city.loc[key, "p90"])
                method = PAIRED if p.paired else INDEPENDENT
            diff = float(r["value"] - r["value_ref"])
            rows.append(
                {
                    "variable": variable,
                    "variant": variant,
                    "title": HEADLINES[variable] + (f" ({variant})" if variant else ""),
                    "year": int(year),
                    "label": p.label,
                    "reference_label": p.reference_label,
                    "value": r["value"],
                    "value_lo": r["lo"],
                    "value_hi": r["hi"],
                    "reference_value": r["value_ref"],
                    "reference_lo": r["lo_ref"],
                    "reference_hi": r["hi_ref"],
                    "difference": diff,
                    "difference_pct": 100 * diff / r["value_ref"] if r["value_ref"] else np.nan,
                    "difference_lo": lo,
                    "difference_hi": hi,
                    "method": method,
                    "kind": p.kind,
                }
            )
    return rows


def headline_rows(summary: pd.DataFrame) -> tuple[int | None, pd.DataFrame]:
    """The last year of the summary and its rows that are differences of two scenarios and not
    zero, effects first (what the headline table and chart show; seeds-only pairs left out)."""
    s = summary
    if s.empty:
        return None, s
    s = s[s["kind"] == SCENARIO]
    if s.empty:
        return None, s
    year = int(s.groupby("variable")["year"].max().min())
    return year, s[(s["year"] == year) & ~s["zero"]]


def zero_titles(summary: pd.DataFrame, year: int) -> list[str]:
    """Titles of the headline variables that are exactly equal in every pair of two scenarios in
    ``year`` (named in one line instead of listed as differences of 0)."""
    s = summary[(summary["kind"] == SCENARIO) & (summary["year"] == year)]
    zero = s.groupby("title")["zero"].all()
    return [t for t in s["title"].drop_duplicates() if zero[t]]
