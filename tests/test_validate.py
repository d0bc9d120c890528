"""Validation and loading of a city folder: the clean test city, planted errors, the report cap."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.citydata import CityData, load_city
from forecast.validate import MAX_REPORTS, InputDataError, Problem, check_city, validate_city
from forecast.validate_city_yaml import DISTRICT_CODE

# --- helpers: edit a CSV by line number as a text editor shows it (header = line 1) ------------


def read_lines(file: Path) -> list[str]:
    return file.read_text(encoding="utf-8").splitlines()


def write_lines(file: Path, lines: list[str]) -> None:
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_cell(file: Path, line: int, column: str, value: str) -> None:
    lines = read_lines(file)
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    write_lines(file, lines)


def where(problems: list[Problem]) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in problems}


def life_table_lines(bump_line: int | None = None) -> list[str]:
    """A plausible life table (Gompertz mortality) as CSV lines; optionally raise lx at one line."""
    lines = ["sex,age,qx,lx,Lx"]
    for b in (1e-5, 2e-5):
        qx = np.minimum(1 - np.exp(-(1e-4 + b * np.exp(0.1 * np.arange(101)))), 1.0)
        qx[-1] = 1.0
        lx = 100000 * np.concatenate([[1.0], np.cumprod(1 - qx[:-1])])
        Lx = np.append((lx[:-1] + lx[1:]) / 2, lx[-1] * 1.8)  # open group: T(100)
        sex = "f" if b < 1.5e-5 else "m"
        lines += [f"{sex},{a},{qx[a]:.6f},{lx[a]:.1f},{Lx[a]:.1f}" for a in range(101)]
    if bump_line is not None:
        cells = lines[bump_line - 1].split(",")
        cells[3] = "100000.0"
        lines[bump_line - 1] = ",".join(cells)
    return lines


# --- the clean test city -------------------------------------------------------------------------


def test_tinycity_validates_clean(tinycity_dir: Path) -> None:
    assert validate_city(tinycity_dir) == []


def test_tinycity_loads_typed(tinycity_dir: Path) -> None:
    city = load_city(tinycity_dir)
    assert isinstance(city, CityData)
    assert (city.name, city.ags, city.district_codes) == ("Tinycity", "00000000", ("a", "b", "c"))
    assert [d.sozialraum for d in city.districts] == ["nord", "nord", "sued"]
    stems = {"population", "births", "deaths", "migration", "kita_children", "kita_places"}
    stems |= {"hze_cases", "social", "school_districts", "ganztag_places"}
    assert set(city.tables) == stems
    assert set(city.files) == {"city.yaml"} | {f"{stem}.csv" for stem in stems}
    pop = city.table("population")
    assert list(pop.columns) == ["year", "district", "sex", "age", "count"]
    assert pop["year"].dtype == np.int64 and pop["count"].dtype == np.int64
    assert pop["age"].dtype == "Int64" and pop["district"].dtype == object
    assert pop.equals(pop.sort_values(["year", "district", "sex", "age"]).reset_index(drop=True))
    assert len(pop) == 8 * 3 * 2 * 101
    assert city.table("births")["mother_age"].dtype == "Int64"
    assert set(city.table("migration")["direction"]) == {"in", "out"}
    assert city.has("births") and not city.has("moves")
    with pytest.raises(KeyError, match="moves"):
        city.table("moves")


def test_tinycity_accounting_identity_holds_exactly(tinycity_dir: Path) -> None:
    """P(t, x) = P(t-1, x-1) - deaths(t, x-1) - out(t, x) + in(t, x), cell by cell (see README)."""
    city = load_city(tinycity_dir)

    def cube(stem: str, **match: str) -> np.ndarray:
        frame = city.table(stem)
        for column, value in match.items():
            frame = frame[frame[column] == value]
        counts = frame.groupby(["year", "district", "sex", "age"])["count"].sum()
        return counts.unstack("age").to_numpy().reshape(-1, 3, 2, 101)

    pop, deaths = cube("population"), cube("deaths")
    arrivals, departures = cube("migration", direction="in"), cube("migration", direction="out")
    births = city.table("births").groupby(["year", "district", "sex"])["count"].sum().to_numpy()
    cohort = np.zeros_like(pop[1:])
    alive = pop[:-1] - deaths
    cohort[..., 1:] = alive[..., :-1]
    cohort[..., -1] += alive[..., -1]
    cohort[..., 0] = births.reshape(-1, 3, 2)
    np.testing.assert_array_equal(pop[1:], cohort - departures + arrivals)
    totals = pop.sum(axis=(2, 3))
    np.testing.assert_array_equal(totals[0], [4000, 2500, 1500])
    assert np.all(np.abs(totals / totals[0] - 1) < 0.05)  # a stable town, as intended


def test_tinycity_files_match_generator(tinycity_dir: Path, tmp_path: Path) -> None:
    """The register, the Kita files and the HzE files are each rebuilt by their generator."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(name, tinycity_dir.parent / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    load("make_tinycity").make_tinycity(tmp_path)
    load("make_tinycity_kita").make_tinycity_kita(tmp_path)
    load("make_tinycity_hze").make(tmp_path)
    for file in tinycity_dir.iterdir():
        assert (tmp_path / file.name).read_bytes() == file.read_bytes(), file.name


