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


def write_results(frame: pd.DataFrame, run_dir: Path, part: str) -> list[Path]:
    """Write rows into ``run_dir/results/scenario=<s>/<part>.parquet``, one file per scenario."""
    written = []
    for scenario, rows in frame.groupby("scenario", sort=True):
        table = pa.Table.from_pandas(rows[list(COLUMNS)], schema=SCHEMA, preserve_index=False)
        target = Path(run_dir) / RESULTS_DIR / f"scenario={scenario}" / f"{part}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(f"{target} already written")
        pq.write_table(table.drop(["scenario"]), target, compression="zstd")
        written.append(target)
    return written


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
