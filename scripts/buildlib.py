"""What the data-building scripts share: the repository root, the ``--shared`` argument, tables.

The scripts run as ``python scripts/<name>.py``; importing this module also puts the repository
root on ``sys.path`` so that they can import ``forecast``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from forecast.contract import CONTRACT  # noqa: E402


def shared_data_folder(description: str, holding: str, argv: list[str] | None = None) -> Path:
    """The ``--shared`` argument: the shared data folder (default ``../shared/data``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help=f"the shared data folder (holding {holding})",
    )
    return parser.parse_args(argv).shared


def write_table(df: pd.DataFrame, folder: Path, stem: str, parquet: bool = False) -> str:
    """Write one contract file (contract column order); returns a line for the log."""
    cols = list(CONTRACT[stem].column_names)
    if parquet:
        path = folder / f"{stem}.parquet"
        df[cols].to_parquet(path, index=False, compression="zstd")
    else:
        path = folder / f"{stem}.csv"
        df[cols].to_csv(path, index=False, na_rep="", lineterminator="\n")
    return f"{path.relative_to(REPO)} ({path.stat().st_size:,} bytes, {len(df):,} rows)"