# --- planted errors ------------------------------------------------------------------------------


@pytest.fixture
def broken_city(tinycity_copy: Path) -> tuple[Path, set[tuple[str, int | None, str | None]]]:
    """Tinycity with one planted error of each sort, and where each should be reported."""
    d = tinycity_copy
    set_cell(d / "population.csv", 17, "count", "-3")
    set_cell(d / "population.csv", 18, "count", "2.5")
    set_cell(d / "population.csv", 120, "age", "101")
    set_cell(d / "population.csv", 200, "sex", "x")
    set_cell(d / "migration.csv", 10, "count", "viele")
    set_cell(d / "births.csv", 50, "district", "z")
    migration = read_lines(d / "migration.csv")
    write_lines(d / "migration.csv", migration + [migration[1]])  # duplicate of line 2
    births = read_lines(d / "births.csv")
    write_lines(d / "births.csv", [line for line in births if not line.startswith("2018,")])
    pd.read_csv(d / "deaths.csv").drop(columns="count").to_csv(d / "deaths.csv", index=False)
    write_lines(
        d / "social.csv",
        [
            "year,district,indicator,value",
            "2020,a,sgb2_rate_u15,0.12",
            "2020,b,single_parent_share,1.5",
        ],
    )
    write_lines(d / "life_table.csv", life_table_lines(bump_line=42))
    city_yaml = (d / "city.yaml").read_text(encoding="utf-8")
    (d / "city.yaml").write_text(city_yaml.replace('ags: "00000000"\n', ""), encoding="utf-8")
    expected = {
        ("population.csv", 17, "count"),
        ("population.csv", 18, "count"),
        ("population.csv", 120, "age"),
        ("population.csv", 200, "sex"),
        ("migration.csv", 10, "count"),
        ("births.csv", 50, "district"),
        ("migration.csv", len(migration) + 1, None),
        ("births.csv", None, "year"),
        ("deaths.csv", None, "count"),
        ("social.csv", 3, "value"),
        ("life_table.csv", 42, "lx"),
        ("city.yaml", None, "ags"),
    }
    return d, expected


def test_each_planted_error_is_reported(broken_city) -> None:
    path, expected = broken_city
    problems = validate_city(path)
    assert expected <= where(problems)
    assert all("expected" in p.message for p in problems)
    by_place = {(p.file, p.row, p.column): p.message for p in problems}
    assert by_place[("population.csv", 17, "count")] == "value -3: expected a whole number >= 0"
    assert by_place[("migration.csv", 8486, None)].startswith("duplicate of row 2: ")
    assert "2018" in by_place[("births.csv", None, "year")]
    assert "'z'" in by_place[("births.csv", 50, "district")]
    # The planted age and sex leave holes in the population grid of 2015, district 'a'.
    assert any(p.row is None and "year 2015, district 'a'" in p.message for p in problems)


def test_load_city_raises_with_every_problem(broken_city) -> None:
    path, expected = broken_city
    with pytest.raises(InputDataError) as info:
        load_city(path)
    assert expected <= where(info.value.problems)
    text = str(info.value)
    assert text.splitlines()[0] == f"{len(info.value.problems)} problems in the city data:"
    assert "population.csv, row 17, column 'count': value -3: expected a whole number >= 0" in text


def test_missing_population_is_reported(tinycity_copy: Path) -> None:
    (tinycity_copy / "population.csv").unlink()
    (tinycity_copy / "populaton.csv").write_text("year\n", encoding="utf-8")
    problems = validate_city(tinycity_copy)
    assert ("population.csv", None, None) in where(problems)
    assert any(p.file == "populaton.csv" and "population.csv" in p.message for p in problems)


