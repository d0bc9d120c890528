"""Faults planted in the tiny city's city.yaml (see ``tests/faults/catalogue.py``)."""

from __future__ import annotations

from tests.faults import plant as p
from tests.faults.fault import YML, Fault, tiny

CITY_YAML_FAULTS: list[Fault] = [
    # --- city.yaml -------------------------------------------------------------------------------
    tiny(
        "yaml-name-list",
        p.text(YML, "name: Tinycity", "name: [Tiny, city]"),
        "error",
        YML,
        2,
        "name",
    ),
    tiny("yaml-name-number", p.text(YML, "name: Tinycity", "name: 42"), "error", YML, 2, "name"),
    tiny(
        "yaml-licence-list",
        p.text(YML, "licence: CC0-1.0\n", "licence: [CC0]\n", 2),
        "error",
        YML,
        None,
        "licence",
    ),
    tiny(
        "yaml-ags-number", p.text(YML, 'ags: "00000000"', "ags: 5315000"), "error", YML, None, "ags"
    ),
    tiny("yaml-state-nrw", p.text(YML, "state: NW", "state: NRW"), "error", YML, 4, "state"),
    tiny(
        "yaml-code-path",
        p.text(YML, "code: a,", "code: ../../x/PWNED,"),
        "error",
        YML,
        6,
        "districts",
    ),
    tiny("yaml-code-slash", p.text(YML, "code: a,", "code: a/b,"), "error", YML, 6, "districts"),
    tiny("yaml-code-dot", p.text(YML, "code: a,", "code: .a,"), "error", YML, 6, "districts"),
    tiny("yaml-code-duplicate", p.text(YML, "code: b,", "code: a,"), "error", YML, 7, "districts"),
    tiny("yaml-code-city", p.text(YML, "code: c,", "code: _city,"), "error", YML, 8, "districts"),
    tiny(
        "yaml-district-name-list",
        p.text(YML, "name: Altstadt", "name: [x]"),
        "error",
        YML,
        6,
        "districts",
    ),
    tiny("yaml-districts-mapping", p.text(YML, "  - {code: a,", "  x: {code: a,"), "error", YML),
    tiny(
        "yaml-exclude-typo",
        p.append(YML, "exclude_year: [2018]\n"),
        "error",
        YML,
        13,
        "exclude_year",
    ),
    tiny(
        "yaml-exclude-unknown",
        p.append(YML, "exclude_years: [2102]\n"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    tiny(
        "yaml-exclude-text",
        p.append(YML, "exclude_years: '2018'\n"),
        "error",
        YML,
        None,
        "exclude_years",
    ),
    tiny(
        "yaml-unknown-key",
        p.append(YML, "bemerkung: test\n"),
        "warning:unknown_key",
        YML,
        13,
        "bemerkung",
    ),
    tiny(
        "yaml-accept-unknown",
        p.append(YML, "accept_warnings: [all]\n"),
        "error",
        YML,
        None,
        "accept_warnings",
    ),
    tiny(
        "yaml-wirkungsraum-unknown",
        p.append(YML, "wirkungsraeume: {n: [a, x], s: [b, c]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    tiny(
        "yaml-wirkungsraum-twice",
        p.append(YML, "wirkungsraeume: {n: [a, b], s: [b, c]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    tiny(
        "yaml-wirkungsraum-missing",
        p.append(YML, "wirkungsraeume: {n: [a, b]}\n"),
        "error",
        YML,
        13,
        "wirkungsraeume",
    ),
    tiny("yaml-csv-bad", p.append(YML, "csv: {sep: '|'}\n"), "error", YML, 13, "csv"),
    tiny("yaml-syntax", p.append(YML, "name: [Tiny\n"), "error", YML),
    tiny("yaml-not-mapping", p.write(YML, "- a\n- b\n"), "error", YML),
    tiny("yaml-missing", p.remove(YML), "error", YML),
    tiny("yaml-dangling", p.symlink(YML, "gone.yaml"), "error", YML),
    tiny("yaml-latin1", p.raw(YML, lambda b: b.decode().encode("latin-1")), "error", YML),
]
