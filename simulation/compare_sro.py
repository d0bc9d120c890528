"""The service-model effect in a comparison: Sozialraumorientierung minus classic per budget year.

The ABM is the only stage whose results depend on the service model; the population, Kita and HzE
forecasts of ``experiment=sozialraum`` equal the baseline's. So a comparison of "sozialraum vs
baseline" lines up the ABM's results **by service model**: for each pair (run, reference), side a
is the run's own service model (``abm.service_model`` of its configuration) and side b the
reference's:

* each side from its own run when that run ran the ABM (replicate r of the run with replicate r
  of the reference: paired when both share seed and draws, else independent);
* else from the other run of the pair: an SRO run also simulates the classic system on the same
  replicates (common random numbers), which is what a baseline with the classic model would have
  simulated (same seed scheme: replicate d is spawn d in every scenario). So "sozialraum vs
  baseline" is SRO - classic, "baseline vs sozialraum" classic - SRO.

The measures per budget year and replicate are ``simulation.rundb.ABM_ANNUAL_MEASURES`` (cost,
Fallzahl, stationary share at 31.12.); the difference a - b is taken replicate by replicate and
summarised by its mean and P10/P50/P90: an interval of the effect itself.

References:
    Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed., ch. 11.2 (common random
    numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.rundb import ABM_ANNUAL_MEASURES, ABM_MEASURES, RunInfo, sql_str

SAME_RUN = "per-replicate differences of two service models in one run (same replicates)"

MEASURE_TITLES = {
    "cost": "HzE-Kosten im Systemmodell (Euro je Jahr)",
    "cases": "HzE-Fallzahl im Systemmodell",
    "stationary": "Anteil stationärer Hilfen im Systemmodell (%)",
}
"""German titles of the ABM measures (``simulation.rundb.ABM_MEASURES``), in display order."""

MEASURE_SHORT = {
    "cost": "Effekt Kosten",
    "cases": "Effekt Fallzahl",
    "stationary": "Effekt Anteil stationär (Pp.)",
}
"""Short German names of the measures' effects (chart labels)."""

MEASURE_NAMES = {"cost": "cost", "cases": "Fallzahl", "stationary": "stationary share"}
"""English names of the measures for the console."""

EFFECT_PREFIX = "Effect|"
"""Summary rows of a service-model effect have the variable ``Effect|<measure>``."""

CLASSIC = "classic"
SERVICE_MODELS_DE = {CLASSIC: "klassisch"}


def effect_title(measure: str, a: str, b: str) -> str:
    """Short German title of the effect of service model ``a`` against ``b`` on ``measure``."""
    return f"{MEASURE_SHORT[measure]} {SERVICE_MODELS_DE.get(a, a)} – {SERVICE_MODELS_DE.get(b, b)}"


def service_model_de(name: str) -> str:
    """German name of a service model: ``klassisch``, else ``Sozialraumorientierung (<name>)``."""
    return SERVICE_MODELS_DE.get(name, f"Sozialraumorientierung ({name})")


def effect_sides(pairs: pd.DataFrame, runs: list[RunInfo], present: set) -> pd.DataFrame:
    """Which service model of which run is compared with which, per pair (module docstring).

    Args:
        pairs: run, ref, paired (positions in ``runs``).
        runs: the runs compared.
        present: (run, variant) that have ABM measures.

    Returns:
        Columns run, ref, a_run, a_variant, b_run, b_variant, same_run.
    """
    rows = []
    for p in pairs.itertuples():
        va, vb = runs[p.run].service_model, runs[p.ref].service_model
        # Each side from its own run where it ran the ABM, else from the other run of the pair
        # (which simulated both service models on the same replicates).
        a = next(((r, va) for r in (p.run, p.ref) if (r, va) in present), None)
        b = next(((r, vb) for r in (p.ref, p.run) if (r, vb) in present), None)
        if a is None or b is None or a == b:
            continue
        rows.append((p.run, p.ref, a[0], va, b[0], vb, a[0] == b[0]))
    columns = ["run", "ref", "a_run", "a_variant", "b_run", "b_variant", "same_run"]
    return pd.DataFrame(rows, columns=columns)


def replicate_differences(con, pairs: pd.DataFrame, runs: list[RunInfo]) -> pd.DataFrame:
    """Per pair, measure, budget year and replicate: the two sides and their difference.

    Args:
        con: a DuckDB connection with the ``results`` view over ``runs`` (``rundb.connect``).
        pairs: run, ref, paired.
        runs: the runs.

    Returns:
        Columns run, ref, a_variant, b_variant, same_run, measure, year, replicate, a, b, d.
    """
    query = lambda sql: con.execute(sql).df()  # noqa: E731
    found = query(f"SELECT DISTINCT run, variant FROM ({ABM_ANNUAL_MEASURES})")
    present = {(int(r), str(v)) for r, v in zip(found["run"], found["variant"], strict=True)}
    return side_differences(query, effect_sides(pairs, runs, present))


