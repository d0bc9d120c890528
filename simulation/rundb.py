"""Run folders as one DuckDB table: find the runs in run and sweep folders and query their results.

A *run* is a folder with ``manifest.json`` (task ``run``) and a ``results/`` Parquet dataset
(``simulation.results``); a *sweep* folder holds one run folder per job (and
``sweep_manifest.json``). Hidden folders (partial runs being written, ``.submitit``) are never read.
``connect`` opens an in-memory DuckDB database with a view ``results`` over every run's Parquet
files, with three columns added:

* ``run``: the run's position in the list (run ids need not be unique: two sweeps both have a
  job folder ``0_baseline``);
* ``base``: the scenario of the run (the same as ``scenario``; kept for older queries);
* ``variant``: the ABM's service model (e.g. ``classic``; '' for the other models): the
  ``variant`` column of the results or, in run folders written before it, the part of the
  scenario partition after ``+`` (``scenario=<s>+classic``), which is then cut off ``scenario``.

The annual ABM cost (``ABM_ANNUAL_COST``) and the ABM's budget-year measures per replicate
(``ABM_ANNUAL_MEASURES``: cost, Fallzahl, stationary share) are defined here once for the report,
the workbook and ``jhplan compare``.

References:
    DuckDB, "Hive partitioning" and "Reading multiple files" (read_parquet), duckdb.org/docs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from forecast.contract import CITY_DISTRICT
from forecast.variables import ABM, ABM_ENDED, ABM_STATIONARY
from simulation.results import RESULTS_DIR

_COST = ABM["Cost"].name(hilfeart="Total")
_RUNNING = ABM["Running"].name(hilfeart="Total")
_ENDED = ABM_ENDED.pattern
_STATIONARY = ABM_STATIONARY.pattern


@dataclass(frozen=True)
class RunInfo:
    """One run folder.

    Attributes:
        path: the run folder.
        manifest: its parsed ``manifest.json``.
        label: a short name unique among the runs compared (the scenario, with the seed or the
            folder name added where scenarios repeat).
    """

    path: Path
    manifest: dict[str, Any] = field(repr=False)
    label: str = ""

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", self.path.name))

    @property
    def scenario(self) -> str:
        return str(self.manifest.get("scenario", ""))

    @property
    def seed(self) -> int | None:
        return self.manifest.get("root_seed")

    @property
    def draws(self) -> int | None:
        return self.manifest.get("draws")

    @property
    def service_model(self) -> str:
        """The ABM's service model of the run's configuration (``classic`` without one)."""
        return str(self.manifest.get("config", {}).get("abm", {}).get("service_model", "classic"))

    @property
    def scenario_config(self) -> dict[str, Any]:
        """The resolved configuration without what names, places or samples the run: seed,
        draws, scenario name and description, run root, report settings, figure switches and
        worker counts. Two runs with equal ``scenario_config`` differ only by seed (or draws)."""
        return _without(self.manifest.get("config", {}), top=IGNORED_TOP, anywhere=IGNORED_KEYS)

    @property
    def files(self) -> list[Path]:
        """The run's Parquet result files."""
        return sorted((self.path / RESULTS_DIR).glob("scenario=*/*.parquet"))


IGNORED_TOP = frozenset({"seed", "draws", "scenario", "scenario_description", "run_root", "report"})
IGNORED_KEYS = frozenset({"figures", "n_jobs"})


def _without(config: Any, top: frozenset[str], anywhere: frozenset[str]) -> Any:
    if not isinstance(config, dict):
        return config
    return {
        k: _without(v, frozenset(), anywhere)
        for k, v in config.items()
        if k not in top and k not in anywhere
    }


def is_run_folder(path: Path) -> bool:
    """A finished run of ``jhplan run`` (not a backtest, comparison or partial folder)."""
    manifest = path / "manifest.json"
    if path.name.startswith(".") or not manifest.is_file():
        return False
    try:
        task = json.loads(manifest.read_text(encoding="utf-8")).get("task")
    except (OSError, ValueError):
        return False
    return task == "run"


