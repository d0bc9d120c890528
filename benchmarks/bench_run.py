"""Benchmark: the whole ``jhplan run`` on synthetic cities of N districts (metropolitan scale).

For each N of ``--districts`` a fresh worker process builds the synthetic city
(``benchmarks/synthetic_city.py``, the full input contract) in a temporary folder and runs the
real command as a subprocess::

    python -m simulation.cli run city.data_dir=CITY run_root=RUNS draws=D \\
        'pipeline.stages=[population,kita,hze,abm,report]'

and prints one row per N: wall time per stage (``wall_time_s`` of the run's ``manifest.json``),
``other`` (the total minus the stages: start-up, imports, reading and validating the city,
writing the manifest), the total wall time, peak memory, and what the run wrote under
``results/`` (Parquet rows, MiB) and ``figures/`` (PNG files, MiB). Prints figures; not a test.

Peak memory, two ways: ``ru_maxrss`` of ``RUSAGE_CHILDREN`` read by the worker after the run (the
worker is fresh per N, so it is that run's: the largest single process of the tree, joblib
workers included once reaped), and the largest sum of the resident sets of the whole process
tree, sampled from ``/proc`` every 0.2 s (misses peaks shorter than that).

``--check-data-only`` times ``python -m simulation.cli check-data CITY`` instead (the issue
names 34 s and 3 GB for 2,000 districts). Run::

    .venv/bin/python benchmarks/bench_run.py [--districts 50,150,450,1500] [--draws 1000]
        [--stages population,kita,hze,abm,report] [--set n_jobs=2 ...] [--check-data-only]
        [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from synthetic_city import make_city  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20


def tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc (0 if it is gone)."""
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        frontier = [p for p, pp in parent.items() if pp in frontier and p not in tree]
        tree.update(frontier)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            pass
    return total


def timed_run(cmd: list[str], log: Path) -> dict:
    """Run ``cmd`` from the repository root; wall time, exit code and peak memory."""
    env = {**os.environ, "JHPLAN_PROGRESS": "off"}
    peak = [0]
    with log.open("w") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
    return {
        "exit": code,
        "wall_s": wall,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "tree_rss_mib": peak[0] / MIB,
    }


def output_sizes(run: Path) -> dict:
    """Parquet rows and bytes under results/, PNG files and bytes under figures/, all bytes."""
    parquet = list((run / "results").rglob("*.parquet"))
    pngs = list((run / "figures").rglob("*.png"))
    return {
        "results_rows": sum(pq.ParquetFile(f).metadata.num_rows for f in parquet),
        "results_mib": sum(f.stat().st_size for f in parquet) / MIB,
        "pngs": len(pngs),
        "figures_mib": sum(f.stat().st_size for f in pngs) / MIB,
        "run_mib": sum(f.stat().st_size for f in run.rglob("*") if f.is_file()) / MIB,
    }


def worker(n: int, args: argparse.Namespace, base: Path) -> dict:
    """Build the city of ``n`` districts under ``base`` and time one command on it."""
    city, runs = base / f"city_{n}", base / f"runs_{n}"
    t0 = time.perf_counter()
    rows = make_city(city, n, seed=args.seed)
    result = {
        "districts": n,
        "generate_s": time.perf_counter() - t0,
        "input_rows": sum(rows.values()),
        "input_mib": sum(f.stat().st_size for f in city.iterdir()) / MIB,
    }
    cli = [sys.executable, "-m", "simulation.cli"]
    if args.check_data_only:
        cmd = [*cli, "check-data", str(city)]
    else:
        stages = ",".join(s.strip() for s in args.stages.split(","))
        cmd = [
            *cli,
            "run",
            f"city.data_dir={city}",
            f"run_root={runs}",
            f"draws={args.draws}",
            f"pipeline.stages=[{stages}]",
            *args.set,
        ]
    log = base / f"log_{n}.txt"
    result.update(timed_run(cmd, log))
    text = log.read_text(errors="replace").strip().splitlines()
    result["last_line"] = text[-1] if text else ""
    manifests = list(runs.glob("*/manifest.json"))
    if not args.check_data_only and result["exit"] == 0 and len(manifests) == 1:
        stage_s = json.loads(manifests[0].read_text(encoding="utf-8")).get("wall_time_s", {})
        result["stage_s"] = stage_s
        result["other_s"] = result["wall_s"] - sum(stage_s.values())
        result.update(output_sizes(manifests[0].parent))
    elif result["exit"] != 0:
        result["log_tail"] = text[-15:]
    return result


def print_table(results: list[dict], check_only: bool) -> None:
    stages = list(dict.fromkeys(s for r in results for s in r.get("stage_s", {})))
    head = ["N", "in rows", "in MiB", "gen s"]
    if check_only:
        head += ["check s", "exit", "maxrss MiB", "tree MiB"]
    else:
        head += [*(f"{s} s" for s in stages), "other s", "total s", "maxrss MiB", "tree MiB"]
        head += ["res rows", "res MiB", "PNGs", "fig MiB", "run MiB"]
    rows = []
    for r in results:
        row = [f"{r['districts']:,}", f"{r['input_rows']:,}", f"{r['input_mib']:.0f}"]
        row.append(f"{r['generate_s']:.1f}")
        if check_only:
            row += [f"{r['wall_s']:.1f}", str(r["exit"])]
        elif "stage_s" in r:
            row += [f"{r['stage_s'].get(s, float('nan')):.1f}" for s in stages]
            row += [f"{r['other_s']:.1f}", f"{r['wall_s']:.1f}"]
        else:
            row += ["-"] * len(stages) + ["-", f"{r['wall_s']:.1f} (exit {r['exit']})"]
        row += [f"{r['maxrss_mib']:.0f}", f"{r['tree_rss_mib']:.0f}"]
        if not check_only:
            sizes = ("results_rows", "results_mib", "pngs", "figures_mib", "run_mib")
            row += [f"{r[k]:,.0f}" if k in r else "-" for k in sizes]
        rows.append(row)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    for line in (head, *rows):
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    for r in results:
        print(f"N={r['districts']}: {r['last_line']}")
        for line in r.get("log_tail", []):
            print(f"    {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", default="50,150,450,1500", help="comma-separated N")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--stages", default="population,kita,hze,abm,report")
    parser.add_argument("--check-data-only", action="store_true")
    parser.add_argument(
        "--set", action="append", default=[], help="extra override, e.g. --set n_jobs=2"
    )
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the synthetic city")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:  # one N in a fresh process: RUSAGE_CHILDREN is this run's only
        print(json.dumps(worker(args.worker, args, args.base)))
        return
    what = "check-data" if args.check_data_only else f"run, draws={args.draws}, [{args.stages}]"
    what += "".join(f" {s}" for s in args.set)
    print(f"jhplan {what}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="jhplan-bench-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        for n in (int(v) for v in args.districts.split(",")):
            cmd = [sys.executable, __file__, *sys.argv[1:], "--worker", str(n), "--base", str(base)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"N={n}: worker failed\n{done.stderr[-3000:]}")
                continue
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"N={n}: done in {results[-1]['wall_s']:.1f} s", flush=True)
    print_table(results, args.check_data_only)


if __name__ == "__main__":
    main()
