"""The report of a run: ``report.html`` (German, self-contained) and ``finance.xlsx``.

``build_report`` reads a run's results and manifest and writes both files into the run folder;
it is the ``report`` stage (last stage of ``jhplan run``, working on the run folder being written)
and ``jhplan report RUN_DIR`` (rebuilding them for a finished run, each file replaced atomically).
Sections (HTML ids): ``ueberblick``, ``annahmen``, ``bevoelkerung``, ``kita``, ``hze``,
``sozialraum`` (the ABM's chapter with its sensitivity analysis), ``szenarien`` (comparison with
other runs), ``glossar``, ``quellen`` (numbered source list) and ``anhang`` (technical appendix:
run id and settings). Every section is always present; one whose stage did not run says so. The
body is German only: no configuration keys, commands or paths (those stay in the appendix).
Images are PNGs embedded as ``data:`` URIs: no network, no external files.
"""

from __future__ import annotations

import argparse
import json
import logging
import string
import sys
from dataclasses import fields
from importlib import metadata
from pathlib import Path

import yaml

from forecast.contract import CITY_DISTRICT
from simulation import report_scenarios
from simulation import report_sections as sections
from simulation.compare import Comparison, compare_run_infos
from simulation.config_report import ReportConfig, ReportFormats, check_report_config
from simulation.finance import write_workbook
from simulation.ownership import temporary_file
from simulation.report_appendix import (
    appendix,
    assumptions,
    draws_text,
    literature,
    scenario_label,
)
from simulation.report_data import RunData
from simulation.report_ganztag import ganztag
from simulation.report_html import band, empty, esc, glossary, section, table
from simulation.report_interactive import karten
from simulation.report_social import monitor_chapter, social_chapter
from simulation.report_sro import abm_period, break_even, sro_chapter
from simulation.rundb import find_runs, label_runs
from simulation.rundir import now_iso, write_json

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("report_template.html")
STAGE_SECTIONS = {
    "population": "bevoelkerung",
    "kita": "kita",
    "hze": "hze",
    "abm": "sozialraum",
    "ganztag": "ganztag",
    "social": "sozialraumanalyse",
}
"""Stage -> id of its report section (the German title is the stage's ``section``, except the
ABM's: its chapter answers the Sozialraumorientierung question)."""
OWN_TITLES = {"sozialraum": "Sozialraumorientierung"}


def section_titles() -> dict[str, str]:
    """Section id -> German title, in the order of the report: the stages' sections in
    pipeline order between the overview and the comparison with other runs."""
    from simulation.stages import STAGES  # the registry imports this module (report_stage)

    staged = {STAGE_SECTIONS[s.name]: s.section for s in STAGES if s.section}
    staged = {k: OWN_TITLES.get(k, v) for k, v in staged.items()}
    return (
        {"ueberblick": "Überblick", "annahmen": "Annahmen"}
        | staged
        | {"wirkungsmonitor": "Wirkungsmonitor"}
        | {
            "karten": "Karten und interaktive Ansicht",
            "szenarien": "Szenarienvergleich",
            "glossar": "Glossar",
            "quellen": "Literatur und Quellen",
            "anhang": "Technischer Anhang",
        }
    )


def report_config(manifest: dict) -> ReportConfig:
    """The run's report settings (its manifest's ``config.report``; defaults for older runs)."""
    raw = dict(manifest.get("config", {}).get("report") or {})
    formats = ReportFormats(
        **{f.name: raw.get("formats", {}).get(f.name, f.default) for f in fields(ReportFormats)}
    )
    known = {f.name for f in fields(ReportConfig)} - {"formats"}
    return ReportConfig(**{k: v for k, v in raw.items() if k in known}, formats=formats)


def district_names(manifest: dict) -> dict[str, str]:
    """District code -> name from the city folder named in the manifest (codes if it is gone)."""
    city = manifest.get("city", {})
    if city.get("district_names"):
        return dict(city["district_names"])
    meta = Path(city.get("data_dir", "")) / "city.yaml"
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8"))
        return {str(d["code"]): str(d["name"]) for d in data["districts"]}
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return {}