def test_more_file_level_problems(tinycity_copy: Path) -> None:
    d = tinycity_copy
    pd.read_csv(d / "births.csv").to_parquet(d / "births.parquet")
    (d / "city.yaml").write_text("name: [Tinycity\n", encoding="utf-8")
    (d / "kita_places.csv").write_text(
        "year;district;places_u3;places_ue3\n2020;a;1;2\n", encoding="utf-8"
    )
    problems = validate_city(d)
    assert any("births.csv and births.parquet" in p.message for p in problems)
    assert any(p.file == "city.yaml" and p.row == 2 and "YAML" in p.message for p in problems)
    assert ("kita_places.csv", 1, None) in where(problems)


def test_parquet_rows_are_index_plus_two(tinycity_copy: Path) -> None:
    frame = pd.read_csv(tinycity_copy / "population.csv")
    frame.loc[10, "count"] = -1
    (tinycity_copy / "population.csv").unlink()
    frame.to_parquet(tinycity_copy / "population.parquet")
    assert where(validate_city(tinycity_copy)) == {("population.parquet", 12, "count")}


def test_city_yaml_and_rules(tinycity_copy: Path) -> None:
    d = tinycity_copy
    text = (d / "city.yaml").read_text(encoding="utf-8")
    text = text.replace('ags: "00000000"', "ags: 05315000").replace("code: c,", "code: b,")
    (d / "city.yaml").write_text(text, encoding="utf-8")
    write_lines(
        d / "hze_cases.csv",
        ["year,district,hilfeart,begun,ended,running", "2020,a,p34,3,2,10", "2021,a,p34,1,20,5"],
    )
    lines = life_table_lines()
    lines[101] = lines[101].replace(",1.000000,", ",0.500000,")  # f, age 100
    cells = lines[11].split(",")  # f, age 10: Lx above lx
    lines[11] = ",".join([*cells[:4], str(float(cells[3]) + 1)])
    write_lines(d / "life_table.csv", lines)
    write_lines(d / "fertility.csv", ["mother_age,asfr", *(f"{a},0.04" for a in range(15, 49))])
    set_cell(d / "deaths.csv", 5, "sex", "F")
    problems = {(p.file, p.row, p.column): p.message for p in validate_city(d)}
    assert "8 digits in quotes" in problems[("city.yaml", None, "ags")]
    assert "duplicate district code 'b'" in problems[("city.yaml", 8, "districts")]
    assert "previous year" in problems[("hze_cases.csv", 3, "ended")]
    assert "expected 1" in problems[("life_table.csv", 102, "qx")]
    assert "expected Lx <= lx" in problems[("life_table.csv", 12, "Lx")]
    assert problems[("fertility.csv", None, None)].startswith("1 of 35 rows missing (e.g. 49)")
    assert problems[("deaths.csv", 5, "sex")].endswith("(did you mean 'f'?)")


def test_population_grid_and_empty_district(tinycity_copy: Path) -> None:
    lines = read_lines(tinycity_copy / "population.csv")
    # Drop 12 rows of 2015/b; set every count of 2016/c to 0.
    dropped = [
        line for line in lines if line.startswith("2015,b,f,") and int(line.split(",")[3]) < 12
    ]
    kept = [line for line in lines if line not in dropped]
    kept = [
        ",".join([*line.split(",")[:4], "0"]) if line.startswith("2016,c,") else line
        for line in kept
    ]
    write_lines(tinycity_copy / "population.csv", kept)
    messages = [p.message for p in validate_city(tinycity_copy)]
    assert any(
        m.startswith("year 2015, district 'b': 12 of 202 sex×age rows missing (e.g. f/0,")
        for m in messages
    )
    assert any("year 2016, district 'c': total population is 0" in m for m in messages)


def test_city_rows_only_where_allowed(tinycity_copy: Path) -> None:
    births = read_lines(tinycity_copy / "births.csv")
    write_lines(tinycity_copy / "births.csv", [*births, "2016,_city,,,5"])  # all ages, both sexes
    set_cell(tinycity_copy / "population.csv", 30, "district", "_city")
    assert where(validate_city(tinycity_copy)) >= {("population.csv", 30, "district")}
    assert not any(p.file == "births.csv" for p in validate_city(tinycity_copy))
    set_cell(tinycity_copy / "population.csv", 30, "district", "a")
    row = load_city(tinycity_copy).table("births").iloc[-1]
    assert row["sex"] is None and row["mother_age"] is pd.NA and row["count"] == 5


def test_header_only_optional_file_counts_as_absent(tinycity_copy: Path) -> None:
    write_lines(tinycity_copy / "social.csv", ["year,district,indicator,value"])
    assert validate_city(tinycity_copy) == []
    assert not load_city(tinycity_copy).has("social")


