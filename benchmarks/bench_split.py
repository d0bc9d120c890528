"""Benchmark: one job against its draws split into part runs and joined by ``jhplan merge``.

Runs, one after the other in fresh processes (as the tasks of a cluster job array would run)::

    jhplan run CITY draws=D STAGES                       # one job
    jhplan run CITY draws=D STAGES draws_part=K/N        # for K = 0 .. N-1
    jhplan merge PARTS... --name merged

and prints wall time, CPU time (user + sys) and peak RSS of each process (``os.wait4``), the size
of each run folder, and whether the merged results equal the one job's (Parquet tables compared
file by file without the ``run_id`` column). Prints figures; not a test. Run::

    .venv/bin/python benchmarks/bench_split.py CITY_DIR [--draws 400] [--parts 2]
        [--stages population,kita,hze] [--set KEY=VALUE ...] [--keep DIR]

e.g. on ``benchmarks/synthetic_city.py OUT --districts 150`` (README, "Large cities").
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """Run ``python -m simulation.cli ARGS``: (wall s, CPU s, peak RSS MiB); exits on failure."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: jhplan {' '.join(args)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def same_results(one: Path, merged: Path) -> bool:
    for path in sorted((one / "results").rglob("*.parquet")):
        other = merged / path.relative_to(one)
        a, b = (pq.read_table(p).drop(["run_id"]) for p in (path, other))
        if not a.equals(b):  # rows in the same order unless a stage orders them otherwise
            a, b = (t.sort_by([(c, "ascending") for c in t.column_names]) for t in (a, b))
            if not a.equals(b):
                return False
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("city", type=Path)
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--stages", default="population,kita,hze")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run folders here")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-split-"))
    common = [
        f"city.data_dir={args.city.resolve()}",
        f"draws={args.draws}",
        "scenario=bench",
        f"pipeline.stages=[{args.stages}]",
        "district_figures=none",
        *args.set,
    ]
    print(f"load average {os.getloadavg()[0]:.2f}; {args.draws} draws, {args.parts} parts")
    print(f"{'run':<10} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'folder MB':>10}")
    rows = []
    wall, cpu, rss = timed(["run", *common, f"run_root={work / 'one'}"], ROOT)
    (one,) = (work / "one").iterdir()
    rows.append(("one job", wall, cpu, rss, size_mb(one)))
    for k in range(args.parts):
        root = work / f"part{k}"
        wall, cpu, rss = timed(
            ["run", *common, f"run_root={root}", f"draws_part={k}/{args.parts}"], ROOT
        )
        (part,) = root.iterdir()
        rows.append((f"part {k}/{args.parts}", wall, cpu, rss, size_mb(part)))
    parts = [str(next((work / f"part{k}").iterdir())) for k in range(args.parts)]
    merged = work / "merged"
    wall, cpu, rss = timed(["merge", *parts, "--name", str(merged)], ROOT)
    rows.append(("merge", wall, cpu, rss, size_mb(merged)))
    for name, wall, cpu, rss, mb in rows:
        print(f"{name:<10} {wall:>8.1f} {cpu:>8.1f} {rss:>9,.0f} {mb:>10,.0f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    print("merged results equal the one job's:", same_results(one, merged))
    if args.keep is None:
        print(f"run folders in {work} (delete when done)")


if __name__ == "__main__":
    main()
