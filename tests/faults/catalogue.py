"""The catalogue of planted faults: every input file of the tiny city and of the embedded Konstanz
data, broken in the ways a planner's export or a typo breaks them.

Each ``Fault`` says what ``jhplan check-data`` must do with it:

* ``error``: exit 1 with a message naming ``file`` and, where the fault sits in a row, the ``row``
  (the line a text editor shows) and the ``column`` (for city.yaml: the key);
* ``warning:<name>``: exit 0 with the named plausibility warning (accepted by that name in
  city.yaml's ``accept_warnings``), naming the same places;
* ``ok``: a variant that is not a fault (a BOM, Windows line ends, a declared German CSV dialect,
  Parquet): read correctly, nothing said.

city.yaml faults of the tiny city: ``catalogue_city_yaml``. Row numbers: data row k of a file (0 = the first row under the header) is line k + 2.
"""

from __future__ import annotations

import codecs

from tests.faults import plant as p
from tests.faults.catalogue_city_yaml import CITY_YAML_FAULTS
from tests.faults.fault import (
    BIR,
    DEA,
    GERMAN,
    HZE,
    KIC,
    KIP,
    MIG,
    POP,
    SOC,
    YML,
    Fault,
    konstanz,
    tiny,
)

GTP, SCD = "ganztag_places.csv", "school_districts.csv"  # the Ganztag inputs