def build_report(
    run_dir: Path,
    manifest: dict,
    cfg: ReportConfig,
    compare_with: list[str | Path] | None = None,
    out_dir: Path | None = None,
) -> dict[str, Path]:
    """Write ``report.html`` and ``finance.xlsx`` for the run in ``run_dir``.

    Args:
        run_dir: the run folder (or the folder being written, for the report stage).
        manifest: the run's manifest (as far as it is known).
        cfg: report settings.
        compare_with: run or sweep folders to compare this run with (this run = reference).
        out_dir: where to write (default ``run_dir``).

    Returns:
        File kind (``html``, ``workbook``) -> path written.
    """
    check_report_config(cfg)
    manifest.setdefault("city", {}).setdefault("district_names", district_names(manifest))
    data = RunData.open(run_dir, manifest)
    comparison = None
    if compare_with:
        runs = label_runs(
            [
                data.run,
                *[
                    r
                    for r in find_runs(list(compare_with))
                    if r.path.resolve() != Path(run_dir).resolve()
                ],
            ]
        )
        data = RunData(runs[0])
        comparison = compare_run_infos(runs, reference=runs[0].label)
    out_dir = Path(out_dir or run_dir)
    written = {}
    try:
        if cfg.html:
            written["html"] = _atomic(
                out_dir / "report.html",
                lambda p: p.write_text(render_html(data, cfg, comparison), encoding="utf-8"),
            )
        if cfg.workbook:
            written["workbook"] = _atomic(
                out_dir / "finance.xlsx", lambda p: write_workbook(p, data, cfg, comparison)
            )
    finally:
        data.close()
    return written


def _atomic(target: Path, write) -> Path:
    """Write through a temporary file and rename: a reader never sees half a file."""
    with temporary_file(target) as tmp:  # also removes what killed writers left behind
        write(tmp)
    return target


def render_html(data: RunData, cfg: ReportConfig, comparison: Comparison | None = None) -> str:
    """The complete report page."""
    m = data.manifest
    city = m.get("city", {}).get("name", "")
    bodies = {
        "ueberblick": overview(data),
        "annahmen": assumptions(m),
        "bevoelkerung": sections.population(data),
        "kita": sections.kita(data),
        "hze": sections.hze(data, int(cfg.suppress_below), cfg.secondary_suppression),
        "sozialraum": sro_chapter(data),
        "ganztag": ganztag(data),
        "sozialraumanalyse": social_chapter(data),
        "wirkungsmonitor": monitor_chapter(data),
        "szenarien": scenarios(data, comparison),
        "glossar": glossary(int(cfg.suppress_below)),
        "quellen": literature(),
        "anhang": appendix(m),
    }
    bodies["karten"], scripts = karten(data, comparison)
    titles = section_titles()
    created = str(m.get("created_at", ""))[:10].split("-")
    header = (
        f"<p>Szenario <strong>{esc(scenario_label(m))}</strong>"
        + (f" · erstellt am {'.'.join(reversed(created))}" if len(created) == 3 else "")
        + f"</p><p>{esc(draws_text(m))}</p>"
    )
    try:
        version = metadata.version("jhplan")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=esc(f"Jugendhilfeplanung {city}: Vorausberechnung und Szenarien"),
        version=esc(version),
        header=header,
        nav=" ".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in titles.items()),
        sections="\n".join(section(k, title, bodies[k]) for k, title in titles.items()),
        scripts=scripts,
    )


def scenarios(data: RunData, comparison: Comparison | None) -> str:
    """The comparison with other runs (``--compare``); without one, a German note."""
    if comparison is None:
        return empty(
            "Dieser Bericht vergleicht den Lauf mit keinem anderen Szenario. Ein Vergleich mit "
            "anderen Läufen (zum Beispiel Basisszenario und Sozialraumorientierung) kann beim "
            "Erstellen des Berichts angefordert werden."
        )
    return report_scenarios.scenarios(data, comparison)


def overview(data: RunData) -> str:
    """Key figures: population, Kita demand, HzE cost; the run's stage summaries."""
    rows = []
    if "population" in data.models:
        b = data.bands("Population|Total")
        y0, y1 = int(b.index[0]), int(b.index[-1])
        rows.append(
            (
                f"Einwohner {y0} → {y1}",
                f"{band(*b.loc[y0, ['P50', 'P10', 'P90']])} → "
                f"{band(*b.loc[y1, ['P50', 'P10', 'P90']])}",
            )
        )
    if "kita" in data.models:
        years = data.years("kita", "Kita|Demand|")
        t = sections.planning_year(years)
        for variable, label in sections.KITA_DEMAND.items():
            b = data.bands(variable)
            if t in b.index:
                rows.append(
                    (
                        f"{label}, Kita-Jahr {sections.kita_year(t)}",
                        band(*b.loc[t, ["P50", "P10", "P90"]]),
                    )
                )
        gap = data.bands("Kita|Gap|U3")
        if t in gap.index:
            rows.append(
                (
                    f"Fehlende Kita-Plätze U3 (ohne Tagespflege), Kita-Jahr {sections.kita_year(t)}",
                    band(*gap.loc[t, ["P50", "P10", "P90"]]),
                )
            )
    if "hze" in data.models:
        b = data.bands("HzE|Cost|Total", model="hze")
        years = [int(y) for y in b.index]
        for y in sorted({years[0], sections.planning_year(years)}):
            rows.append(
                (
                    f"Kosten der Hilfen zur Erziehung {y} (Mio. €, nominal)",
                    band(*b.loc[y, ["P50", "P10", "P90"]], decimals=1, scale=1e6),
                )
            )
    cumulative = data.abm_monthly("ABM|Cost difference|Total")
    cumulative = cumulative[cumulative["variant"] != "classic"]
    if not cumulative.empty:
        last = cumulative.iloc[-1]
        first = abm_period(data)[0]
        rows.append(
            (
                "Sozialraumorientierung minus klassische Steuerung, Kosten kumuliert "
                f"{first}–{int(last['year'])} (Mio. €)",
                band(last["P50"], last["P10"], last["P90"], decimals=1, scale=1e6),
            )
        )
        ends = cumulative[cumulative["month"] == 12].set_index("year")["P50"]
        even = break_even(ends)
        rows.append(
            (
                "Sozialraumorientierung: Mehrkosten der Umstellung ausgeglichen (Median)",
                f"ab Ende {even}" if even is not None else "nicht im Zeitraum",
            )
        )
    if not rows:
        return "<p class='empty'>Dieser Lauf enthält keine Ergebnisse.</p>"
    text = table(["Kennzahl", "Median (P10–P90)"], rows, [False, True])
    return text + (
        "<p class='note'>Median und 80 %-Band (P10–P90) über die Simulationsläufe; ohne "
        "Simulationsläufe der Wert der Variante. Stadt = Summe der Stadtteile. Kita-Bedarf U3 "
        "umfasst Kita und Kindertagespflege.</p>"
    )


