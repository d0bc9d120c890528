"""Build the real-data validation beds ``validation/data/<bed>/`` for district projections.

Three city folders in the input contract, for rolling-origin backtests of small-area methods:

* ``konstanz_stadtteile``: Konstanz, 14 Stadtteile (Petershausen-West and -Ost merged),
  1987-2025. District totals exact (register), city pyramid exact or corrected for secondary
  residences, district age structure by IPF (``scripts/build_konstanz.py``).
* ``konstanz_stadtteile15``: the same for the 15 Stadtteile of today, 1994-2025.
* ``laender``: Germany with the 16 Länder as districts, 1990-2022, real single-age structure per
  Land (Destatis 12411-0012); the sex split and the ages 90..100 are estimates.

Reads only ``validation/data/raw/`` (copies of the public files, see ``raw/SOURCES.md``);
``--refresh-raw PATH`` copies them again from a folder laid out like ``/work/shared/data``.
Running the script twice gives byte-identical files. Every choice is explained in the README of
each bed, which this script writes together with the data.

Usage:
    python scripts/build_validation_beds.py [--refresh-raw PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from beds_common import check_raw, refresh_raw  # noqa: E402
from beds_konstanz import K_BEDS, build_konstanz_bed  # noqa: E402
from beds_laender import build_laender  # noqa: E402

# --- top level ----------------------------------------------------------------------------------


def main() -> None:
    """Build every bed (and optionally refresh the raw copies first)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--refresh-raw",
        type=Path,
        metavar="PATH",
        help="copy the raw inputs from PATH (laid out like /work/shared/data) before building",
    )
    args = parser.parse_args()
    if args.refresh_raw is not None:
        refresh_raw(args.refresh_raw)
    check_raw()
    for bed, spec in K_BEDS.items():
        build_konstanz_bed(bed, spec)
    build_laender()


if __name__ == "__main__":
    main()
