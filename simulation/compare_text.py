"""The console summary of ``jhplan compare`` (also ``summary.txt`` of a comparison folder).

It leads with what a planner asks: the service-model effect (Sozialraumorientierung minus
classic) with its P10-P90 interval, pooled over the seeds of two scenarios. Pairs that differ only
by seed are named as such and their differences are not listed (seed noise is not an effect).
Headline differences follow, those that are not zero first; the quantities that are exactly equal
in every pair of two scenarios are named in one line. Money is in Tsd. € or Mio. € with one
decimal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.compare_sro import EFFECT_PREFIX, MEASURE_NAMES
from simulation.compare_summary import headline_rows
from simulation.compare_terms import HEADLINES, IDENTICAL, SCENARIO, SEEDS_ONLY

if TYPE_CHECKING:
    from simulation.compare import Comparison

SEEDS_ONLY_TEXT = "no scenario difference: seeds only"


def money(x: float) -> str:
    """An amount in EUR as Tsd. € or Mio. € with one decimal and a sign."""
    if abs(x) >= 1e6:
        return f"{x / 1e6:+,.1f} Mio. €"
    return f"{x / 1e3:+,.1f} Tsd. €"


def amount(x: float, measure: str) -> str:
    """A difference of ``measure`` (cost in EUR, cases, stationary share in percentage points)."""
    if measure == "cost":
        return money(x)
    if measure == "stationary":
        return f"{x:+.1f} pp"
    return f"{x:+,.1f}"


def _interval(lo: float, hi: float, measure: str) -> str:
    return f"[P10 {amount(lo, measure)} .. P90 {amount(hi, measure)}]"


def effect_lines(pooled: pd.DataFrame) -> list[str]:
    """One line per two scenarios and service models: the effect in the last year all measures
    share, and the cost summed over the years (year 0 of ``pooled``)."""
    if pooled.empty:
        return []
    lines = []
    keys = ["scenario", "reference_scenario", "a_variant", "b_variant"]
    for (scen, ref, va, vb), g in pooled.groupby(keys, sort=False):
        yearly = g[g["year"] > 0]
        year = int(yearly.groupby("measure")["year"].max().min())
        parts = []
        for r in (
            yearly[yearly["year"] == year].sort_values("measure", key=_measure_order).itertuples()
        ):
            parts.append(
                f"{MEASURE_NAMES[r.measure]} {amount(r.p50, r.measure)} "
                f"{_interval(r.p10, r.p90, r.measure)}"
            )
        head = (
            f"SRO effect {va} - {vb} ({scen} vs {ref}; {int(g['pairs'].max())} pair(s) of runs, "
            f"{int(yearly['replicates'].max())} paired replicates), P50 of the per-replicate "
            f"difference in {year}: "
        )
        line = head + "; ".join(parts)
        total = g[g["year"] == 0]
        if not total.empty:
            t = total.iloc[0]
            line += (
                f"; cost summed {int(t.first_year)}-{int(t.last_year)} {money(t.p50)} "
                f"{_interval(t.p10, t.p90, 'cost')}"
            )
        lines.append(line)
    return lines


def _measure_order(s: pd.Series) -> pd.Series:
    return s.map({m: k for k, m in enumerate(MEASURE_NAMES)})


def _difference(r) -> str:
    measure = r.variable[len(EFFECT_PREFIX) :] if r.variable.startswith(EFFECT_PREFIX) else ""
    money_row = measure == "cost" or "Euro" in HEADLINES.get(r.variable, "")
    unit = "cost" if money_row else measure or "cases"
    text = money(r.difference) if money_row else amount(r.difference, unit)
    if unit == "cases" and not measure:
        text = f"{r.difference:+,.0f}"
    pct = f" ({r.difference_pct:+.1f} %)" if np.isfinite(r.difference_pct) else ""
    interval = (
        f" {_interval(r.difference_lo, r.difference_hi, unit)}"
        if np.isfinite(r.difference_lo)
        else ""
    )
    return f"{text}{pct}{interval}"


def summary_text(c: Comparison, year: int | None = None) -> str:
    """The console summary (module docstring); headline rows of ``year`` (default: the last year
    all summary rows share)."""
    lines = effect_lines(c.pooled)
    seeds = c.pairs[c.pairs["kind"] == SEEDS_ONLY]
    for p in seeds.itertuples():
        lines.append(
            f"{p.label} vs {p.reference_label}: {SEEDS_ONLY_TEXT} (their differences are seed "
            "noise, not an effect)"
        )
    lines.append(f"{len(c.runs)} run(s) compared; reference: {c.reference}")
    for p in c.pairs.itertuples():
        kind = "paired" if p.paired else "unpaired"
        if p.kind == SEEDS_ONLY:
            kind += f"; {SEEDS_ONLY_TEXT}"
        elif p.kind == IDENTICAL:
            kind += "; same settings and seed: must be exactly 0"
        lines.append(
            f"  {p.label} vs {p.reference_label} ({kind}): {p.matched_rows:,} rows lined up, "
            f"{p.unmatched_rows:,} only in one of them; max |difference| "
            f"{p.max_abs_difference:.6g}"
        )
    if year is None:
        year, shown = headline_rows(c.summary)
    else:
        shown = headline_rows(c.summary[c.summary["year"] == year])[1]
    if year is None:
        return "\n".join(lines)
    if not shown.empty:
        lines.append(
            f"headline differences in {year} (P50; interval = P10..P90 of the difference):"
        )
    for r in shown.itertuples():
        name = r.variable if not r.effect else f"{r.variable} ({r.variant})"
        lines.append(f"  {r.label} - {r.reference_label}: {name} {_difference(r)}")
    s = c.summary[(c.summary["kind"] == SCENARIO) & (c.summary["year"] == year)]
    zero = s.groupby("variable")["zero"].all()
    if zero.any():
        names = ", ".join(zero.index[zero])
        lines.append(f"  equal in every pair of scenarios (difference 0) in {year}: {names}")
    return "\n".join(lines)
