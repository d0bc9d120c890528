"""Benchmark: ``jhplan check-data`` on synthetic cities of N districts (wall time, peak memory).

For each N of ``--districts`` the synthetic city with the full input contract
(``benchmarks/synthetic_city.py``: population, births, deaths, migration, moves, housing, Kita,
HzE, social; 2,000 districts are 16.6 M rows, 328 MiB of CSV) is built once (in ``--cities DIR``
if given, reused when already there) and the real command runs ``--repeat`` times as a fresh
subprocess::

    python -m simulation.cli check-data CITY

Printed per N: rows and MiB of the city's files, the median and the range of the wall time, and
its CPU time (user + system, all threads: a figure a busy machine
changes less than the wall time), the peak resident memory of the check-data process (``ru_maxrss`` of ``RUSAGE_CHILDREN``, read in
a fresh worker process per run so that it is that run's alone). Prints figures; not a test.

Run::

    .venv/bin/python benchmarks/bench_check_data.py [--districts 200,2000] [--repeat 3]
        [--cities /tmp/cities]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic_city import make_city  # noqa: E402

MIB = 2**20


def city_folder(cities: Path, n: int) -> Path:
    """The synthetic city of ``n`` districts under ``cities``, built if it is not there yet."""
    folder = cities / f"city{n}"
    if not (folder / "city.yaml").is_file():
        make_city(folder, n)
    return folder


def one_run(city: Path) -> dict:
    """Time one ``check-data`` in a fresh worker, so that RUSAGE_CHILDREN is this run's peak."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "t0 = time.perf_counter()\n"
        f"res = subprocess.run([sys.executable, '-m', 'simulation.cli', 'check-data', {str(city)!r}],"
        " capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t0\n"
        "use = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "peak, cpu = use.ru_maxrss * 1024, use.ru_utime + use.ru_stime\n"
        "print(json.dumps({'wall': wall, 'cpu': cpu, 'peak': peak, 'exit': res.returncode,"
        " 'out': res.stdout.splitlines()[:1]}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", default="200,2000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cities", type=Path, default=None, help="keep the cities here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cities = args.cities or Path(tmp)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(
            "| districts | rows | CSV MiB | wall s (median, min-max) | CPU s | peak RSS MiB | exit |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for n in (int(x) for x in args.districts.split(",")):
            city = city_folder(cities, n)
            size = sum(f.stat().st_size for f in city.glob("*.csv"))
            rows = sum(sum(1 for _ in f.open("rb")) - 1 for f in city.glob("*.csv"))
            runs = [one_run(city) for _ in range(args.repeat)]
            walls = [r["wall"] for r in runs]
            peak = max(r["peak"] for r in runs)
            print(
                f"| {n:,} | {rows:,} | {size / MIB:,.0f} | {statistics.median(walls):.1f} "
                f"({min(walls):.1f}-{max(walls):.1f}) | "
                f"{statistics.median(r['cpu'] for r in runs):.1f} | {peak / MIB:,.0f} | "
                f"{','.join(str(r['exit']) for r in runs)} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
