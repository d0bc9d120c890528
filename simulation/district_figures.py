"""Per-district figures of a finished run, drawn on demand from its results.

A run on a city of hundreds of districts spends most of its time drawing one PNG per district and
kind; planners look at a few of them. This module draws the same figures afterwards, for the
districts asked, from what the run wrote: its ``results/`` Parquet (read with pyarrow filters, so
only the asked districts' rows become a frame) and its ``manifest.json``:

* ``pyramid_<code>.png``: single ages (``model=population``, ``statistic=value``,
  ``Population|<f|m>|<age>``) of the base year and the last year (``simulation.figures.pyramid``);
* ``total_<code>.png``: the register history (from the city folder named in the manifest, as the
  population stage reads it), the projected total and, with draws, the P5-P95 and P10-P90 bands of
  ``Population|Total`` (``simulation.figures.total_chart``). Without that city folder, or when its
  population file is no longer the one the run read, the chart has no history and its title says
  so;
* ``kita_<code>.png``: Kita demand ``Kita|Demand|U3|Kita`` and ``Kita|Demand|Ue3`` (P10/P50/P90
  rows, or the value rows of a run without draws) and the places ``Kita|Places|U3|Ue3`` where
  known (``simulation.figures_kita.demand_vs_places``).

The plotting functions get the arrays the stages hand them (``stage_population._population_figures``,
``stage_kita._figures``): the results hold exactly those numbers.

A figure is written through a temporary file and carries the run id in a PNG text chunk. An
existing file in the run's own ``figures/`` is replaced; elsewhere only a file of the same run is,
so figures of two runs never overwrite each other.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import sys
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from forecast.citydata import CityData, load_city
from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES
from forecast.population.estimate import population_array
from forecast.validate import InputDataError
from forecast.validate_city_yaml import DISTRICT_CODE
from forecast.variables import BAND, POPULATION_CELL
from simulation import figures, figures_kita
from simulation.ownership import temporary_file
from simulation.results import RESULTS_DIR

log = logging.getLogger(__name__)

KINDS = ("pyramid", "total", "kita")
"""The figure kinds, file ``<kind>_<code>.png``."""
AUTO_LIMIT = 30
"""``auto`` draws every district up to this many (estimate: a planner pages through 30 districts'
figures; a metropolis of hundreds gets the city's only, the rest on demand)."""
SETTINGS = ("auto", "all", "none")
TOTAL_BANDS = ((0.05, 0.95, "90 %-Intervall"), (0.1, 0.9, "80 %-Intervall"))
"""Bands of the total-population chart: quantiles and German label (as the population stage)."""
SINGLE_AGES = [POPULATION_CELL.name(sex=s, age=a) for s in SEXES for a in range(MAX_AGE + 1)]
"""The pyramid's cells in the order of the stage's arrays (sex f, m; age 0..100)."""
KITA_DEMAND = {"u3": "Kita|Demand|U3|Kita", "ue3": "Kita|Demand|Ue3"}
KITA_PLACES = {"u3": "Kita|Places|U3", "ue3": "Kita|Places|Ue3"}
"""The Kita chart's variables by group (as the Kita stage hands them to the chart)."""
RUN_ID_KEY = b"jhplan run_id"
"""Key of the PNG text chunk naming the run a figure belongs to."""


def figure_districts(setting: str | Sequence[str], codes: Sequence[str]) -> list[str]:
    """The districts whose figures a run draws: ``auto``, ``all``, ``none`` or a list of codes.

    Args:
        setting: ``auto`` (every district when there are at most ``AUTO_LIMIT``, else only the
            city), ``all``, ``none``, or district codes (the city is added).
        codes: the run's district codes (without ``_city``).

    Returns:
        District codes, ``_city`` last (empty for ``none``).

    Raises:
        ValueError: an unknown setting or district code (all of them named).
    """
    codes = [str(c) for c in codes]
    if isinstance(setting, str):
        if setting not in SETTINGS:
            raise ValueError(
                f"district figures: {setting!r} is not one of {', '.join(SETTINGS)} "
                "or a list of district codes"
            )
        if setting == "none":
            return []
        if setting == "auto" and len(codes) > AUTO_LIMIT:
            return [CITY_DISTRICT]
        return [*codes, CITY_DISTRICT]
    asked = _known(list(dict.fromkeys(str(c) for c in setting)), codes)
    return [c for c in asked if c != CITY_DISTRICT] + [CITY_DISTRICT]


def _known(asked: list[str], codes: list[str]) -> list[str]:
    """``asked`` if every one is a district of the run or ``_city``; else a clear error."""
    valid = [*codes, CITY_DISTRICT]
    unknown = [c for c in asked if c not in valid]
    if unknown:
        shown = ", ".join(valid[:40]) + (f", ... ({len(valid)} in all)" if len(valid) > 40 else "")
        raise ValueError(
            f"unknown district code(s) {', '.join(map(repr, unknown))}; the run's districts: {shown}"
        )
    return asked


def draw_district_figures(
    run_dir: Path,
    codes: Sequence[str],
    out_dir: Path | None = None,
    *,
    manifest: dict | None = None,
    city: CityData | None = None,
) -> list[Path]:
    """Draw the pyramid, total-population and Kita figures of ``codes`` from a run's results.

    Args:
        run_dir: the run folder (``results/`` and, unless ``manifest`` is given, ``manifest.json``).
        codes: district codes of the run, ``_city`` for the whole city.
        out_dir: where to write (default ``run_dir/figures``).
        manifest: the run's manifest (for a run folder still being written); read if None.
        city: the run's city data, if loaded already (else the folder the manifest names).

    Returns:
        The files written, by district then kind; only the kinds whose stage ran.

    Raises:
        ValueError: an unknown district code (nothing is written), a folder that is not a run, or
            an existing figure of another run in ``out_dir``.
    """
    run_dir = Path(run_dir)
    if manifest is None:
        manifest = _manifest(run_dir)
    districts = [str(c) for c in manifest.get("city", {}).get("districts", [])]
    asked = _known(list(dict.fromkeys(str(c) for c in codes)), districts)
    for code in asked:  # manifests are files: check what becomes part of a file name
        if code != CITY_DISTRICT and not DISTRICT_CODE.fullmatch(code):
            raise ValueError(f"district code {code!r} cannot name a file")
    run = _RunResults(run_dir, asked)
    kinds = [k for k in KINDS if run.has(k)]
    out_dir = Path(out_dir) if out_dir is not None else run_dir / "figures"
    run_id = str(manifest.get("run_id", ""))
    own = out_dir.resolve() == (run_dir / "figures").resolve()
    targets = {(k, c): out_dir / f"{k}_{c}.png" for c in asked for k in kinds}
    foreign = [p for p in targets.values() if not own and _foreign(p, run_id)]
    if foreign:
        raise ValueError(
            f"{out_dir}: not replacing figures of another run: {', '.join(p.name for p in foreign)}"
        )
    names = _names(manifest, city)
    inputs = {}
    if "pyramid" in kinds:
        history, note = _history(manifest, city, asked)
        inputs.update(run.population(asked, names, history, note))
    if "kita" in kinds:
        inputs.update(run.kita(names))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # matplotlib takes the format from the file's suffix, which a temporary file beside the
    # target does not have: draw into a scratch folder, then copy (stamped) through one.
    with tempfile.TemporaryDirectory(prefix="jhplan-figures-") as scratch:
        for code in asked:
            for kind in kinds:
                draw, args = inputs[kind, code]
                target = targets[kind, code]
                drawn = Path(scratch) / target.name
                draw(drawn, *args)
                with temporary_file(target) as tmp:
                    tmp.write_bytes(_stamped(drawn.read_bytes(), run_id))
                written.append(target)
    return written


def district_figures_command(run_dir: Path, codes: Sequence[str]) -> int:
    """``jhplan report RUN_DIR --district CODE ...`` (``all``: every district and the city)."""
    try:
        manifest = _manifest(Path(run_dir))
        if "all" in codes:
            codes = figure_districts("all", manifest.get("city", {}).get("districts", []))
        written = draw_district_figures(Path(run_dir), codes, manifest=manifest)
    except ValueError as err:
        print(f"jhplan report: {err}", file=sys.stderr)
        return 1
    if not written:
        print(f"jhplan report: {run_dir}: the run has no population or Kita results to draw")
    for path in written:
        print(f"wrote {path}")
    return 0


def _manifest(run_dir: Path) -> dict:
    file = run_dir / "manifest.json"
    if not file.is_file():
        raise ValueError(f"{run_dir}: not a run folder (no manifest.json)")
    return json.loads(file.read_text(encoding="utf-8"))


def _names(manifest: dict, city: CityData | None) -> dict[str, str]:
    """District code -> name as the stages title the figures (codes where unknown)."""
    from simulation.report import district_names  # the report module imports this one

    info = manifest.get("city", {})
    names = {c: c for c in info.get("districts", [])}
    if city is not None:
        return names | {d.code: d.name for d in city.districts} | {CITY_DISTRICT: city.name}
    return names | district_names(manifest) | {CITY_DISTRICT: info.get("name", "Stadt")}


def _history(
    manifest: dict, city: CityData | None, codes: list[str]
) -> tuple[dict[str, dict[int, float]], str]:
    """Register totals by year of ``codes`` (``_city`` = sum of all districts) and, when there
    are none, why (for the chart's title)."""
    if city is None:
        folder = Path(manifest.get("city", {}).get("data_dir", ""))
        try:
            city = load_city(folder)
        except (InputDataError, OSError) as err:
            log.warning("district figures without register history: %s: %s", folder, err)
            return {}, "Melderegister nicht gefunden"
        changed = _changed_population(city, manifest.get("input_sha256", {}))
        if changed:
            log.warning(
                "district figures without register history: %s changed since the run", changed
            )
            return {}, "Melderegister seit dem Lauf geändert"
    pop, years = population_array(city)
    # As the population stage: districts, then the city as the sum of all of them.
    history = np.concatenate([pop, pop.sum(axis=1, keepdims=True)], axis=1).sum(axis=(-1, -2))
    column = {c: i for i, c in enumerate([*city.district_codes, CITY_DISTRICT])}
    out = {}
    for code in codes:
        if code in column:
            out[code] = {
                int(y): float(v) for y, v in zip(years, history[:, column[code]], strict=True)
            }
    return out, ""


def _changed_population(city: CityData, sha256: dict[str, str]) -> str:
    """The population file's name if it is not the one the run read (by its sha256)."""
    for name, path in city.files.items():
        if Path(name).stem == "population" and name in sha256:
            if hashlib.sha256(Path(path).read_bytes()).hexdigest() != sha256[name]:
                return str(path)
    return ""


@dataclass
class _RunResults:
    """The rows of the asked districts in one run's result files."""

    run_dir: Path
    codes: list[str]

    def _files(self, part: str) -> list[Path]:
        return sorted((self.run_dir / RESULTS_DIR).glob(f"scenario=*/{part}.parquet"))

    def has(self, kind: str) -> bool:
        return bool(self._files("kita" if kind == "kita" else "population"))

    def _read(self, part: str, variables: pc.Expression, statistics: list[str]) -> pd.DataFrame:
        """Rows of the asked districts; the filter runs in pyarrow, before any frame is built."""
        where = (
            pc.field("district").isin(self.codes)
            & pc.field("statistic").isin(statistics)
            & variables
        )
        columns = ["district", "year", "variable", "statistic", "quantile", "value"]
        frames = [
            pq.read_table(f, columns=columns, filters=where).to_pandas() for f in self._files(part)
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def population(
        self, codes: list[str], names: dict[str, str], history: dict, note: str
    ) -> dict[tuple[str, str], tuple]:
        """(kind, code) -> (plotting function, its arguments after the path) for both charts."""
        cells = self._read("population", pc.field("variable").isin(SINGLE_AGES), ["value"])
        years = np.sort(cells["year"].unique())
        if not len(years):
            raise ValueError(f"{self.run_dir}: no single-age population rows in its results")
        y0, y1 = int(years[0]), int(years[-1])
        cell = pd.Categorical(cells["variable"], categories=SINGLE_AGES)  # f 0..100, m 0..100
        cells = cells.assign(cell=cell)
        bands = self._bands()
        out = {}
        for code, own in cells.groupby("district"):
            pop = (
                own.pivot_table(
                    index="year", columns="cell", values="value", aggfunc="first", observed=False
                )
                .reindex(index=years, columns=SINGLE_AGES)
                .to_numpy(float)
                .reshape(len(years), 2, -1)
            )
            out["pyramid", code] = (
                figures.pyramid,
                (f"{names[code]}: Altersaufbau {y0} und {y1}", pop[0], pop[-1], y0, y1),
            )
            totals = pop.sum(axis=(-1, -2))
            out["total", code] = (
                figures.total_chart,
                (
                    f"{names[code]}: Einwohner" + (f" ({note})" if note else ""),
                    history.get(code, {}),
                    {int(y): float(v) for y, v in zip(years, totals, strict=True)},
                    bands.get(code),
                ),
            )
        return out

    def _bands(self) -> dict[str, list[tuple]]:
        """code -> the total chart's bands from the draws' ``Population|Total`` quantiles."""
        rows = self._read(
            "population_draws", pc.field("variable") == "Population|Total", ["quantile"]
        )
        out = {}
        for code, own in rows.assign(q=rows["quantile"].round(6)).groupby("district"):
            q = own.pivot_table(index="year", columns="q", values="value", aggfunc="first")
            out[code] = [
                (q.index.to_numpy(), q[lo].to_numpy(), q[hi].to_numpy(), label)
                for lo, hi, label in TOTAL_BANDS
            ]
        return out

    def kita(self, names: dict[str, str]) -> dict[tuple[str, str], tuple]:
        """("kita", code) -> (plotting function, its arguments after the path)."""
        rows = self._read(
            "kita",
            pc.field("variable").isin([*KITA_DEMAND.values(), *KITA_PLACES.values()]),
            ["value", "quantile"],
        )
        demand_rows = rows["variable"].isin(KITA_DEMAND.values())
        years = np.sort(rows.loc[demand_rows, "year"].unique())
        # P10/P50/P90 over the draws; a run without draws has value rows: the same row thrice.
        drawn = (rows.loc[demand_rows, "statistic"] == "quantile").any()
        levels = list(BAND) if drawn else [0.0]
        rows = rows.assign(level=rows["quantile"].fillna(0.0).round(6))
        # A run without kita_places wrote no places rows: the stage passes None then.
        has_places = rows["variable"].isin(KITA_PLACES.values()).any()
        out = {}
        for code, own in rows.groupby("district"):
            wide = own.pivot_table(
                index=["variable", "level"], columns="year", values="value", aggfunc="first"
            ).reindex(columns=years)  # years without a row (NaN in the stage) stay NaN
            demand, places = {}, {}
            for group, variable in KITA_DEMAND.items():
                q = wide.reindex([(variable, lv) for lv in levels]).to_numpy(float)
                demand[group] = q if drawn else np.repeat(q, 3, axis=0)
            for group, variable in KITA_PLACES.items():
                places[group] = (
                    wide.reindex([(variable, 0.0)]).to_numpy(float)[0] if has_places else None
                )
            out["kita", code] = (
                figures_kita.demand_vs_places,
                (f"{names[code]}: Bedarf vs. Plätze", years, demand, places),
            )
        return out


def _foreign(path: Path, run_id: str) -> bool:
    """Whether ``path`` exists and is not a figure of run ``run_id`` (by its text chunk)."""
    if not path.exists():
        return False
    return _stamped_run(path) != run_id


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _stamped(png: bytes, run_id: str) -> bytes:
    """``png`` with a ``tEXt`` chunk naming the run right after its header chunk (PNG spec,
    section 11.3.4.3: text chunks may come anywhere between IHDR and IEND)."""
    end_of_ihdr = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    text = _chunk(b"tEXt", RUN_ID_KEY + b"\0" + run_id.encode("latin-1", "replace"))
    return png[:end_of_ihdr] + text + png[end_of_ihdr:]


def _stamped_run(path: Path) -> str | None:
    """The run id in a figure's text chunk (None: not a PNG of jhplan's, or not stamped)."""
    data = path.read_bytes()
    at = 8
    while at + 8 <= len(data) and data[:8] == b"\x89PNG\r\n\x1a\n":
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"tEXt":
            key, _, value = data[at + 8 : at + 8 + length].partition(b"\0")
            if key == RUN_ID_KEY:
                return value.decode("latin-1")
        if kind == b"IDAT":  # text chunks written by _stamped come before the image data
            return None
        at += 12 + length
    return None


__all__ = [
    "AUTO_LIMIT",
    "KINDS",
    "district_figures_command",
    "draw_district_figures",
    "figure_districts",
]
