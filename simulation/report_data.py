"""What the report and the workbook read from one run: small frames pulled out of its results.

Everything comes from the run's ``results/`` (through DuckDB, so that a run with thousands of
draws is not loaded whole) and its manifest; nothing is recomputed. A section whose stage did not
run gets an empty frame and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE
from forecast.variables import BAND
from forecast.variables import QUANTILE_NAMES as ALL_NAMES
from simulation.results import SAMPLES_PART
from simulation.rundb import ABM_ANNUAL_COST, RunInfo, connect

QUANTILE_NAMES = {q: ALL_NAMES[q] for q in BAND}  # the band every model writes
BANDS = ", ".join(
    f"coalesce(max(value) FILTER (quantile = {q}), max(value) FILTER (statistic = 'value')) AS {n}"
    for q, n in QUANTILE_NAMES.items()
)
"""SQL: P10/P50/P90 from quantile rows, or the value in all three for a run without draws."""


@dataclass
class RunData:
    """One run's results for the report.

    Attributes:
        run: the run (path and manifest).
    """

    run: RunInfo
    _con: Any = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, path: Path, manifest: dict) -> RunData:
        return cls(RunInfo(Path(path), manifest, str(manifest.get("scenario", ""))))

    @property
    def manifest(self) -> dict:
        return self.run.manifest

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL over the table ``results`` of this run (population samples left out: the
        report uses quantiles; they are read once into memory, the rest of the run is small)."""
        if self._con is None:
            self._con = connect([self.run], skip_parts=(SAMPLES_PART,))
            self._con.execute(
                "ALTER VIEW results RENAME TO results_all; CREATE TABLE results AS SELECT * FROM "
                "results_all WHERE NOT (model = 'population' AND statistic = 'sample')"
            )  # runs written before the samples had their own file: the filter
        return self._con.execute(sql).df()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @cached_property
    def models(self) -> set[str]:
        return set(self.query("SELECT DISTINCT model FROM results")["model"])

    @cached_property
    def district_names(self) -> dict[str, str]:
        """District code -> name (from the run's config city data, codes where unknown)."""
        city = self.manifest.get("city", {})
        names = dict(city.get("district_names", {}))
        for code in city.get("districts", []):
            names.setdefault(code, code)
        names[CITY_DISTRICT] = city.get("name", "Stadt")
        return names

    def bands(
        self, variable: str, district: str = CITY_DISTRICT, model: str | None = None
    ) -> pd.DataFrame:
        """Yearly P10/P50/P90 of an annual variable (or value thrice without draws), by year.

        Returns:
            Index year; columns P10, P50, P90 (empty when the variable is absent).
        """
        where = f"AND model = '{model}'" if model else ""
        return self.query(
            f"""
            SELECT year, {BANDS} FROM results
            WHERE variable = '{variable}' AND district = '{district}' AND month = 0
                  AND variant = '' AND statistic IN ('value', 'quantile') {where}
            GROUP BY year ORDER BY year
            """
        ).set_index("year")

    def bands_by_district(self, variable: str, year: int) -> pd.DataFrame:
        """P10/P50/P90 of an annual variable in ``year``, by district (``_city`` included)."""
        return self.query(
            f"""
            SELECT district, {BANDS} FROM results
            WHERE variable = '{variable}' AND year = {int(year)} AND month = 0 AND variant = ''
                  AND statistic IN ('value', 'quantile')
            GROUP BY district
            """
        ).set_index("district")

    def expected_error(self, group: str, year: int) -> pd.Series:
        """Expected error (%) of the district population ``group`` in ``year`` from the city's own
        backtests (``Expected error|<group>``), by district; empty when the run has none."""
        rows = self.query(
            f"""
            SELECT district, value FROM results
            WHERE model = 'population' AND variable = 'Expected error|{group}'
                  AND year = {int(year)} AND statistic = 'value'
            """
        )
        return rows.set_index("district")["value"] if len(rows) else pd.Series(dtype=float)

    def years(self, model: str, prefix: str) -> list[int]:
        rows = self.query(
            f"""SELECT DISTINCT year FROM results WHERE model = '{model}' AND statistic <> 'value'
                AND variable LIKE '{prefix}%' ORDER BY year"""
        )
        if rows.empty:
            rows = self.query(
                f"""SELECT DISTINCT year FROM results WHERE model = '{model}'
                    AND variable LIKE '{prefix}%' ORDER BY year"""
            )
        return [int(y) for y in rows["year"]]

    def pyramid(self, year: int) -> np.ndarray | None:
        """City population by sex and single age in ``year`` (variant path), (2, 101)."""
        rows = self.query(
            f"""
            SELECT variable, value FROM results
            WHERE model = 'population' AND statistic = 'value' AND district = '{CITY_DISTRICT}'
                  AND year = {int(year)} AND regexp_matches(variable, '^Population\\|[fm]\\|[0-9]+$')
            """
        )
        if rows.empty:
            return None
        parts = rows["variable"].str.split("|", expand=True)
        ages = parts[2].astype(int).to_numpy()
        out = np.zeros((2, ages.max() + 1))
        sex = (parts[1] == "m").astype(int).to_numpy()
        np.add.at(out, (sex, ages), rows["value"].to_numpy())
        return out

    def hze_cases_by_district(self, year: int, statistic: float = 0.5) -> pd.DataFrame:
        """HzE Fallzahl (P50 or the value) in ``year``: rows districts, columns Hilfeart codes."""
        rows = self.query(
            f"""
            SELECT district, variable, value FROM results
            WHERE model = 'hze' AND variable LIKE 'HzE|Cases|%' AND year = {int(year)}
                  AND month = 0 AND (quantile = {statistic} OR statistic = 'value')
            """
        )
        if rows.empty:
            return pd.DataFrame()
        rows["code"] = rows["variable"].str.split("|").str[2]
        table = rows.pivot_table(index="district", columns="code", values="value", aggfunc="first")
        codes = [c for c in CATALOGUE if c in table.columns] + (
            ["Total"] if "Total" in table.columns else []
        )
        return table[codes]

    def hze_cost_by_hilfeart(self) -> pd.DataFrame:
        """City HzE cost per budget year and Hilfeart (and ``Total``): P10/P50/P90 (nominal EUR).

        Returns:
            Columns year, code, P10, P50, P90.
        """
        return self.query(
            f"""
            SELECT year, split_part(variable, '|', 3) AS code, {BANDS} FROM results
            WHERE model = 'hze' AND variable LIKE 'HzE|Cost|%' AND district = '{CITY_DISTRICT}'
                  AND month = 0 AND statistic IN ('quantile', 'value')
            GROUP BY ALL ORDER BY year, code
            """
        )

    def abm_annual_cost(self) -> pd.DataFrame:
        """ABM city cost per budget year and service model from the per-replicate samples.

        Returns:
            Columns variant, year, P10, P50, P90 (complete years only; empty without samples).
        """
        return self.query(
            f"""
            WITH y AS ({ABM_ANNUAL_COST})
            SELECT variant, year, quantile_cont(v, 0.1) AS P10, quantile_cont(v, 0.5) AS P50,
                   quantile_cont(v, 0.9) AS P90, count(*) AS replicates
            FROM y GROUP BY ALL ORDER BY variant, year
            """
        )

    def abm_annual_difference(self) -> pd.DataFrame:
        """Per budget year, SRO minus classic city cost replicate by replicate (same replicates
        in both: common random numbers); columns variant, year, P10, P50, P90, mean."""
        return self.query(
            f"""
            WITH y AS ({ABM_ANNUAL_COST})
            SELECT s.variant, s.year, quantile_cont(s.v - c.v, 0.1) AS P10,
                   quantile_cont(s.v - c.v, 0.5) AS P50, quantile_cont(s.v - c.v, 0.9) AS P90,
                   avg(s.v - c.v) AS mean
            FROM y s JOIN y c ON c.variant = 'classic' AND c.year = s.year
                 AND c.replicate = s.replicate
            WHERE s.variant <> 'classic'
            GROUP BY ALL ORDER BY s.variant, s.year
            """
        )

    def abm_monthly(self, variable: str) -> pd.DataFrame:
        """Monthly city P10/P50/P90 of an ABM variable per service model.

        Returns:
            Columns variant, year, month, P10, P50, P90.
        """
        rows = self.query(
            f"""
            SELECT variant, year, month, quantile, value FROM results
            WHERE model = 'abm' AND variable = '{variable}' AND district = '{CITY_DISTRICT}'
                  AND statistic = 'quantile'
            """
        )
        if rows.empty:
            return pd.DataFrame(columns=["variant", "year", "month", "P10", "P50", "P90"])
        rows["q"] = rows["quantile"].map(QUANTILE_NAMES)
        wide = rows.pivot_table(
            index=["variant", "year", "month"], columns="q", values="value", aggfunc="first"
        )
        return wide.reset_index().sort_values(["variant", "year", "month"], ignore_index=True)

    def sensitivity(self) -> pd.DataFrame:
        """The ABM's one-at-a-time sensitivity table (manifest), largest swing first."""
        table = pd.DataFrame(self.manifest.get("abm", {}).get("sensitivity", []))
        return table