def test_restrict_to_cuts_years(tinycity_dir: Path) -> None:
    city = load_city(tinycity_dir).restrict_to(2018)
    assert city.table("population")["year"].max() == 2018
    assert city.table("births")["year"].max() == 2018
    with pytest.raises(ValueError, match="population"):
        city.restrict_to(2010)


def test_problem_str() -> None:
    problem = Problem("population.csv", 17, "count", "value -3: expected a whole number >= 0")
    assert (
        str(problem)
        == "population.csv, row 17, column 'count': value -3: expected a whole number >= 0"
    )
    assert str(Problem("city.yaml", None, "ags", "missing")) == "city.yaml, key 'ags': missing"


# --- property: a single bad count is pinned to its line and column -------------------------------


@pytest.fixture(scope="module")
def population_only(tmp_path_factory, tinycity_dir: Path) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("popcity")
    shutil.copy(tinycity_dir / "city.yaml", folder)
    shutil.copy(tinycity_dir / "population.csv", folder)
    return folder, read_lines(folder / "population.csv")


bad_counts = st.one_of(
    st.integers(min_value=-(10**6), max_value=-1).map(str),
    st.floats(min_value=-1e5, max_value=1e5, allow_nan=False)
    .filter(lambda x: x != int(x))
    .map(repr),
)


@settings(max_examples=25, deadline=None)
@given(line=st.integers(min_value=2, max_value=8 * 3 * 2 * 101 + 1), value=bad_counts)
def test_single_bad_count_names_its_line(population_only, line: int, value: str) -> None:
    folder, lines = population_only
    cells = lines[line - 1].split(",")
    write_lines(
        folder / "population.csv",
        [*lines[: line - 1], ",".join([*cells[:4], value]), *lines[line:]],
    )
    problems = validate_city(folder)
    assert where(problems) == {("population.csv", line, "count")}
    assert value in problems[0].message


# --- the cap ------------------------------------------------------------------------------------


def test_report_is_capped_but_counts_the_rest(tinycity_copy: Path) -> None:
    lines = read_lines(tinycity_copy / "population.csv")
    lines[1:1001] = [",".join([*line.split(",")[:4], "-1"]) for line in lines[1:1001]]
    write_lines(tinycity_copy / "population.csv", lines)
    problems = [p for p in validate_city(tinycity_copy) if p.column == "count"]
    assert len(problems) == MAX_REPORTS + 1
    assert [p.row for p in problems[:MAX_REPORTS]] == list(range(2, 2 + MAX_REPORTS))
    assert problems[-1].message == f"... and {1000 - MAX_REPORTS} more rows with the same problem"


@pytest.mark.parametrize("code", ["../../x/PWNED", "a/b", "a\\b", ".hidden", "a b", "x\x01y"])
def test_district_code_that_could_be_a_path_is_refused(tinycity_copy: Path, code: str) -> None:
    """Codes name figure files; one that is a path or hides a file never reaches a run."""
    file = tinycity_copy / "city.yaml"
    file.write_text(
        file.read_text(encoding="utf-8").replace("code: c,", f"code: {json.dumps(code)},"),
        encoding="utf-8",
    )
    problems = {(p.file, p.row, p.column): p.message for p in validate_city(tinycity_copy)}
    assert "expected letters, digits" in problems[("city.yaml", 8, "districts")]


def test_every_shipped_city_has_safe_codes() -> None:
    root = Path(__file__).resolve().parents[1]
    folders = [p.parent for p in root.glob("*/**/city.yaml") if ".venv" not in p.parts]
    assert len(folders) >= 5
    for folder in folders:
        meta = yaml.safe_load((folder / "city.yaml").read_text(encoding="utf-8"))
        bad = [d["code"] for d in meta["districts"] if not DISTRICT_CODE.fullmatch(str(d["code"]))]
        assert not bad, f"{folder}: {bad}"


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("geburten.csv", "births"),
        ("Sterbefälle.csv", "deaths"),
        ("Bevölkerung_2024.csv", "population"),
    ],
)
def test_a_german_file_name_is_an_error_naming_the_contract_file(
    tinycity_copy: Path, name: str, meant: str
) -> None:
    (tinycity_copy / f"{meant}.csv").rename(tinycity_copy / name)
    problems = {p.file: p.message for p in validate_city(tinycity_copy)}
    assert f"did you mean '{meant}.csv'?" in problems[name]


def test_an_unknown_table_file_is_a_warning(tinycity_copy: Path) -> None:
    (tinycity_copy / "notizen.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    check = check_city(tinycity_copy)
    assert not check.problems
    (warning,) = check.warnings
    assert warning.file == "notizen.csv" and warning.check == "unknown_file"
