"""Benchmark: per-district figures drawn on demand from a finished run (``draw_district_figures``).

Builds the synthetic city of N districts (``benchmarks/synthetic_city.py``, seed 1), runs
``python -m simulation.cli run city.data_dir=CITY run_root=RUNS 'pipeline.stages=[population,kita]'``
with default settings (or takes ``--run RUN_DIR``), then times in this process:

* ``1 district``: one call for one district, as ``jhplan report RUN_DIR --district CODE`` makes it
  (reading and checking the city's population file for the register history included);
* ``k districts``: one call for ``--sample`` districts, and the seconds per district;
* the same with the city already loaded (as the pipeline would call it at the end of a run);
* the parts: the register history, reading the results' rows (the rest is drawing the PNGs).

The stage's own figure time for comparison is in the run's manifest (``wall_time_s``). Prints
figures; not a test. Run::

    .venv/bin/python benchmarks/bench_district_figures.py [--districts 450] [--sample 20]
        [--run RUN_DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from synthetic_city import make_city  # noqa: E402

from forecast.citydata import load_city  # noqa: E402
from simulation.district_figures import draw_district_figures  # noqa: E402
from simulation.district_figures_data import (  # noqa: E402
    RunResults,
    district_names,
    register_history,
)


def make_run(folder: Path, n: int) -> Path:
    """The synthetic city of ``n`` districts and a population + Kita run on it (default settings)."""
    make_city(folder / "city", n, seed=1)
    cmd = [
        sys.executable,
        "-m",
        "simulation.cli",
        "run",
        f"city.data_dir={folder / 'city'}",
        f"run_root={folder / 'runs'}",
        "pipeline.stages=[population,kita]",
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    print(f"jhplan run on {n} districts: {time.perf_counter() - t0:.1f} s")
    (run,) = [p for p in (folder / "runs").iterdir() if not p.name.startswith(".")]
    return run


def timed(label: str, fn, per: int = 1):
    t0 = time.perf_counter()
    out = fn()
    s = time.perf_counter() - t0
    print(f"{label:<52} {s:8.2f} s" + (f"   {s / per:6.2f} s per district" if per > 1 else ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--districts", type=int, default=450)
    parser.add_argument("--sample", type=int, default=20, help="districts in the batch timing")
    parser.add_argument("--run", type=Path, default=None, help="an existing run folder")
    parser.add_argument("--keep", type=Path, default=None, help="build the run here, keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        run = args.run or make_run(work, args.districts)
        manifest = json.loads((run / "manifest.json").read_text())
        codes = manifest["city"]["districts"]
        stage_s = manifest.get("wall_time_s", {})
        print(
            f"run {run.name}: {len(codes)} districts, draws {manifest['draws']}, stages {stage_s}"
        )
        out = Path(tmp) / "figures"
        sample = codes[:: max(1, len(codes) // args.sample)][: args.sample]
        timed(
            "draw_district_figures, 1 district", lambda: draw_district_figures(run, codes[:1], out)
        )
        timed(
            f"draw_district_figures, {len(sample)} districts",
            lambda: draw_district_figures(run, sample, out),
            per=len(sample),
        )
        city = timed(
            "  load_city (the pipeline has it already)",
            lambda: load_city(manifest["city"]["data_dir"]),
        )
        timed(
            f"draw_district_figures, {len(sample)} districts, city loaded",
            lambda: draw_district_figures(run, sample, out, city=city),
            per=len(sample),
        )
        timed(
            f"  part: register history of {len(sample)} districts (population file)",
            lambda: register_history(manifest, None, sample),
        )
        results = RunResults(run, sample)
        names = district_names(manifest, city)
        timed(
            f"  part: read population rows of {len(sample)} districts",
            lambda: results.population(names, {}, ""),
            per=len(sample),
        )
        timed(
            f"  part: read Kita rows of {len(sample)} districts",
            lambda: results.kita(names),
            per=len(sample),
        )
        timed(
            "  part: draw_district_figures, _city only, city loaded",
            lambda: draw_district_figures(run, ["_city"], out, city=city),
        )


if __name__ == "__main__":
    main()