def find_runs(paths: list[str | Path]) -> list[RunInfo]:
    """The run folders in ``paths`` (each a run folder or a folder of runs, e.g. a sweep).

    Runs are listed in the order given; within a folder of runs, by folder name. Each run gets a
    unique label.

    Raises:
        ValueError: a path does not exist or holds no run folder.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not path.is_dir():
            raise ValueError(f"{raw}: no such folder")
        if is_run_folder(path):
            runs = [path]
        else:
            runs = sorted(
                (p for p in path.rglob("manifest.json") if _visible(p.parent, path)),
                key=lambda p: str(p),
            )
            runs = [p.parent for p in runs if is_run_folder(p.parent)]
        if not runs:
            raise ValueError(
                f"{raw}: no run folder (a folder with manifest.json of `jhplan run`) in it"
            )
        found += [r for r in runs if r not in found]
    infos = [
        RunInfo(path=p, manifest=json.loads((p / "manifest.json").read_text(encoding="utf-8")))
        for p in found
    ]
    return label_runs(infos)


def _visible(folder: Path, root: Path) -> bool:
    return not any(part.startswith(".") for part in folder.relative_to(root).parts)


def label_runs(runs: list[RunInfo]) -> list[RunInfo]:
    """Give each run a unique short label: its scenario; where scenarios repeat, ``@seed=``;
    where that repeats too, the folder name (or the position in the list if folder names repeat,
    e.g. job ``0_baseline`` of two sweeps)."""
    labels = [r.scenario or r.run_id for r in runs]
    if len(set(labels)) < len(labels):
        labels = [
            f"{lab}@seed={r.seed}" if labels.count(lab) > 1 else lab
            for lab, r in zip(labels, runs, strict=True)
        ]
    out = list(labels)
    for lab in {x for x in labels if labels.count(x) > 1}:
        group = [i for i, x in enumerate(labels) if x == lab]
        names = [runs[i].path.name for i in group]
        unique = len(set(names)) == len(names)
        for i, name in zip(group, names, strict=True):
            out[i] = f"{lab} [{name}]" if unique else f"{lab} #{i}"
    return [RunInfo(r.path, r.manifest, lab) for r, lab in zip(runs, out, strict=True)]


def sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(runs: list[RunInfo], skip_parts: tuple[str, ...] = ()) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database with the view ``results`` over the runs' Parquet files.

    Runs without result files contribute no rows. The scenario comes from the hive partition and
    is always text (``hive_types``), even when a scenario is named like a number. ``skip_parts``
    leaves out result files by part name (e.g. ``population_samples``: millions of rows that a
    reader of quantiles never needs to scan).
    """
    con = duckdb.connect()
    parts = []
    for i, run in enumerate(runs):
        files = [f for f in run.files if f.stem not in skip_parts]
        if not files:
            continue
        listed = ", ".join(sql_str(str(f)) for f in files)
        # Old run folders have no variant column (their variant is in the scenario partition).
        has_variant = any("variant" in pq.read_schema(f).names for f in files)
        parts.append(
            f"SELECT {i}::INTEGER AS run, "
            f"* EXCLUDE (scenario{', variant' if has_variant else ''}), "
            f"scenario::VARCHAR AS raw_scenario, "
            f"{'variant' if has_variant else 'NULL'}::VARCHAR AS raw_variant "
            f"FROM read_parquet([{listed}], hive_partitioning = true, "
            f"hive_types = {{'scenario': VARCHAR}}, union_by_name = true)"
        )
    if not parts:  # an empty view with the results columns
        parts.append(
            "SELECT NULL::INTEGER AS run, NULL::VARCHAR AS model, NULL::VARCHAR AS run_id, "
            "NULL::INTEGER AS replicate, NULL::VARCHAR AS district, NULL::INTEGER AS year, "
            "NULL::TINYINT AS month, NULL::VARCHAR AS variable, NULL::VARCHAR AS unit, "
            "NULL::VARCHAR AS statistic, NULL::DOUBLE AS quantile, NULL::DOUBLE AS value, "
            "NULL::VARCHAR AS raw_scenario, NULL::VARCHAR AS raw_variant WHERE false"
        )
    con.execute(
        "CREATE VIEW results AS SELECT * EXCLUDE (raw_scenario, raw_variant), "
        "split_part(raw_scenario, '+', 1) AS scenario, split_part(raw_scenario, '+', 1) AS base, "
        "coalesce(nullif(raw_variant, ''), split_part(raw_scenario, '+', 2), '') AS variant "
        "FROM (" + " UNION ALL ".join(parts) + ")"
    )
    return con


ABM_ANNUAL_COST = f"""
    SELECT run, variant, year, replicate, sum(value) AS v FROM results
    WHERE model = 'abm' AND statistic = 'sample' AND variable = '{ABM["Cost"].name(hilfeart="Total")}'
          AND district = '{CITY_DISTRICT}'
    GROUP BY ALL HAVING count(*) = 12
"""
"""SQL over the ``results`` view: the ABM's city cost per run, service model, budget year and
replicate (column ``v``, EUR nominal). A year's cost is the sum of its 12 months; a year the
simulation covers only in part (fewer than 12 monthly rows of a replicate) has no annual cost."""

ABM_MEASURES: dict[str, str] = {
    "cost": "EUR per year, nominal",
    "cases": "Fallzahl (running at 31.12. + ended during the year)",
    "stationary": "share of running helps other than § 28 in §§ 33, 34 at 31.12.",
}
"""The ABM's budget-year measures of ``ABM_ANNUAL_MEASURES`` and their units."""

ABM_ANNUAL_MEASURES = f"""
    WITH s AS (
        SELECT run, variant, year, replicate, variable, month, value FROM results
        WHERE model = 'abm' AND statistic = 'sample' AND district = '{CITY_DISTRICT}'
    ),
    y AS (
        SELECT run, variant, year, replicate,
               CASE WHEN count(*) FILTER (variable = '{_COST}') = 12
                    THEN sum(value) FILTER (variable = '{_COST}') END AS cost,
               CASE WHEN count(*) FILTER (variable = '{_ENDED}') = 12
                    THEN sum(value) FILTER (variable = '{_ENDED}')
                         + max(value) FILTER (variable = '{_RUNNING}' AND month = 12) END AS cases,
               max(value) FILTER (variable = '{_STATIONARY}' AND month = 12) AS stationary
        FROM s GROUP BY ALL
    )
    SELECT run, variant, year, replicate, measure, value
    FROM y UNPIVOT (value FOR measure IN (cost, cases, stationary))
    WHERE value IS NOT NULL
"""
"""SQL over the ``results`` view: the ABM's city measures per run, service model, budget year
and replicate (columns measure, value; ``ABM_MEASURES``). Cost is the sum of the year's 12
months; the Fallzahl (HzE statistics convention) is the helps running at the end of December plus
those ended during the year; the stationary share is December's. A year the simulation covers
only in part has no cost and no Fallzahl; runs written before these samples existed have cost
only."""
