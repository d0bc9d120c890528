"""The catalogue of planted faults: every input file of the tiny city and of the embedded Konstanz
data, broken in the ways a planner's export or a typo breaks them.

Each ``Fault`` says what ``jhplan check-data`` must do with it:

* ``error``: exit 1 with a message naming ``file`` and, where the fault sits in a row, the ``row``
  (the line a text editor shows) and the ``column`` (for city.yaml: the key);
* ``warning:<name>``: exit 0 with the named plausibility warning (accepted by that name in
  city.yaml's ``accept_warnings``), naming the same places;
* ``ok``: a variant that is not a fault (a BOM, Windows line ends, a declared German CSV dialect,
  Parquet): read correctly, nothing said.

Row numbers: data row k of a file (0 = the first row under the header) is line k + 2.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.faults import plant as p


@dataclass(frozen=True)
class Fault:
    """One planted fault and the outcome it must have."""

    id: str
    city: str
    plant: Callable[[Path], None]
    expect: str
    file: str
    row: int | None = None
    column: str | None = None


def _t(id, plant, expect, file, row=None, column=None) -> Fault:
    return Fault(id, "tiny", plant, expect, file, row, column)


def _k(id, plant, expect, file, row=None, column=None) -> Fault:
    return Fault(id, "konstanz", plant, expect, file, row, column)


POP, BIR, DEA, MIG = "population.csv", "births.csv", "deaths.csv", "migration.csv"
HZE, KIC, KIP, SOC, YML = (
    "hze_cases.csv",
    "kita_children.csv",
    "kita_places.csv",
    "social.csv",
    ("city.yaml"),
)
GERMAN = "csv: {sep: ';', decimal: ','}\n"  # what ``plant.german`` appends to city.yaml

FAULTS: list[Fault] = [
    # --- population: impossible values, wrong types, keys, conventions -------------------------
    _t("pop-negative", p.cell(POP, 3, "count", "-4"), "error", POP, 5, "count"),
    _t("pop-fraction", p.cell(POP, 3, "count", "11.5"), "error", POP, 5, "count"),
    _t("pop-text", p.cell(POP, 3, "count", "elf"), "error", POP, 5, "count"),
    _t("pop-empty-count", p.cell(POP, 3, "count", ""), "error", POP, 5, "count"),
    _t("pop-1e20", p.cell(POP, 3, "count", "1e20"), "error", POP, 5, "count"),
    _t("pop-1e12", p.cell(POP, 3, "count", "1000000000000"), "error", POP, 5, "count"),
    _t("pop-inf", p.cell(POP, 3, "count", "inf"), "error", POP, 5, "count"),
    _t("pop-nan", p.cell(POP, 3, "count", "NaN"), "error", POP, 5, "count"),
    _t("pop-age-101", p.cell(POP, 3, "age", "101"), "error", POP, 5, "age"),
    _t("pop-age-negative", p.cell(POP, 3, "age", "-1"), "error", POP, 5, "age"),
    _t("pop-sex-w", p.cell(POP, 3, "sex", "w"), "error", POP, 5, "sex"),
    _t("pop-year-1800", p.cell(POP, 3, "year", "1800"), "error", POP, 5, "year"),
    _t("pop-year-text", p.cell(POP, 3, "year", "2015/16"), "error", POP, 5, "year"),
    _t("pop-district-unknown", p.cell(POP, 3, "district", "x"), "error", POP, 5, "district"),
    _t("pop-district-path", p.cell(POP, 3, "district", "../../x"), "error", POP, 5, "district"),
    _t("pop-city-row", p.cell(POP, 3, "district", "_city"), "error", POP, 5, "district"),
    _t("pop-duplicate", p.duplicate_row(POP, 3), "error", POP, 4850),
    _t("pop-missing-column", p.drop_column(POP, "count"), "error", POP, None, "count"),
    _t("pop-german-column", p.rename_column(POP, "count", "anzahl"), "error", POP, None, "count"),
    _t("pop-header-only", p.header_only(POP), "error", POP),
    _t("pop-empty-file", p.empty_file(POP), "error", POP),
    _t("pop-missing", p.remove(POP), "error", POP),
    _t("pop-year-gap", p.keep_rows(POP, lambda r: r["year"] != "2018"), "error", POP, None, "year"),
    _t(
        "pop-one-year",
        p.keep_rows(POP, lambda r: r["year"] == "2022"),
        "error",
        POP,
        None,
        "year",
    ),
    _t("pop-thousands-point", p.cell(POP, 3, "count", "75.000"), "error", POP, 5, "count"),
    _t(
        "pop-thousands-75",
        p.where(POP, {"year": "2019", "district": "a", "sex": "f", "age": "30"}, "count", "0.05"),
        "error",
        POP,
        None,
        "count",
    ),
    _t("pop-thousands-comma", p.cell(POP, 3, "count", "1,234"), "error", POP, 5, "count"),
    _t("pop-decimal-comma", p.cell(POP, 3, "count", "11,0"), "error", POP, 5, "count"),
    _t("pop-semicolons", p.separators(POP, ";"), "error", POP, 1),
    _t("pop-tabs", p.separators(POP, "\t"), "error", POP, 1),
    _t(
        "pop-latin1",
        p.both(p.cell(POP, 3, "sex", "wé"), p.raw(POP, lambda b: b.decode().encode("latin-1"))),
        "error",
        POP,
    ),
    _t(
        "pop-column-twice",
        p.text(POP, "sex,age,count", "sex,age,count,count"),
        "error",
        POP,
        1,
        "count",
    ),
    _t("pop-too-many-cells", p.append(POP, "2022,a,f,7,3,9\n"), "error", POP),
    _t(
        "pop-jump",
        p.where(POP, {"year": "2022", "district": "c", "sex": "f", "age": "40"}, "count", "50000"),
        "warning:jump",
        POP,
        None,
        "count",
    ),
    # --- births, deaths, migration: flows beyond the register -----------------------------------
    _t("births-negative", p.cell(BIR, 30, "count", "-2"), "error", BIR, 32, "count"),
    _t("births-mother-12", p.cell(BIR, 30, "mother_age", "12"), "error", BIR, 32, "mother_age"),
    _t("births-sex-x", p.cell(BIR, 30, "sex", "x"), "error", BIR, 32, "sex"),
    _t("births-beyond-women", p.cell(BIR, 30, "count", "5000"), "error", BIR, None, "count"),
    _t("births-german-name", p.rename(BIR, "geburten.csv"), "error", "geburten.csv"),
    _t("births-suffix-name", p.rename(BIR, "births_2022.csv"), "error", "births_2022.csv"),
    _t("births-xlsx", p.rename(BIR, "births.xlsx"), "error", "births.xlsx"),
    _t("births-dangling-link", p.symlink(BIR, "nowhere.csv"), "error", BIR),
    _t("births-link-loop", p.symlink(BIR, BIR), "error", BIR),
    _t("births-folder", p.folder(BIR), "error", BIR),
    _t("births-twice", p.write("births.parquet", b"PAR1"), "error", "births"),
    _t("deaths-beyond-population", p.cell(DEA, 0, "count", "5000"), "error", DEA, None, "count"),
    _t("deaths-age-text", p.cell(DEA, 0, "age", "0-1"), "error", DEA, 2, "age"),
    _t("deaths-duplicate", p.duplicate_row(DEA, 0), "error", DEA, 4244),
    _t("migration-direction", p.cell(MIG, 0, "direction", "zuzug"), "error", MIG, 2, "direction"),
    _t("migration-out-1e6", p.cell(MIG, 1, "count", "1000000"), "error", MIG, None, "count"),
    _t("migration-1e9", p.cell(MIG, 1, "count", "1000000000"), "error", MIG, 3, "count"),
    _t(
        "migration-only-in",
        p.keep_rows(MIG, lambda r: r["direction"] == "in"),
        "error",
        MIG,
        None,
        "direction",
    ),
    _t("migration-no-direction", p.drop_column(MIG, "direction"), "error", MIG, None, "direction"),
    # --- HzE, Kita, social ----------------------------------------------------------------------
    _t("hze-hilfeart", p.cell(HZE, 0, "hilfeart", "27.2"), "error", HZE, 2, "hilfeart"),
    _t("hze-paragraph", p.cell(HZE, 0, "hilfeart", "§34"), "error", HZE, 2, "hilfeart"),
    _t("hze-negative", p.cell(HZE, 0, "running", "-1"), "error", HZE, 2, "running"),
    _t("hze-ended-too-many", p.cell(HZE, 73, "ended", "500"), "error", HZE, 75, "ended"),
    _t(
        "hze-gap",
        p.keep_rows(
            HZE, lambda r: (r["year"], r["district"], r["hilfeart"]) != ("2018", "b", "p34")
        ),
        "error",
        HZE,
        None,
        "district",
    ),
    _t("kita-age-group", p.cell(KIC, 0, "age_group", "krippe"), "error", KIC, 2, "age_group"),
    _t("kita-more-than-children", p.cell(KIC, 2, "count", "900"), "error", KIC, None, "count"),
    _t("kita-places-negative", p.cell(KIP, 0, "places_u3", "-3"), "error", KIP, 2, "places_u3"),
    _t("kita-places-1e9", p.cell(KIP, 0, "places_u3", "1e9"), "error", KIP, 2, "places_u3"),
    _t(
        "social-rate-percent",
        p.cells(SOC, "value", lambda v: f"{float(v) * 100:g}"),
        "error",
        SOC,
        2,
        "value",
    ),
    _t(
        "social-percent",
        p.both(
            p.keep_rows(SOC, lambda r: r["indicator"] == "sgb2_rate_u15"),
            p.cells(SOC, "indicator", lambda v: v.replace("_rate", "_quote")),
            p.cells(SOC, "value", lambda v: f"{float(v) * 100:g}"),
        ),
        "warning:percent",
        SOC,
        None,
        "value",
    ),
    _t("social-share-above-1", p.cell(SOC, 0, "value", "16"), "error", SOC, 2, "value"),
    _t("social-decimal-comma", p.cell(SOC, 0, "value", "0,16"), "error", SOC, 2, "value"),
    _t("social-unknown-district", p.cell(SOC, 0, "district", "d"), "error", SOC, 2, "district"),
    # --- files that would be ignored -------------------------------------------------------------
    _t("unknown-xlsx", p.write("notizen.xlsx", b"PK"), "warning:unknown_file", "notizen.xlsx"),
    _t("unknown-csv", p.write("extra.csv", "a,b\n1,2\n"), "warning:unknown_file", "extra.csv"),
    _t("lookalike-csv", p.write("Population.csv", "x\n"), "error", "Population.csv"),
    _t("dangling-other", p.symlink("alt.csv", "gone.csv"), "error", "alt.csv"),
    _t(
        "housing-1e9",
        p.write("housing.csv", "year,district,dwellings\n2024,a,1000000000\n"),
        "error",
        "housing.csv",
        2,
        "dwellings",
    ),
    _t(
        "control-10",
        p.write("control_totals.csv", "year,district,age_from,age_to,count\n2030,_city,,,10\n"),
        "warning:control_total",
        "control_totals.csv",
        2,
        "count",
    ),
    # --- city.yaml -------------------------------------------------------------------------------
    _t(
        "yaml-name-list",
        p.text(YML, "name: Tinycity", "name: [Tiny, city]"),
        "error",
        YML,
        2,
        "name",
    ),
    _t("yaml-name-number", p.text(YML, "name: Tinycity", "name: 42"), "error", YML, 2, "name"),
    _t(
        "yaml-licence-list",
        p.text(YML, "licence: CC0-1.0\n", "licence: [CC0]\n", 2),
        "error",
        YML,
        None,
        "licence",
    ),
    _t(
        "yaml-ags-number", p.text(YML, 'ags: "00000000"', "ags: 5315000"), "error", YML, None, "ags"
    ),
    _t("yaml-state-nrw", p.text(YML, "state: NW", "state: NRW"), "error", YML, 4, "state"),
    _t(
        "yaml-code-path",
        p.text(YML, "code: a,", "code: ../../x/PWNED,"),
        "error",
        YML,
        6,
        "districts",
    ),
    _t("yaml-code-slash", p.text(YML, "code: a,", "code: a/b,"), "error", YML, 6, "districts"),
    _t("yaml-code-dot", p.text(YML, "code: a,", "code: .a,"), "error", YML, 6, "districts"),
    _t("yaml-code-duplicate", p.text(YML, "code: b,", "code: a,"), "error", YML, 7, "districts"),
    _t("yaml-code-city", p.text(YML, "code: c,", "code: _city,"), "error", YML, 8, "districts"),
    _t(
        "yaml-district-name-list",
        p.text(YML, "name: Altstadt", "name: [x]"),
        "error",
        YML,
        6,
        "districts",
    ),
    _t("yaml-districts-mapping", p.text(YML, "  - {code: a,", "  x: {code: a,"), "error", YML),
    _t(
        "yaml-exclude-typo",
        p.append(YML, "exclude_year: [2018]\n"),
        "error",
        YML,
        13,
        "exclude_year",
    ),
    _t(
        "yaml-exclude-unknown",
        p.append(YML, "exclude_years: [2102]\n"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    _t(
        "yaml-exclude-text",
        p.append(YML, "exclude_years: '2018'\n"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    _t(
        "yaml-unknown-key",
        p.append(YML, "bemerkung: test\n"),
        "warning:unknown_key",
        YML,
        13,
        "bemerkung",
    ),
    _t(
        "yaml-accept-unknown",
        p.append(YML, "accept_warnings: [all]\n"),
        "error",
        YML,
        None,
        "accept_warnings",
    ),
    _t(
        "yaml-wirkungsraum-unknown",
        p.append(YML, "wirkungsraeume: {n: [a, x], s: [b, c]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    _t(
        "yaml-wirkungsraum-twice",
        p.append(YML, "wirkungsraeume: {n: [a, b], s: [b, c]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    _t(
        "yaml-wirkungsraum-missing",
        p.append(YML, "wirkungsraeume: {n: [a, b]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    _t("yaml-csv-bad", p.append(YML, "csv: {sep: '|'}\n"), "error", YML, 13, "csv"),
    _t("yaml-syntax", p.append(YML, "name: [Tiny\n"), "error", YML),
    _t("yaml-not-mapping", p.write(YML, "- a\n- b\n"), "error", YML),
    _t("yaml-missing", p.remove(YML), "error", YML),
    _t("yaml-dangling", p.symlink(YML, "gone.yaml"), "error", YML),
    _t("yaml-latin1", p.raw(YML, lambda b: b.decode().encode("latin-1")), "error", YML),
    # --- German conventions declared in city.yaml: read, or refused cell by cell ---------------
    _t("german-mixed", p.both(p.german, p.text(SOC, "0,1600", "0.1600")), "error", SOC, 2, "value"),
    _t(
        "german-thousands",
        p.both(p.german, p.text(KIP, "36;100", "36;1.000.0")),
        "error",
        KIP,
        2,
        "places_ue3",
    ),
    _t(
        "german-one-comma-file",
        p.both(p.german, p.raw(KIP, lambda b: b.replace(b";", b","))),
        "error",
        KIP,
        1,
    ),
    _t("german-undeclared", p.both(p.german, p.text(YML, GERMAN, "")), "error", POP, 1),
    # --- variants that are no fault: read as the original ----------------------------------------
    _t("ok-german", p.german, "ok", POP),
    _t("ok-bom", p.raw(POP, lambda b: codecs.BOM_UTF8 + b), "ok", POP),
    _t("ok-crlf", p.raw(BIR, lambda b: b.replace(b"\n", b"\r\n")), "ok", BIR),
    _t("ok-blank-lines", p.raw(DEA, lambda b: b.replace(b"\n", b"\n\n", 3)), "ok", DEA),
    _t(
        "ok-quoted",
        p.raw(SOC, lambda b: b.replace(b"sgb2_rate_u15", b'"sgb2_rate_u15"')),
        "ok",
        SOC,
    ),
    _t("ok-parquet", p.to_parquet(MIG), "ok", MIG),
    _t("ok-column-order", p.reverse_columns(KIP), "ok", KIP),
    _t("ok-extra-column", p.add_column(HZE, "notes", ""), "ok", HZE),
    _t("ok-spaces", p.cells(HZE, "district", lambda v: f" {v} "), "ok", HZE),
    # --- the embedded city ----------------------------------------------------------------------
    _k("k-pop-negative", p.cell(POP, 10, "count", "-1"), "error", POP, 12, "count"),
    _k(
        "k-pop-thousands",
        p.where(
            POP, {"year": "2015", "district": "altstadt", "sex": "f", "age": "30"}, "count", "0.075"
        ),
        "error",
        POP,
        None,
        "count",
    ),
    _k("k-births-thousands", p.cell(BIR, 5, "count", "0.7"), "error", BIR, 7, "count"),
    _k("k-births-1e20", p.cell(BIR, 5, "count", "1e20"), "error", BIR, 7, "count"),
    _k("k-deaths-beyond", p.cell(DEA, 5, "count", "500000"), "error", DEA, None, "count"),
    _k("k-migration-out", p.cell(MIG, 1, "count", "1000000"), "error", MIG, None, "count"),
    _k("k-migration-direction", p.cell(MIG, 1, "direction", "fort"), "error", MIG, 3, "direction"),
    _k("k-hze-hilfeart", p.cell(HZE, 0, "hilfeart", "p99"), "error", HZE, 2, "hilfeart"),
    _k("k-hze-duplicate", p.duplicate_row(HZE, 0), "error", HZE, 1802),
    _k("k-kita-setting", p.cell(KIC, 0, "setting", "krippe"), "error", KIC, 2, "setting"),
    _k("k-kita-header-only", p.header_only(KIC), "ok", KIC),
    _k(
        "k-yaml-exclude",
        p.text(YML, "exclude_years: [2020]", "exclude_years: [2002]"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    _k(
        "k-yaml-state",
        p.text(YML, "state: BW", "state: Baden-Württemberg"),
        "error",
        YML,
        4,
        "state",
    ),
    _k(
        "k-yaml-wirkungsraum",
        p.append(YML, "wirkungsraeume: {alle: [altstadt, paradis]}\n"),
        "error",
        YML,
        None,
        "wirkungsraeume",
    ),
    _k(
        "k-yaml-code",
        p.text(YML, "code: altstadt,", "code: alt stadt,"),
        "error",
        YML,
        None,
        "districts",
    ),
    _k("k-pop-german-file", p.rename(POP, "bevoelkerung.csv"), "error", "bevoelkerung.csv"),
]
