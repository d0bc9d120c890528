"""``jhplan merge``: join the part runs of one scenario into the run folder one job writes.

A run with ``draws_part=K/N`` computes only its share of the draws (``simulation.blockjobs.
DrawPart``), each draw from the seed it has in the whole run, and keeps every stage's draws
before any reduction over the draws (``part_draws/<store>.npy``, listed in the manifest's
``draws_part``). Jobs of a sweep (``jhplan run -m draws_part=0/4,1/4,2/4,3/4`` with any Hydra
launcher: joblib here, submitit_slurm on a cluster) are such parts. ``merge_runs`` checks that
the parts belong together (same configuration apart from ``EXECUTION_KEYS``, same inputs, code
and package versions, disjoint parts covering every draw), joins each store in draw order and
reduces it with the stage's own functions, so the quantiles and means are those of one job to
the last bit (quantiles are order statistics: they need all draws, hence the stores and not the
parts' quantiles). Rows that do not depend on the draws (the variant path, places, observed
participation) are taken from the first part.

The population's widening to backtest errors needs the median of all draws: a part then computes
every population draw itself (its population results are one job's and are copied), and only the
demand stages are split. Stages whose reductions are not joined here (social, abm, report) are
refused by the part runs (``simulation.pipeline.SPLIT_STAGES``); build the report from the merged
run (``--report``).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from forecast.drawstore import DrawReducer, DrawStore, MemoryBudget
from forecast.hze.streamed import STORED, HzeDraws
from forecast.population.draws import StochasticProjection, summarise_draws
from forecast.variables import BAND
from simulation.explore_store import ARRAY, FOLDER, META
from simulation.pipeline import EXECUTION_KEYS
from simulation.results import _WRITTEN as WRITTEN
from simulation.results import (
    RESULTS_DIR,
    SAMPLES_PART,
    ResultsWriter,
    band_rows,
    to_results,
)
from simulation.rundir import RunFolderExists, now_iso, open_run_folder

SAME = ("input_sha256", "git_revision", "package_versions")
"""Manifest fields in which the parts must agree (besides the configuration)."""


class PartsMismatch(ValueError):
    """The part runs given to ``jhplan merge`` do not make one run."""


def _load(path: Path) -> dict:
    file = Path(path) / "manifest.json"
    if not file.is_file():
        raise PartsMismatch(f"{path}: not a finished run folder (no manifest.json)")
    manifest = json.loads(file.read_text(encoding="utf-8"))
    if "draws_part" not in manifest:
        raise PartsMismatch(f"{path}: not a part run (made without draws_part=K/N)")
    return manifest


def _flat(tree, prefix: str = "") -> dict[str, object]:
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree}


def _differences(a: dict, b: dict) -> list[str]:
    fa, fb = _flat(a), _flat(b)
    return [
        f"{k}: {fa.get(k, '(missing)')!r} vs {fb.get(k, '(missing)')!r}"
        for k in sorted(set(fa) | set(fb))
        if fa.get(k) != fb.get(k)
    ]


def check_parts(paths: list[Path]) -> list[tuple[Path, dict]]:
    """The part runs in draw order, checked to make one run together.

    Raises:
        PartsMismatch: naming the part and what differs: not a part run, another configuration
            (the keys), other inputs (the files), code or package versions, overlapping parts
            or draws that no part computed.
    """
    if not paths:
        raise PartsMismatch("no part runs given")
    parts = [(Path(p), _load(Path(p))) for p in paths]
    ref_path, ref = parts[0]
    for path, manifest in parts[1:]:
        config = {k: v for k, v in manifest["config"].items() if k not in EXECUTION_KEYS}
        ref_config = {k: v for k, v in ref["config"].items() if k not in EXECUTION_KEYS}
        diff = _differences(ref_config, config)
        if diff:
            raise PartsMismatch(
                f"{path} and {ref_path} were run with different configurations: "
                + "; ".join(diff[:10])
            )
        for field in SAME:
            diff = _differences(ref.get(field, {}), manifest.get(field, {}))
            if diff:
                raise PartsMismatch(
                    f"{path} and {ref_path} differ in {field}: " + "; ".join(diff[:10])
                )
        if manifest["draws_part"]["config_sha256"] != ref["draws_part"]["config_sha256"]:
            raise PartsMismatch(f"{path} and {ref_path}: configuration hashes differ")
    draws = int(ref["draws_part"]["draws"])
    parts.sort(key=lambda pm: (pm[1]["draws_part"]["first"], pm[1]["draws_part"]["last"]))
    covered = 0
    for path, manifest in parts:
        entry = manifest["draws_part"]
        first, last = int(entry["first"]), int(entry["last"])
        if first < covered:
            raise PartsMismatch(
                f"{path} (part {entry['part']}, draws {first}..{last - 1}) overlaps a part "
                f"given before it (draws up to {covered - 1}); give each part once"
            )
        if first > covered:
            raise PartsMismatch(
                f"draws {covered}..{first - 1} of {draws} are in none of the parts given "
                f"(a part of {entry['parts']} is missing)"
            )
        covered = last
    if covered != draws:
        raise PartsMismatch(
            f"draws {covered}..{draws - 1} of {draws} are in none of the parts given "
            f"(a part of {ref['draws_part']['parts']} is missing)"
        )
    stores = set(ref["draws_part"]["stores"])
    for path, manifest in parts:
        if set(manifest["draws_part"]["stores"]) != stores:
            raise PartsMismatch(
                f"{path} kept draws of {sorted(manifest['draws_part']['stores'])}, "
                f"{ref_path} of {sorted(stores)}"
            )
    return parts


def _joined(name: str, parts, budget: MemoryBudget) -> tuple[DrawStore, dict]:
    """The store ``name`` of all parts, in draw order, and its entry in the first part."""
    files = [
        (int(m["draws_part"]["first"]), path / m["draws_part"]["stores"][name]["file"])
        for path, m in parts
    ]
    draws = int(parts[0][1]["draws_part"]["draws"])
    return DrawStore.joined(name, files, draws, budget), parts[0][1]["draws_part"]["stores"][name]


def _copy_rows(source: Path, writer: ResultsWriter, run_id: str) -> None:
    """A results file of a part as it is (Arrow tables, text kept as dictionaries), with the
    merged run's id."""
    text = [f.name for f in WRITTEN if pa.types.is_dictionary(f.type)]
    file = pq.ParquetFile(source, read_dictionary=text)
    scenario = source.parent.name.removeprefix("scenario=")
    for group in range(file.num_row_groups):
        table = file.read_row_group(group, columns=WRITTEN.names)
        ids = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(table.num_rows, dtype=np.int32)), pa.array([run_id], pa.string())
        )
        table = table.set_column(WRITTEN.get_field_index("run_id"), "run_id", ids)
        writer._append(scenario, table.cast(WRITTEN))