def report_stage(ctx) -> str:
    """Pipeline stage: the report of the run being written (whatever stages ran before)."""
    cfg = ctx.cfg.report
    names = {d.code: d.name for d in ctx.city.districts} | {CITY_DISTRICT: ctx.city.name}
    ctx.folder.manifest.setdefault("city", {})["district_names"] = names
    written = build_report(ctx.folder.work, ctx.folder.manifest, cfg, list(cfg.compare))
    return (
        "wrote " + ", ".join(sorted(p.name for p in written.values()))
        if written
        else "nothing (report.html and report.workbook off)"
    )


def report_run(
    run_dir: Path, compare_with: list[str] | None = None, suppress_below: int | None = None
) -> dict[str, Path]:
    """``jhplan report RUN_DIR``: rebuild the report files of a finished run."""
    run_dir = Path(run_dir).resolve()
    manifest_file = run_dir / "manifest.json"
    if not manifest_file.is_file():
        hint = ""
        if (run_dir / "sweep_manifest.json").is_file():
            hint = (
                "; a sweep: jhplan compare SWEEP_DIR, or jhplan report RUN_DIR --compare SWEEP_DIR"
            )
        raise ValueError(f"{run_dir}: not a run folder (no manifest.json){hint}")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("task") != "run":
        raise ValueError(f"{run_dir}: a {manifest.get('task')!r} folder, not a run of `jhplan run`")
    cfg = report_config(manifest)
    configured = int(cfg.suppress_below)
    if suppress_below is not None:
        cfg.suppress_below = int(suppress_below)
    written = build_report(run_dir, manifest, cfg, compare_with or list(cfg.compare))
    if cfg.suppress_below != configured:  # the published tables differ from the run's setting
        change = {"at": now_iso(), "suppress_below": cfg.suppress_below, "run_setting": configured}
        manifest.setdefault("report_changes", []).append(change)
        _atomic(manifest_file, lambda tmp: write_json(tmp, manifest))
        log.warning(
            "report rebuilt with suppress_below=%d (the run's setting: %d); noted in manifest.json",
            cfg.suppress_below,
            configured,
        )
    return written


def report_command(argv: list[str]) -> int:
    """``jhplan report RUN_DIR [--compare DIR ...] [--suppress-below N]``."""
    parser = argparse.ArgumentParser(
        prog="jhplan report",
        description="(Re)build report.html and finance.xlsx of a run from its results.",
    )
    parser.add_argument("run_dir", type=Path)
    parser.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="DIR",
        help="run or sweep folders to compare with (this run is the reference)",
    )
    parser.add_argument(
        "--suppress-below",
        type=int,
        default=None,
        help="statistical confidentiality threshold (default: the run's report.suppress_below)",
    )
    parser.add_argument(
        "--district",
        action="append",
        default=[],
        metavar="CODE",
        help="draw this district's figures into RUN_DIR/figures instead of the report "
        "(repeatable; _city = the city, all = every district and the city)",
    )
    args = parser.parse_args(argv)
    if args.district:
        from simulation.district_figures import district_figures_command

        return district_figures_command(args.run_dir, args.district)
    try:
        written = report_run(args.run_dir, [str(p) for p in args.compare], args.suppress_below)
    except ValueError as err:
        print(f"jhplan report: {err}", file=sys.stderr)
        return 1
    for path in written.values():
        print(f"wrote {path}")
    return 0


__all__ = [
    "section_titles",
    "build_report",
    "render_html",
    "report_command",
    "report_run",
    "report_stage",
]
