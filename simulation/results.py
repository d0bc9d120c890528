"""The results schema of a run: one long table, hive-partitioned Parquet by scenario.

Columns (DESIGN.md "Outputs of a run"): model, scenario, variant (the ABM's service model,
``classic`` or e.g. ``sozialraum``; null for every other model), run_id, replicate (draw index; -1
for summary and deterministic rows), district (``_city`` for the whole city), year, month (0 for annual),
variable (pipe-separated, e.g. ``Population|f|3``), unit, statistic (value, sample, mean,
quantile), quantile (null unless statistic = quantile), value (float64). Variables, units and
quantile levels come from ``forecast.variables``.

Run folders written before the ``variant`` column kept the ABM's service model in the scenario
partition (``scenario=<s>+classic``); ``read_results`` (and ``simulation.rundb``) split such a
partition into scenario and variant, so old and new runs read and compare alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("scenario", pa.string()),
        ("variant", pa.string()),
        ("run_id", pa.string()),
        ("replicate", pa.int32()),
        ("district", pa.string()),
        ("year", pa.int32()),
        ("month", pa.int8()),
        ("variable", pa.string()),
        ("unit", pa.string()),
        ("statistic", pa.string()),
        ("quantile", pa.float64()),
        ("value", pa.float64()),
    ]
)
COLUMNS = tuple(SCHEMA.names)
RESULTS_DIR = "results"
SAMPLES_PART = "population_samples"
"""The part of the population draws' samples (``statistic = sample``): its own file, so that
readers of quantiles (the report) need not scan its many rows."""
# What the writer hands to Parquet: text as dictionaries (codes + labels), written without the
# Arrow schema, so readers see SCHEMA (plain strings) and millions of rows need no string each.
_WRITTEN = pa.schema(
    [
        pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.type == pa.string() else f
        for f in SCHEMA
        if f.name != "scenario"
    ]
)


def to_results(
    long: pd.DataFrame,
    model: str,
    scenario: str,
    run_id: str,
    replicate: int = -1,
    statistic: str = "value",
    variant: str | None = None,
) -> pd.DataFrame:
    """Complete a library long table (district, year, variable, unit, value[, month, quantile]).

    ``variant`` is the ABM's service model (``classic``, ``sozialraum``, ...); None elsewhere.
    """
    frame = long.copy()
    frame["model"] = model
    frame["scenario"] = scenario
    frame["variant"] = variant
    frame["run_id"] = run_id
    defaults = {
        "replicate": replicate,
        "month": 0,
        "statistic": statistic,
        "quantile": float("nan"),
    }
    for column, value in defaults.items():
        if column not in frame.columns:
            frame[column] = value
    missing = set(COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"results lack columns {sorted(missing)}")
    return frame[list(COLUMNS)]


def band_rows(
    stats: dict[str, np.ndarray],
    units: dict[str, str],
    codes: list[str],
    years: np.ndarray,
    levels: tuple[float, ...],
) -> pd.DataFrame:
    """Long rows of per-area statistics: ``value`` rows (one trajectory, shape (1, Y, C)) or one
    ``quantile`` row per level (shape (len(levels), Y, C)); ``codes`` names the C areas. NaN and
    infinite cells are left out (e.g. a gap where no places are known)."""
    years = np.asarray(years, dtype=int)
    frames = []
    for variable, x in stats.items():
        rows = [(np.nan, x[0])] if x.shape[0] == 1 else list(zip(levels, x, strict=True))
        for q, values in rows:
            frame = pd.DataFrame(
                {
                    "district": np.tile(codes, len(years)),
                    "year": np.repeat(years, len(codes)),
                    "variable": variable,
                    "unit": units[variable],
                    "value": values.ravel(),
                    "statistic": "value" if np.isnan(q) else "quantile",
                    "quantile": q,
                }
            )
            frames.append(frame[np.isfinite(frame["value"])])
    return pd.concat(frames, ignore_index=True)


class ResultsWriter:
    """Rows of one part written in pieces: ``run_dir/results/scenario=<s>/<part>.parquet``.

    Each ``write`` appends one row group per scenario, so a part of many rows (the draws of a
    large city) is written without holding it all in memory. Strings are dictionary-encoded (the
    dictionaries are handed to Parquet as they are, not re-hashed) and the file is
    zstd-compressed; readers see one table per file, with the columns of ``SCHEMA``.
    """

    def __init__(self, run_dir: Path, part: str):
        self.run_dir, self.part = Path(run_dir), part
        self._writers: dict[str, pq.ParquetWriter] = {}
        self.paths: list[Path] = []
        self.rows = 0

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def write(self, frame: pd.DataFrame) -> None:
        for scenario, rows in frame.groupby("scenario", sort=True):
            table = pa.Table.from_pandas(rows[list(COLUMNS)], schema=SCHEMA, preserve_index=False)
            self._append(scenario, table.drop(["scenario"]).cast(_WRITTEN))

    def _append(self, scenario: str, table: pa.Table) -> None:
        writer = self._writers.get(scenario)
        if writer is None:
            target = self.run_dir / RESULTS_DIR / f"scenario={scenario}" / f"{self.part}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise FileExistsError(f"{target} already written")
            writer = pq.ParquetWriter(target, _WRITTEN, compression="zstd", store_schema=False)
            self._writers[scenario] = writer
            self.paths.append(target)
        writer.write_table(table)
        self.rows += table.num_rows

    def write_columns(self, scenario: str, n_rows: int, columns: dict) -> None:
        """Append rows given as columns (``coded_table``) to ``scenario``'s file."""
        self._append(scenario, coded_table(n_rows, columns))

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def coded_table(n_rows: int, columns: dict) -> pa.Table:
    """A results table (``SCHEMA`` without ``scenario``) built from numpy columns, fast.

    Each column is a numpy array of ``n_rows``, a scalar (the same in every row; None = null) or,
    for text, a pair (int codes, labels). Text stays a dictionary in Arrow (``_WRITTEN``), so
    millions of rows are written without a Python string per row; readers see plain strings.
    """

    def text(codes: np.ndarray, labels) -> pa.Array:
        return pa.DictionaryArray.from_arrays(
            pa.array(np.asarray(codes, dtype=np.int32)), pa.array(list(labels), pa.string())
        )

    arrays = []
    for field in SCHEMA:
        if field.name == "scenario":
            continue
        value = columns.get(field.name)
        if isinstance(value, tuple):
            arrays.append(text(*value))
        elif isinstance(value, np.ndarray):
            arrays.append(pa.array(value, field.type, from_pandas=True))  # NaN -> null
        elif value is None:
            arrays.append(pa.nulls(n_rows, field.type))
        elif field.type == pa.string():
            arrays.append(text(np.zeros(n_rows, dtype=np.int32), [value]))
        else:
            arrays.append(pa.array(np.full(n_rows, value), field.type))
    return pa.Table.from_arrays(arrays, schema=_WRITTEN)


def write_results(frame: pd.DataFrame, run_dir: Path, part: str) -> list[Path]:
    """Write rows into ``run_dir/results/scenario=<s>/<part>.parquet``, one file per scenario."""
    with ResultsWriter(run_dir, part) as writer:
        writer.write(frame)
    return writer.paths


def read_results(run_dir: Path | str) -> pd.DataFrame:
    """All results of a run folder as one frame (scenario restored from the partition path).

    Reads old run folders too: a partition ``scenario=<s>+<v>`` without a ``variant`` column
    gives scenario ``<s>`` and variant ``<v>``.
    """
    frames = []
    for path in sorted((Path(run_dir) / RESULTS_DIR).glob("scenario=*/*.parquet")):
        frame = pq.read_table(path).to_pandas()
        scenario = path.parent.name.removeprefix("scenario=")
        if "variant" not in frame.columns:  # written before the variant column
            scenario, _, variant = scenario.partition("+")
            frame["variant"] = variant or None
        frame["scenario"] = scenario
        frames.append(frame[list(COLUMNS)])
    if not frames:
        return SCHEMA.empty_table().to_pandas()
    return pd.concat(frames, ignore_index=True)