def _reducer(name: str, parts, budget: MemoryBudget) -> tuple[DrawReducer, dict]:
    store, entry = _joined(name, parts, budget)
    return DrawReducer.of_store(store, entry["shapes"]), entry


def _band_part(model: str, parts, folder, scenario: str, budget) -> tuple[dict, dict]:
    """Kita or Ganztag: P10/P50/P90 of the joined draws, the first part's other rows."""
    reducer, entry = _reducer(model, parts, budget)
    with reducer:
        stats = reducer.quantiles(BAND)
    rows = band_rows(stats, entry["units"], entry["codes"], np.asarray(entry["years"]), BAND)
    projected = to_results(rows, model, scenario, folder.run_id)
    source = parts[0][0] / RESULTS_DIR / f"scenario={scenario}" / f"{model}.parquet"
    other = pq.read_table(source).to_pandas()
    other = other[~other["variable"].isin(list(entry["shapes"]))].assign(
        scenario=scenario, run_id=folder.run_id
    )
    with ResultsWriter(folder.work, model) as writer:
        writer.write(pd.concat([projected, other], ignore_index=True))
    return stats, entry


def _population(parts, folder, scenario: str, budget, summary: dict) -> None:
    from simulation.stage_population import draws_summary, write_draw_results

    first = parts[0][1]
    if "population_draws" not in first["draws_part"]["stores"]:  # computed whole in every part
        for path, manifest in parts[1:]:  # the same draws, so the same quantiles in every part
            if manifest["summary"].get("population") != first["summary"].get("population"):
                raise PartsMismatch(
                    f"{path} and {parts[0][0]}: the population draws computed in full in each "
                    "part differ (summary lines); the parts were not run alike"
                )
        for part in ("population_draws", SAMPLES_PART):
            source = parts[0][0] / RESULTS_DIR / f"scenario={scenario}" / f"{part}.parquet"
            if source.is_file():
                with ResultsWriter(folder.work, part) as writer:
                    _copy_rows(source, writer, folder.run_id)
        return
    store, entry = _joined("population_draws", parts, budget)
    try:
        quantiles, totals, mean = summarise_draws(store, len(entry["districts"]))
        sim = StochasticProjection(
            years=np.asarray(entry["years"]),
            districts=tuple(entry["districts"]),
            draws=store.shape[1],
            quantiles=quantiles,
            total_quantiles=totals,
            mean=mean,
            reduced=store if entry["samples"] else None,
            young=None,
            settings=None,
            spilled=store.spilled,
        )
        write_draw_results(folder, scenario, sim)
    finally:
        store.close()
    line = summary["population"]
    summary["population"] = line[: line.rindex("; draws ")] + draws_summary(sim)


