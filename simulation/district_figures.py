"""Per-district figures of a finished run, drawn on demand from its results.

A run on a city of hundreds of districts spends most of its time drawing one PNG per district and
kind; planners look at a few of them. This module draws the same figures afterwards, for the
districts asked, from what the run wrote: its ``results/`` Parquet (read with pyarrow filters, so
only the asked districts' rows become a frame) and its ``manifest.json``:

* ``pyramid_<code>.png``: single ages (``model=population``, ``statistic=value``,
  ``Population|<f|m>|<age>``) of the base year and the last year (``simulation.figures.pyramid``);
* ``total_<code>.png``: the register history (the population file of the city folder named in
  the manifest), the projected total and, with draws, the P5-P95 and P10-P90 bands of
  ``Population|Total`` (``simulation.figures.total_chart``). Without that file, or when it is no
  longer the one the run read (sha256), the chart has no history and its title says so;
* ``kita_<code>.png``: Kita demand ``Kita|Demand|U3|Kita`` and ``Kita|Demand|Ue3`` (P10/P50/P90
  rows, or the value rows of a run without draws) and the places ``Kita|Places|U3|Ue3`` where
  known (``simulation.figures_kita.demand_vs_places``).

The plotting functions get the arrays the stages hand them (``stage_population._population_figures``,
``stage_kita._figures``): the results hold exactly those numbers (``simulation.district_figures_data``
reads them).

A figure is written through a temporary file and carries the run id in a PNG text chunk. An
existing file in the run's own ``figures/`` is replaced; elsewhere only a file of the same run is,
so figures of two runs never overwrite each other.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
import zlib
from collections.abc import Sequence
from pathlib import Path

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.validate_city_yaml import DISTRICT_CODE
from simulation.district_figures_data import RunResults, district_names, register_history
from simulation.ownership import temporary_file

KINDS = ("pyramid", "total", "kita")
"""The figure kinds, file ``<kind>_<code>.png``."""
AUTO_LIMIT = 30
"""``auto`` draws every district up to this many (estimate: a planner pages through 30 districts'
figures; a metropolis of hundreds gets the city's only, the rest on demand)."""
SETTINGS = ("auto", "all", "none")
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
    run = RunResults(run_dir, asked)
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
    names = district_names(manifest, city)
    inputs = {}
    if "pyramid" in kinds:
        history, note = register_history(manifest, city, asked)
        inputs.update(run.population(names, history, note))
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
        if "all" in codes:  # the others are still checked
            every = figure_districts("all", manifest.get("city", {}).get("districts", []))
            codes = [*(c for c in codes if c != "all"), *every]
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
    manifest = json.loads(file.read_text(encoding="utf-8"))
    if manifest.get("task") != "run":
        raise ValueError(f"{run_dir}: a {manifest.get('task')!r} folder, not a run of `jhplan run`")
    return manifest


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