def side_differences(query, sides: pd.DataFrame) -> pd.DataFrame:
    """The ABM measures of side a minus side b, replicate by replicate.

    Args:
        query: runs SQL over a ``results`` view and returns a frame (``RunData.query`` or a
            DuckDB connection's ``execute(...).df()``).
        sides: run, ref, a_run, a_variant, b_run, b_variant, same_run (``effect_sides``).

    Returns:
        Columns run, ref, a_variant, b_variant, same_run, measure, year, replicate, a, b, d (the
        stationary share in percent, its difference in percentage points).
    """
    columns = ["run", "ref", "a_variant", "b_variant", "same_run", "measure", "year", "replicate"]
    if sides.empty:
        return pd.DataFrame(columns=[*columns, "a", "b", "d"])
    values = ", ".join(
        f"({int(r.run)}, {int(r.ref)}, {int(r.a_run)}, {sql_str(r.a_variant)}, "
        f"{int(r.b_run)}, {sql_str(r.b_variant)}, {bool(r.same_run)})"
        for r in sides.itertuples()
    )
    out = query(
        f"""
        WITH m AS ({ABM_ANNUAL_MEASURES}),
        e(run, ref, a_run, a_variant, b_run, b_variant, same_run) AS (VALUES {values})
        SELECT e.run::INTEGER AS run, e.ref::INTEGER AS ref, e.a_variant, e.b_variant,
               e.same_run, a.measure, a.year, a.replicate, a.value AS a, b.value AS b,
               a.value - b.value AS d
        FROM e
        JOIN m a ON a.run = e.a_run AND a.variant = e.a_variant
        JOIN m b ON b.run = e.b_run AND b.variant = e.b_variant
             AND b.measure = a.measure AND b.year = a.year AND b.replicate = a.replicate
        ORDER BY ALL
        """
    )
    # The stationary share in percent, its difference in percentage points.
    out.loc[out["measure"] == "stationary", ["a", "b", "d"]] *= 100.0
    return out


def _band(x: pd.Series) -> pd.Series:
    q = np.quantile(x.to_numpy(float), [0.1, 0.5, 0.9])
    return pd.Series({"lo": q[0], "p50": q[1], "hi": q[2]})


def summarise(diffs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean and P10/P50/P90 of the difference and the two sides' P10/P50/P90, grouped by ``by``.

    Returns:
        ``by`` columns, replicates, mean, p10, p50, p90, value, value_lo, value_hi,
        reference_value, reference_lo, reference_hi.
    """
    if diffs.empty:
        return pd.DataFrame()
    g = diffs.groupby(by, sort=True)
    d = g["d"].apply(_band).unstack().rename(columns={"lo": "p10", "hi": "p90"})
    a = g["a"].apply(_band).unstack().set_axis(["value_lo", "value", "value_hi"], axis=1)
    b = g["b"].apply(_band).unstack()
    b = b.set_axis(["reference_lo", "reference_value", "reference_hi"], axis=1)
    out = pd.concat(
        [g["d"].size().rename("replicates"), g["d"].mean().rename("mean"), d, a, b], axis=1
    )
    return out.reset_index()


def cumulative(diffs: pd.DataFrame, measure: str = "cost") -> pd.DataFrame:
    """The difference of an amount (``measure``: cost) summed over the budget years each
    replicate covers completely.

    Returns:
        Columns run, ref, a_variant, b_variant, same_run, replicate, first_year, last_year, a, b,
        d.
    """
    cost = diffs[diffs["measure"] == measure]
    if cost.empty:
        return pd.DataFrame()
    keys = ["run", "ref", "a_variant", "b_variant", "same_run", "replicate"]
    out = cost.groupby(keys).agg(
        first_year=("year", "min"),
        last_year=("year", "max"),
        a=("a", "sum"),
        b=("b", "sum"),
        d=("d", "sum"),
    )
    return out.reset_index()


def units() -> dict[str, str]:
    """Measure -> unit of its difference."""
    return {**ABM_MEASURES, "stationary": "percentage points (" + ABM_MEASURES["stationary"] + ")"}


def sro_minus_classic(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (``summarise`` output with scenario columns) turned so that each row is SRO
    minus classic: rows of classic minus another model (a comparison whose reference is the SRO
    run) get their sides swapped and their differences negated (P10 <-> -P90)."""
    if table.empty:
        return table
    flip = (table["a_variant"] == CLASSIC) & (table["b_variant"] != CLASSIC)
    out = table.copy()
    swaps = [
        ("a_variant", "b_variant"),
        ("scenario", "reference_scenario"),
        ("value", "reference_value"),
        ("value_lo", "reference_lo"),
        ("value_hi", "reference_hi"),
    ]
    for a, b in swaps:
        if a in out and b in out:
            out.loc[flip, [a, b]] = table.loc[flip, [b, a]].to_numpy()
    out.loc[flip, "mean"] = 0.0 - table.loc[flip, "mean"]
    out.loc[flip, "p50"] = 0.0 - table.loc[flip, "p50"]
    out.loc[flip, "p10"] = 0.0 - table.loc[flip, "p90"]
    out.loc[flip, "p90"] = 0.0 - table.loc[flip, "p10"]
    return out