def _hze(parts, folder, scenario: str, budget, summary: dict) -> None:
    store, entry = _joined("hze", parts, budget)
    kept = HzeDraws.__new__(HzeDraws)  # the stage's reductions over the joined store
    kept.years, kept.districts = np.asarray(entry["years"]), tuple(entry["districts"])
    kept.codes, kept.price_year, kept.draws = (
        tuple(entry["codes"]),
        entry["price_year"],
        store.shape[1],
    )
    shapes = {k: (len(kept.districts), len(kept.codes)) for k in STORED}
    kept.reducer = DrawReducer.of_store(store, {**shapes, "under21": (len(kept.districts),)})
    with kept, ResultsWriter(folder.work, "hze") as writer:
        for frame in kept.long_frames():
            writer.write(to_results(frame, "hze", scenario, folder.run_id))
        summary["hze"] = kept.city().summary()


def _young(parts, folder, manifest: dict) -> None:
    """The explorer's population draws (``draws/young.npy``) of all parts, in draw order."""
    entries = [m.get("explore", {}) for _, m in parts]
    total = sum(int(e.get("bytes", 0)) for e in entries)
    limit = int(manifest["config"].get("explore_draws_mb", 256))
    if total > limit * 2**20 or any(not e.get("file") for e in entries):
        manifest["explore"] = {
            "file": None,
            "bytes": total,
            "note": f"larger than explore_draws_mb={limit}",
        }
        return
    arrays = [np.load(path / FOLDER / ARRAY, mmap_mode="r") for path, _ in parts]
    shape = (sum(a.shape[0] for a in arrays), *arrays[0].shape[1:])
    out = np.lib.format.open_memmap(
        folder.path(FOLDER, ARRAY), mode="w+", dtype=arrays[0].dtype, shape=shape
    )
    at = 0
    for array in arrays:
        out[at : at + array.shape[0]] = array
        at += array.shape[0]
    out.flush()
    del out
    meta = json.loads((parts[0][0] / FOLDER / META).read_text(encoding="utf-8"))
    meta["draws"] = shape[0]
    folder.path(FOLDER, META).write_text(json.dumps(meta), encoding="utf-8")
    manifest["explore"] = {**entries[0], "bytes": total}