FAULTS: list[Fault] = [
    # --- population: impossible values, wrong types, keys, conventions -------------------------
    tiny("pop-negative", p.cell(POP, 3, "count", "-4"), "error", POP, 5, "count"),
    tiny("pop-fraction", p.cell(POP, 3, "count", "11.5"), "error", POP, 5, "count"),
    tiny("pop-text", p.cell(POP, 3, "count", "elf"), "error", POP, 5, "count"),
    tiny("pop-empty-count", p.cell(POP, 3, "count", ""), "error", POP, 5, "count"),
    tiny("pop-1e20", p.cell(POP, 3, "count", "1e20"), "error", POP, 5, "count"),
    tiny("pop-1e12", p.cell(POP, 3, "count", "1000000000000"), "error", POP, 5, "count"),
    tiny("pop-inf", p.cell(POP, 3, "count", "inf"), "error", POP, 5, "count"),
    tiny("pop-nan", p.cell(POP, 3, "count", "NaN"), "error", POP, 5, "count"),
    tiny("pop-age-101", p.cell(POP, 3, "age", "101"), "error", POP, 5, "age"),
    tiny("pop-age-negative", p.cell(POP, 3, "age", "-1"), "error", POP, 5, "age"),
    tiny("pop-sex-w", p.cell(POP, 3, "sex", "w"), "error", POP, 5, "sex"),
    tiny("pop-year-1800", p.cell(POP, 3, "year", "1800"), "error", POP, 5, "year"),
    tiny("pop-year-text", p.cell(POP, 3, "year", "2015/16"), "error", POP, 5, "year"),
    tiny("pop-district-unknown", p.cell(POP, 3, "district", "x"), "error", POP, 5, "district"),
    tiny("pop-district-path", p.cell(POP, 3, "district", "../../x"), "error", POP, 5, "district"),
    tiny("pop-city-row", p.cell(POP, 3, "district", "_city"), "error", POP, 5, "district"),
    tiny("pop-duplicate", p.duplicate_row(POP, 3), "error", POP, 4850),
    tiny("pop-missing-column", p.drop_column(POP, "count"), "error", POP, None, "count"),
    tiny("pop-german-column", p.rename_column(POP, "count", "anzahl"), "error", POP, None, "count"),
    tiny("pop-header-only", p.header_only(POP), "error", POP),
    tiny("pop-empty-file", p.empty_file(POP), "error", POP),
    tiny("pop-missing", p.remove(POP), "error", POP),
    tiny(
        "pop-year-gap", p.keep_rows(POP, lambda r: r["year"] != "2018"), "error", POP, None, "year"
    ),
    tiny(
        "pop-one-year",
        p.keep_rows(POP, lambda r: r["year"] == "2022"),
        "error",
        POP,
        None,
        "year",
    ),
    tiny("pop-thousands-point", p.cell(POP, 3, "count", "75.000"), "error", POP, 5, "count"),
    tiny(
        "pop-thousands-75",
        p.where(POP, {"year": "2019", "district": "a", "sex": "f", "age": "30"}, "count", "0.05"),
        "error",
        POP,
        None,
        "count",
    ),
    tiny("pop-thousands-comma", p.cell(POP, 3, "count", "1,234"), "error", POP, 5, "count"),
    tiny("pop-decimal-comma", p.cell(POP, 3, "count", "11,0"), "error", POP, 5, "count"),
    tiny("pop-semicolons", p.separators(POP, ";"), "error", POP, 1),
    tiny("pop-tabs", p.separators(POP, "\t"), "error", POP, 1),
    tiny(
        "pop-latin1",
        p.both(p.cell(POP, 3, "sex", "wé"), p.raw(POP, lambda b: b.decode().encode("latin-1"))),
        "error",
        POP,
    ),
    tiny(
        "pop-column-twice",
        p.text(POP, "sex,age,count", "sex,age,count,count"),
        "error",
        POP,
        1,
        "count",
    ),
    tiny("pop-too-many-cells", p.append(POP, "2022,a,f,7,3,9\n"), "error", POP),
    tiny(
        "pop-jump",
        p.where(POP, {"year": "2022", "district": "c", "sex": "f", "age": "40"}, "count", "50000"),
        "warning:jump",
        POP,
        None,
        "count",
    ),
    # --- births, deaths, migration: flows beyond the register -----------------------------------
    tiny("births-negative", p.cell(BIR, 30, "count", "-2"), "error", BIR, 32, "count"),
    tiny("births-mother-12", p.cell(BIR, 30, "mother_age", "12"), "error", BIR, 32, "mother_age"),
    tiny("births-sex-x", p.cell(BIR, 30, "sex", "x"), "error", BIR, 32, "sex"),
    tiny("births-beyond-women", p.cell(BIR, 30, "count", "5000"), "error", BIR, None, "count"),
    tiny("births-german-name", p.rename(BIR, "geburten.csv"), "error", "geburten.csv"),
    tiny("births-suffix-name", p.rename(BIR, "births_2022.csv"), "error", "births_2022.csv"),
    tiny("births-xlsx", p.rename(BIR, "births.xlsx"), "error", "births.xlsx"),
    tiny("births-dangling-link", p.symlink(BIR, "nowhere.csv"), "error", BIR),
    tiny("births-link-loop", p.symlink(BIR, BIR), "error", BIR),
    tiny("births-folder", p.folder(BIR), "error", BIR),
    tiny("births-twice", p.write("births.parquet", b"PAR1"), "error", "births"),
    tiny("deaths-beyond-population", p.cell(DEA, 0, "count", "5000"), "error", DEA, None, "count"),
    tiny("deaths-age-text", p.cell(DEA, 0, "age", "0-1"), "error", DEA, 2, "age"),
    tiny("deaths-duplicate", p.duplicate_row(DEA, 0), "error", DEA, 4244),
    tiny("migration-direction", p.cell(MIG, 0, "direction", "zuzug"), "error", MIG, 2, "direction"),
    tiny("migration-out-1e6", p.cell(MIG, 1, "count", "1000000"), "error", MIG, None, "count"),
    tiny("migration-1e9", p.cell(MIG, 1, "count", "1000000000"), "error", MIG, 3, "count"),
    tiny(
        "migration-only-in",
        p.keep_rows(MIG, lambda r: r["direction"] == "in"),
        "error",
        MIG,
        None,
        "direction",
    ),
    tiny(
        "migration-no-direction", p.drop_column(MIG, "direction"), "error", MIG, None, "direction"
    ),
    # --- HzE, Kita, social ----------------------------------------------------------------------
    tiny("hze-hilfeart", p.cell(HZE, 0, "hilfeart", "27.2"), "error", HZE, 2, "hilfeart"),
    tiny("hze-paragraph", p.cell(HZE, 0, "hilfeart", "§34"), "error", HZE, 2, "hilfeart"),
    tiny("hze-negative", p.cell(HZE, 0, "running", "-1"), "error", HZE, 2, "running"),
    tiny("hze-ended-too-many", p.cell(HZE, 73, "ended", "500"), "error", HZE, 75, "ended"),
    tiny(
        "hze-gap",
        p.keep_rows(
            HZE, lambda r: (r["year"], r["district"], r["hilfeart"]) != ("2018", "b", "p34")
        ),
        "error",
        HZE,
        None,
        "district",
    ),
    tiny("kita-age-group", p.cell(KIC, 0, "age_group", "krippe"), "error", KIC, 2, "age_group"),
    tiny("kita-more-than-children", p.cell(KIC, 2, "count", "900"), "error", KIC, None, "count"),
    tiny("kita-places-negative", p.cell(KIP, 0, "places_u3", "-3"), "error", KIP, 2, "places_u3"),
    tiny("kita-places-1e9", p.cell(KIP, 0, "places_u3", "1e9"), "error", KIP, 2, "places_u3"),
    tiny(
        "social-rate-percent",
        p.cells(SOC, "value", lambda v: f"{float(v) * 100:g}"),
        "error",
        SOC,
        2,
        "value",
    ),
    tiny(
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
    tiny("social-share-above-1", p.cell(SOC, 0, "value", "16"), "error", SOC, 2, "value"),
    tiny("social-decimal-comma", p.cell(SOC, 0, "value", "0,16"), "error", SOC, 2, "value"),
    tiny("social-unknown-district", p.cell(SOC, 0, "district", "d"), "error", SOC, 2, "district"),
    # --- files that would be ignored -------------------------------------------------------------
    tiny("unknown-xlsx", p.write("notizen.xlsx", b"PK"), "warning:unknown_file", "notizen.xlsx"),
    tiny("unknown-csv", p.write("extra.csv", "a,b\n1,2\n"), "warning:unknown_file", "extra.csv"),
    tiny("lookalike-csv", p.write("Population.csv", "x\n"), "error", "Population.csv"),
    tiny("dangling-other", p.symlink("alt.csv", "gone.csv"), "error", "alt.csv"),
    tiny(
        "housing-1e9",
        p.write("housing.csv", "year,district,dwellings\n2024,a,1000000000\n"),
        "error",
        "housing.csv",
        2,
        "dwellings",
    ),
    tiny(
        "control-10",
        p.write("control_totals.csv", "year,district,age_from,age_to,count\n2030,_city,,,10\n"),
        "warning:control_total",
        "control_totals.csv",
        2,
        "count",
    ),
    # --- German conventions declared in city.yaml: read, or refused cell by cell ---------------
    tiny(
        "german-mixed", p.both(p.german, p.text(SOC, "0,1600", "0.1600")), "error", SOC, 2, "value"
    ),
    tiny(
        "german-thousands",
        p.both(p.german, p.text(KIP, "36;100", "36;1.000.0")),
        "error",
        KIP,
        2,
        "places_ue3",
    ),
    tiny(
        "german-one-comma-file",
        p.both(p.german, p.raw(KIP, lambda b: b.replace(b";", b","))),
        "error",
        KIP,
        1,
    ),
    tiny("german-undeclared", p.both(p.german, p.text(YML, GERMAN, "")), "error", POP, 1),
    # --- variants that are no fault: read as the original ----------------------------------------
    tiny("ok-german", p.german, "ok", POP),
    tiny("ok-bom", p.raw(POP, lambda b: codecs.BOM_UTF8 + b), "ok", POP),
    tiny("ok-crlf", p.raw(BIR, lambda b: b.replace(b"\n", b"\r\n")), "ok", BIR),
    tiny("ok-blank-lines", p.raw(DEA, lambda b: b.replace(b"\n", b"\n\n", 3)), "ok", DEA),
    tiny(
        "ok-quoted",
        p.raw(SOC, lambda b: b.replace(b"sgb2_rate_u15", b'"sgb2_rate_u15"')),
        "ok",
        SOC,
    ),
    tiny("ok-parquet", p.to_parquet(MIG), "ok", MIG),
    tiny("ok-column-order", p.reverse_columns(KIP), "ok", KIP),
    tiny("ok-extra-column", p.add_column(HZE, "notes", ""), "ok", HZE),
    tiny("ok-spaces", p.cells(HZE, "district", lambda v: f" {v} "), "ok", HZE),
    # --- the embedded city ----------------------------------------------------------------------
    konstanz("k-pop-negative", p.cell(POP, 10, "count", "-1"), "error", POP, 12, "count"),
    konstanz(
        "k-pop-thousands",
        p.where(
            POP, {"year": "2015", "district": "altstadt", "sex": "f", "age": "30"}, "count", "0.075"
        ),
        "error",
        POP,
        None,
        "count",
    ),
    konstanz("k-births-thousands", p.cell(BIR, 5, "count", "0.7"), "error", BIR, 7, "count"),
    konstanz("k-births-1e20", p.cell(BIR, 5, "count", "1e20"), "error", BIR, 7, "count"),
    konstanz("k-deaths-beyond", p.cell(DEA, 5, "count", "500000"), "error", DEA, None, "count"),
    konstanz("k-migration-out", p.cell(MIG, 1, "count", "1000000"), "error", MIG, None, "count"),
    konstanz(
        "k-migration-direction", p.cell(MIG, 1, "direction", "fort"), "error", MIG, 3, "direction"
    ),
    konstanz("k-hze-hilfeart", p.cell(HZE, 0, "hilfeart", "p99"), "error", HZE, 2, "hilfeart"),
    konstanz("k-hze-duplicate", p.duplicate_row(HZE, 0), "error", HZE, 1802),
    konstanz("k-kita-setting", p.cell(KIC, 0, "setting", "krippe"), "error", KIC, 2, "setting"),
    konstanz("k-kita-header-only", p.header_only(KIC), "ok", KIC),
    konstanz(
        "k-yaml-exclude",
        p.text(YML, "exclude_years: [2020]", "exclude_years: [2002]"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    konstanz(
        "k-yaml-state",
        p.text(YML, "state: BW", "state: Baden-Württemberg"),
        "error",
        YML,
        4,
        "state",
    ),
    konstanz(
        "k-yaml-wirkungsraum",
        p.append(YML, "wirkungsraeume: {alle: [altstadt, paradis]}\n"),
        "error",
        YML,
        None,
        "wirkungsraeume",
    ),
    konstanz(
        "k-yaml-code",
        p.text(YML, "code: altstadt,", "code: alt stadt,"),
        "error",
        YML,
        None,
        "districts",
    ),
    konstanz("k-pop-german-file", p.rename(POP, "bevoelkerung.csv"), "error", "bevoelkerung.csv"),
    # --- Ganztag: catchment shares, forms, schools without an area -------------------------------
    tiny("gt-form-typo", p.cell(GTP, 1, "form", "Hort"), "error", GTP, 3, "form"),
    tiny("gt-places-negative", p.cell(GTP, 0, "places", "-5"), "error", GTP, 2, "places"),
    tiny("gt-school-unknown", p.cell(GTP, 2, "school", "gs_west"), "error", GTP, 4, "school"),
    tiny("gt-planned-2", p.cell(GTP, 4, "planned", "2"), "error", GTP, 6, "planned"),
    tiny("sd-share-percent", p.cell(SCD, 2, "share", "60"), "error", SCD, 4, "share"),
    tiny("sd-share-sum", p.cell(SCD, 1, "share", "0.5"), "error", SCD, 3, "share"),
    tiny("sd-district-unknown", p.cell(SCD, 0, "district", "x"), "error", SCD, 2, "district"),
    konstanz(
        "k-gt-school-name", p.cell(GTP, 0, "school", "Grundschule Mitte"), "error", GTP, 2, "school"
    ),
    konstanz("k-sd-share", p.cell(SCD, 0, "share", "1.5"), "error", SCD, 2, "share"),
]
FAULTS += CITY_YAML_FAULTS
