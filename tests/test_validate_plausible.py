"""Plausibility checks: impossible values are errors, suspicious ones warnings, each at its row.

Every test plants one fault in a copy of Tinycity and asserts where it is reported (file, line as
a text editor shows it, column). The real folders (Tinycity, Konstanz, the validation beds) must
stay free of errors and warnings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.citydata import load_city
from forecast.problems import ERROR, WARNING
from forecast.validate import check_city
from tests.test_validate import read_lines, set_cell, where, write_lines

ROOT = Path(__file__).resolve().parents[1]
REAL = [
    ROOT / "tests" / "data" / "tinycity",
    ROOT / "data" / "konstanz",
    *sorted(p.parent for p in (ROOT / "validation" / "data").glob("*/city.yaml")),
]


def line_of(file: Path, prefix: str) -> int:
    """Line number (header = 1) of the first line starting with ``prefix``."""
    return next(i for i, text in enumerate(read_lines(file), start=1) if text.startswith(prefix))


def errors(folder: Path) -> dict:
    return {(p.file, p.row, p.column): p.message for p in check_city(folder).problems}


def warnings(folder: Path) -> dict:
    """(file, row, column) -> the warning there; at most one each (else the test says so)."""
    found = check_city(folder).warnings
    assert len(where(found)) == len(found), [str(p) for p in found]
    return {(p.file, p.row, p.column): p for p in found}


def edit_yaml(folder: Path, **keys) -> None:
    meta = yaml.safe_load((folder / "city.yaml").read_text())
    meta.update(keys)
    (folder / "city.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))


def city_flows(folder: Path, stem: str, counts: dict[int, int]) -> Path:
    """Replace a flow file by whole-city rows (no sex, no age): year -> count."""
    file = folder / f"{stem}.csv"
    header = read_lines(file)[0]
    rows = []
    for year, count in counts.items():
        cells = {"year": str(year), "district": "_city", "count": str(count)}
        rows.append(",".join(cells.get(c, "") for c in header.split(",")))
    write_lines(file, [header, *rows])
    return file


# --- real data stay clean -----------------------------------------------------------------------


@pytest.mark.parametrize("folder", REAL, ids=lambda p: p.name)
def test_real_folders_have_neither_errors_nor_warnings(folder: Path) -> None:
    check = check_city(folder)
    assert check.problems == []
    assert check.warnings == []


# --- errors: values that cannot be right --------------------------------------------------------


@pytest.mark.parametrize("value", ["1e20", "1000000000000", "100000001"])
def test_a_count_beyond_one_hundred_million_is_an_error(tinycity_copy: Path, value: str) -> None:
    file = tinycity_copy / "population.csv"
    set_cell(file, 17, "count", value)
    found = errors(tinycity_copy)
    assert set(found) == {("population.csv", 17, "count")}  # reported once, nothing follows
    assert f"value {value}: larger than 100,000,000" in found["population.csv", 17, "count"]
    if value == "1e20":
        assert "negative count" in found["population.csv", 17, "count"]


def test_planned_dwellings_of_a_billion_are_an_error(tinycity_copy: Path) -> None:
    write_lines(tinycity_copy / "housing.csv", ["year,district,dwellings", "2030,a,1000000000"])
    assert set(errors(tinycity_copy)) == {("housing.csv", 2, "dwellings")}


@pytest.mark.parametrize(
    ("stem", "key", "value", "texts"),
    [
        ("births", "2020,b,30,f,", "5000", ("women aged 15-49", "at most one birth per woman")),
        ("deaths", "2020,a,f,50,", "900", ("district 'a', women, age 50", "31.12.2019")),
        ("migration", "2021,c,m,20,out,", "700", ("departures (direction out)",)),
    ],
)
def test_a_flow_above_the_persons_it_comes_from_is_an_error(
    tinycity_copy: Path, stem: str, key: str, value: str, texts: tuple[str, ...]
) -> None:
    file = tinycity_copy / f"{stem}.csv"
    line = line_of(file, key)
    set_cell(file, line, "count", value)
    found = errors(tinycity_copy)
    assert set(found) == {(f"{stem}.csv", line, "count")}
    assert all(text in found[f"{stem}.csv", line, "count"] for text in texts)


def test_arrivals_are_not_bounded_by_the_population(tinycity_copy: Path) -> None:
    file = tinycity_copy / "migration.csv"
    set_cell(file, line_of(file, "2021,c,m,20,in,"), "count", "700")
    assert errors(tinycity_copy) == {}


def test_moves_out_of_a_district_above_its_population(tinycity_copy: Path) -> None:
    lines = ["year,from_district,to_district,sex,age,count", "2020,a,b,f,30,5"]
    lines += ["2020,c,a,m,40,400", "2020,c,b,m,40,400"]  # 800 together; c has ~15 men aged 40
    write_lines(tinycity_copy / "moves.csv", lines)
    found = errors(tinycity_copy)
    assert set(found) == {("moves.csv", 3, "count")}  # the first of the two largest rows
    assert "800 moves out of the district" in found["moves.csv", 3, "count"]


@pytest.mark.parametrize(("value", "percent"), [("-0.1", False), ("16", True), ("1.5", True)])
def test_a_share_outside_zero_and_one(tinycity_copy: Path, value: str, percent: bool) -> None:
    file = tinycity_copy / "social.csv"
    set_cell(file, 3, "value", value)  # sgb2_rate_u15: 'rate' is a word of the name
    found = errors(tinycity_copy)
    assert set(found) == {("social.csv", 3, "value")}
    assert ("looks like percent" in found["social.csv", 3, "value"]) == percent


def test_a_contract_rate_column_in_percent(tinycity_copy: Path) -> None:
    lines = ["mother_age,asfr", *(f"{a},0.04" for a in range(15, 50))]
    write_lines(tinycity_copy / "fertility.csv", lines)
    set_cell(tinycity_copy / "fertility.csv", 12, "asfr", "16")
    found = errors(tinycity_copy)
    assert set(found) == {("fertility.csv", 12, "asfr")}
    assert "looks like percent" in found["fertility.csv", 12, "asfr"]


def test_overflowing_assumption_is_an_error(tinycity_copy: Path) -> None:
    lines = ["year,district,sex,quantity,value", "2030,_city,,net_migration,1e12"]
    write_lines(tinycity_copy / "assumptions.csv", lines)
    assert set(errors(tinycity_copy)) == {("assumptions.csv", 2, "value")}


# --- warnings: suspicious, possibly right ---------------------------------------------------------


def test_a_district_that_grows_tenfold(tinycity_copy: Path) -> None:
    file = tinycity_copy / "population.csv"
    pop = pd.read_csv(file, dtype={"district": str})
    rows = (pop["year"] == 2020) & (pop["district"] == "c")
    pop.loc[rows, "count"] *= 12  # 1,480 at 31.12.2019, then 17,736, then 1,474 in 2021
    pop.to_csv(file, index=False)
    top = pop[rows]["count"].max()
    largest = {int(i) + 2 for i in pop.index[rows & (pop["count"] == top)]}  # ties: any of them
    jumps = [p for p in check_city(tinycity_copy).warnings if p.check == "jump"]
    assert len(jumps) == 2  # up into 2020, down into 2021
    assert {(p.file, p.column) for p in jumps} == {("population.csv", "count")}
    problem = next(p for p in jumps if p.row in largest)
    assert problem.severity == WARNING
    assert "district 'c'" in problem.message and "31.12.2020" in problem.message
    assert errors(tinycity_copy) == {}
    load_city(tinycity_copy)  # a warning never stops the loader


def test_a_count_with_a_thousands_separator(tinycity_copy: Path) -> None:
    lines = ["year,age_from,age_to,count", "2023,,,8100", "2024,,,8.000", "2025,,,8200"]
    write_lines(tinycity_copy / "control_totals.csv", lines)
    # As written, 8.000 is 8 or 8,000: refused (tests/test_validate_dialect.py).
    assert set(errors(tinycity_copy)) == {("control_totals.csv", 3, "count")}
    lines[2] = "2024,,,8"  # the separator lost before the file was written: 8
    write_lines(tinycity_copy / "control_totals.csv", lines)
    checks = {p.check for p in check_city(tinycity_copy).warnings if p.row == 3}
    assert checks == {"thousands", "control_total"}
    message = next(p.message for p in check_city(tinycity_copy).warnings if p.check == "thousands")
    assert "value 8 in 2024" in message and "'75.000' read as 75" in message


def test_a_thousands_separator_in_the_register(tinycity_copy: Path) -> None:
    file = tinycity_copy / "population.csv"
    pop = pd.read_csv(file, dtype={"district": str})
    cell = (pop["district"] == "a") & (pop["sex"] == "f") & (pop["age"] == 30)
    pop.loc[cell, "count"] = np.where(pop.loc[cell, "year"] == 2019, 75, 75000)
    pop.to_csv(file, index=False)
    line = int(pop.index[cell & (pop["year"] == 2019)][0]) + 2
    found = check_city(tinycity_copy).warnings
    assert ("population.csv", line, "count", "thousands") in {
        (*w, p.check) for p in found for w in where([p])
    }


@pytest.mark.parametrize(("count", "bad"), [(500, True), (700, True), (8100, False)])
def test_a_control_total_far_below_the_register(tinycity_copy: Path, count: int, bad: bool) -> None:
    write_lines(
        tinycity_copy / "control_totals.csv", ["year,age_from,age_to,count", f"2025,,,{count}"]
    )
    found = warnings(tinycity_copy)
    assert (("control_totals.csv", 2, "count") in found) == bad
    if bad:
        assert found["control_totals.csv", 2, "count"].check == "control_total"


def test_an_age_range_control_total_is_compared_with_the_same_ages(tinycity_copy: Path) -> None:
    lines = ["year,age_from,age_to,count", "2022,0,5,12", "2022,6,100,7900"]
    write_lines(tinycity_copy / "control_totals.csv", lines)
    assert set(warnings(tinycity_copy)) == {("control_totals.csv", 2, "count")}


@pytest.mark.parametrize(
    ("flow", "year", "count", "line", "check", "text"),
    [
        ("births", 2020, 400, 6, "tfr", "imply a TFR of"),  # five times the usual births
        ("deaths", 2018, 8, 4, "e0", "life expectancy at birth"),  # a tenth of the usual deaths
    ],
)
def test_flows_that_imply_an_impossible_tfr_or_life_expectancy(
    tinycity_copy: Path, flow: str, year: int, count: int, line: int, check: str, text: str
) -> None:
    city_flows(tinycity_copy, flow, {y: 80 for y in range(2016, 2023)} | {year: count})
    found = warnings(tinycity_copy)
    assert set(found) == {(f"{flow}.csv", line, "count")}
    assert found[f"{flow}.csv", line, "count"].check == check
    assert text in found[f"{flow}.csv", line, "count"].message


def test_a_social_indicator_in_percent(tinycity_copy: Path) -> None:
    file = tinycity_copy / "social.csv"
    lines = read_lines(file)
    lines += [
        f"{y},{d},unemployed_pct,{v}"
        for y in (2020, 2021)
        for d, v in zip("abc", (7, 9, 4), strict=True)
    ]
    write_lines(file, lines)
    found = warnings(tinycity_copy)
    assert set(found) == {("social.csv", 50, "value")}
    assert found["social.csv", 50, "value"].check == "percent"


# --- accepting warnings ---------------------------------------------------------------------------


def test_accepted_warnings_are_kept_apart(tinycity_copy: Path) -> None:
    city_flows(tinycity_copy, "deaths", {y: 80 for y in range(2016, 2023)} | {2018: 8})
    edit_yaml(tinycity_copy, accept_warnings=["e0"])
    check = check_city(tinycity_copy)
    assert check.problems == [] and check.warnings == []
    assert where(check.accepted) == {("deaths.csv", 4, "count")}
    assert check.accepted[0].severity == WARNING


def test_an_unknown_warning_name_is_an_error(tinycity_copy: Path) -> None:
    edit_yaml(tinycity_copy, accept_warnings=["jumps"])
    found = check_city(tinycity_copy).problems
    assert where(found) == {("city.yaml", None, "accept_warnings")}
    assert found[0].severity == ERROR and "jump = " in found[0].message


def test_exclude_years_must_name_register_years(tinycity_copy: Path) -> None:
    yaml_file = tinycity_copy / "city.yaml"
    yaml_file.write_text(
        yaml_file.read_text(encoding="utf-8") + "exclude_years: [2019, 2091]\n", encoding="utf-8"
    )
    problems = [p for p in check_city(tinycity_copy).problems if p.column == "exclude_years"]
    assert [p.message for p in problems] == [
        "2091 is not a year of population.csv (2015..2022): expected register years only"
    ]