def merge_runs(paths: list[Path], final: Path) -> Path:
    """Join the part runs ``paths`` into the new run folder ``final`` (module docstring).

    Raises:
        PartsMismatch: the parts do not make one run (``check_parts``).
        RunFolderExists: ``final`` holds a run already.
    """
    from simulation.stage_ganztag import _summary as ganztag_summary
    from simulation.stage_kita import _summary as kita_summary

    parts = check_parts(paths)
    first = parts[0][1]
    config = first["config"]
    stages = list(config["pipeline"]["stages"])
    with open_run_folder(final) as folder:
        manifest = copy.deepcopy(first)
        for key in (
            "draws_part",
            "job_identity",
            "wall_time_s",
            "peak_rss_mib",
            "memory",
            "explore",
        ):
            manifest.pop(key, None)
        manifest.update(
            run_id=folder.run_id,
            created_at=now_iso(),
            overrides=[o for o in first["overrides"] if not o.startswith("draws_part=")],
            merged_from=[
                {
                    "run_dir": str(path.resolve()),
                    "part": m["draws_part"]["part"],
                    "draws": [m["draws_part"]["first"], m["draws_part"]["last"] - 1],
                    "wall_time_s": m.get("wall_time_s"),
                    "peak_rss_mib": m.get("peak_rss_mib"),
                }
                for path, m in parts
            ],
        )
        manifest["config"]["draws_part"] = None
        summary = manifest["summary"]
        folder.manifest = manifest
        budget = MemoryBudget.mib(config.get("memory_budget_mb", 1024), scratch=folder.work)
        scenario = config["scenario"]
        with folder.stage("merge"):
            known = {"population", "population_draws", SAMPLES_PART, "kita", "ganztag", "hze"}
            written = sorted((parts[0][0] / RESULTS_DIR / f"scenario={scenario}").glob("*.parquet"))
            unknown = [p.stem for p in written if p.stem not in known]
            if unknown:
                raise PartsMismatch(f"jhplan merge cannot join the results part(s) {unknown}")
            if "population" in stages:
                with ResultsWriter(folder.work, "population") as writer:
                    source = written[[p.stem for p in written].index("population")]
                    _copy_rows(source, writer, folder.run_id)
                _population(parts, folder, scenario, budget, summary)
                _young(parts, folder, manifest)
            if "kita" in stages:
                stats, entry = _band_part("kita", parts, folder, scenario, budget)
                paths_like = SimpleNamespace(years=np.asarray(entry["years"]))
                summary["kita"] = kita_summary(stats, paths_like, entry["path"])
            if "ganztag" in stages:
                stats, entry = _band_part("ganztag", parts, folder, scenario, budget)
                years = np.asarray(entry["years"])
                summary["ganztag"] = ganztag_summary(stats, years, config["ganztag"]["takeup"])
            if "hze" in stages:
                _hze(parts, folder, scenario, budget, summary)
                manifest["hze"]["draws"] = int(first["draws_part"]["draws"])
        manifest["memory"] = budget.to_manifest()
        _figures(folder, manifest)
    return Path(final).resolve()


def _figures(folder, manifest: dict) -> None:
    """The per-district figures ``district_figures`` asks for, drawn from the merged results."""
    from simulation.district_figures import draw_district_figures, figure_districts

    codes = figure_districts(
        manifest["config"].get("district_figures", "auto"), manifest["city"]["districts"]
    )
    if codes:
        draw_district_figures(folder.work, list(codes), manifest=manifest)


def merge_command(argv: list[str]) -> int:
    """``jhplan merge PART_RUN... [--name NAME] [--report]``."""
    parser = argparse.ArgumentParser(
        prog="jhplan merge",
        description="Join the part runs (draws_part=K/N) of one scenario into one run folder.",
    )
    parser.add_argument("parts", nargs="+", type=Path, metavar="PART_RUN")
    parser.add_argument(
        "--name",
        default=None,
        help="the merged run's folder: a name under the parts' run_root, or a path "
        "(default: <run_root>/<time>_<scenario>)",
    )
    parser.add_argument(
        "--report", action="store_true", help="build report.html and finance.xlsx as well"
    )
    args = parser.parse_args(argv)
    try:
        first = _load(args.parts[0])
        root = Path(first["config"].get("run_root", "experiments"))
        name = args.name or (
            f"{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}_{first['config']['scenario']}"
        )
        final = merge_runs(args.parts, root / name)
    except (PartsMismatch, RunFolderExists, ValueError) as err:
        print(f"jhplan merge: {err}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        return 1
    for stage, line in json.loads((final / "manifest.json").read_text())["summary"].items():
        print(f"{stage}: {line}")
    print(f"run folder: {final}")
    if args.report:
        from simulation.report import report_run

        for path in report_run(final).values():
            print(f"wrote {path}")
    return 0
