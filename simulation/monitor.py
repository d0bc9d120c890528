"""``jhplan monitor BASELINE_RUN --data DIR``: the Wirkungsmonitor of a reform.

BASELINE_RUN is a run made with ``hze.reform_start=YYYY-MM`` and the stage ``social``: its HzE
model saw the history up to the year before the start, and its ``Kennzahl|...`` bands are what
the classic system would have produced since. DIR is the city's data folder with the years since
the start. For every year since the start, per Wirkungsraum and the city, the monitor compares the
observed Kennzahlen with the band (``forecast.social.monitor``), with the city's ``peers`` file a
difference-in-differences as a second estimate, and it gives the minimum detectable effect after
1, 2, 3 and 5 years. Output: a new folder (never a run's; ``simulation.rundir``) with
``monitor.parquet``, ``mde.parquet``, ``did.parquet`` (with peers), ``monitor.html`` (German),
``monitor.xlsx`` and ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from forecast.citydata import load_city
from forecast.contract import CITY_DISTRICT
from forecast.social.kennzahlen import observed_kennzahlen
from forecast.social.monitor import (
    compare_to_band,
    difference_in_differences,
    minimum_detectable_effect,
)
from simulation.abm.inputs import wirkungsraeume
from simulation.config_hze import reform_year
from simulation.results import read_results
from simulation.rundir import now_iso, open_run_folder, sha256_files

PREFIX = "Kennzahl|"
MONITORED = (
    "Eckwert|HzE",
    "Eckwert|Ambulant",
    "Eckwert|Stationary",
    "Stationary share",
    "Ambulant per stationary",
    "New cases",
    "Mean duration",
)
"""The Kennzahlen an observed ``hze_cases`` file gives (no costs), in the order shown."""


@dataclass(frozen=True)
class MonitorResult:
    """What the monitor found: the band comparison, the MDE, the difference-in-differences."""

    start: str
    start_year: int
    table: pd.DataFrame
    mde: pd.DataFrame
    did: pd.DataFrame | None
    alpha: float
    power: float
    city: str
    units: dict[str, str]


def baseline_band(run_dir: Path) -> tuple[pd.DataFrame, dict]:
    """The counterfactual quantiles of the Kennzahlen of a baseline run, and its manifest.

    Raises:
        ValueError: the run has no ``hze.reform_start`` or no Kennzahl bands (stage social).
    """
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    start = manifest.get("config", {}).get("hze", {}).get("reform_start")
    if not start:
        raise ValueError(
            f"{run_dir}: not a baseline run of the monitor: run it with hze.reform_start=YYYY-MM "
            "(and the stage social), e.g. jhplan run hze.reform_start=2025-10 "
            "'pipeline.stages=[population,hze,social,report]'"
        )
    res = read_results(run_dir)
    rows = res[
        (res["model"] == "social")
        & res["variable"].str.startswith(PREFIX)
        & (res["statistic"] == "quantile")
    ]
    if rows.empty:
        raise ValueError(f"{run_dir}: no Kennzahl bands: the run lacks the stage social")
    band = pd.DataFrame(
        {
            "unit": rows["district"].to_numpy(),
            "kennzahl": rows["variable"].str.slice(len(PREFIX)).to_numpy(),
            "year": rows["year"].astype(int).to_numpy(),
            "quantile": rows["quantile"].astype(float).to_numpy(),
            "value": rows["value"].to_numpy(float),
        }
    )
    return band, manifest


def run_monitor(run_dir: Path, data_dir: Path, alpha: float = 0.1, power: float = 0.8):
    """The monitor's tables for a baseline run and a city folder (see the module docstring)."""
    band, manifest = baseline_band(run_dir)
    start = str(manifest["config"]["hze"]["reform_start"])
    start_year = reform_year(start)
    city = load_city(data_dir)
    groups = wirkungsraeume(city)
    codes = city.district_codes
    members = {w: [codes.index(d) for d in ds] for w, ds in groups.items()}
    observed = observed_kennzahlen(city, members)
    shown = [*groups, CITY_DISTRICT]  # Wirkungsräume and the city (districts: too small)
    observed = observed[observed["unit"].isin(shown) & observed["kennzahl"].isin(MONITORED)]
    band = band[band["unit"].isin(shown) & band["kennzahl"].isin(MONITORED)]
    since = observed[observed["year"] >= start_year]
    table = compare_to_band(band, since, alpha)
    if table.empty:
        raise ValueError(
            f"{data_dir}: no observed hze_cases year from {start_year} on that the baseline "
            "run forecast: nothing to monitor yet"
        )
    mde = minimum_detectable_effect(band, start_year, alpha, power)
    did = None
    if city.has("peers"):
        own = observed[observed["unit"] == CITY_DISTRICT][["kennzahl", "year", "observed"]]
        did = difference_in_differences(own, city.table("peers"), start_year, alpha)
    names = {w: w for w in groups} | {CITY_DISTRICT: city.name}
    return city, MonitorResult(start, start_year, table, mde, did, alpha, power, city.name, names)


def monitor_command(argv: list[str]) -> int:
    """``jhplan monitor BASELINE_RUN --data DIR [--out DIR] [--alpha A] [--power P]``."""
    parser = argparse.ArgumentParser(
        prog="jhplan monitor",
        description="Wirkungsmonitor: observed Kennzahlen since a reform's start against the "
        "baseline run's counterfactual band.",
    )
    parser.add_argument("baseline", type=Path, help="run made with hze.reform_start=YYYY-MM")
    parser.add_argument("--data", type=Path, required=True, help="city folder with the new years")
    parser.add_argument("--out", type=Path, default=None, help="new output folder")
    parser.add_argument("--alpha", type=float, default=0.1, help="error rate of a flag (0.1)")
    parser.add_argument("--power", type=float, default=0.8, help="power of the MDE (0.8)")
    args = parser.parse_args(argv)
    from simulation.report_monitor import monitor_html, monitor_workbook

    try:
        city, result = run_monitor(args.baseline.resolve(), args.data, args.alpha, args.power)
    except (ValueError, FileNotFoundError) as err:
        print(f"jhplan monitor: {err}", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    out = args.out or args.baseline.resolve().parent / f"{stamp}_monitor"
    with open_run_folder(out) as folder:
        result.table.to_parquet(folder.path("monitor.parquet"), index=False)
        result.mde.to_parquet(folder.path("mde.parquet"), index=False)
        if result.did is not None:
            result.did.to_parquet(folder.path("did.parquet"), index=False)
        folder.path("monitor.html").write_text(monitor_html(result), encoding="utf-8")
        monitor_workbook(result).save(folder.path("monitor.xlsx"))
        flagged = result.table[result.table["flagged"]]
        folder.manifest.update(
            {
                "task": "monitor",
                "created_at": now_iso(),
                "baseline_run": str(args.baseline.resolve()),
                "data_dir": str(Path(args.data).resolve()),
                "input_sha256": sha256_files(dict(city.files)),
                "reform_start": result.start,
                "alpha": result.alpha,
                "power": result.power,
                "years": sorted(int(y) for y in result.table["year"].unique()),
                "comparisons": len(result.table),
                "flagged": flagged[["unit", "kennzahl", "year", "effect"]].to_dict("records"),
            }
        )
    print(
        f"monitor: {len(result.table)} comparisons since {result.start}, {len(flagged)} outside "
        f"the {100 * (1 - result.alpha):.0f} % band; output {out}"
    )
    return 0
