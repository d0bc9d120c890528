"""German CSV conventions: read correctly when city.yaml declares them, refused otherwise, never
half-read; and the fast number parser agrees with pandas'."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from forecast.citydata import load_city
from forecast.validate import check_city
from forecast.validate_table import parse_numbers
from tests.faults import plant


def problems(folder: Path) -> list[str]:
    return [str(p) for p in check_city(folder).problems]


def test_a_declared_german_export_reads_as_the_original(tinycity_dir, tinycity_copy) -> None:
    """Every CSV with ';' and decimal commas, counts with thousands points (8.100): the typed
    tables are exactly the original ones."""
    pop = tinycity_copy / "population.csv"
    frame = pd.read_csv(pop, dtype=str)
    frame.loc[0, "count"] = "8100"  # a count large enough for a thousands point
    frame.to_csv(pop, index=False)
    original = load_city(tinycity_copy).tables
    plant.german(tinycity_copy)
    text = pop.read_text(encoding="utf-8")
    assert text.startswith("year;district;sex;age;count\n2015;a;f;0;8100\n")
    pop.write_text(text.replace(";8100\n", ";8.100\n", 1), encoding="utf-8")
    assert "0,1600" in (tinycity_copy / "social.csv").read_text(encoding="utf-8")
    german = load_city(tinycity_copy)
    assert set(german.tables) == set(original)
    for stem, table in original.items():
        pd.testing.assert_frame_equal(german.tables[stem], table)


def test_undeclared_semicolons_say_how_to_declare_or_export(tinycity_copy) -> None:
    plant.separators("social.csv", ";", ",")(tinycity_copy)
    (found,) = problems(tinycity_copy)
    assert found.startswith("social.csv, row 1: the header has one column holding ';'")
    assert "csv: {sep: ';', decimal: ','}" in found and "CSV UTF-8" in found


def test_a_decimal_point_in_a_declared_decimal_comma_file_is_refused(tinycity_copy) -> None:
    plant.german(tinycity_copy)
    plant.text("social.csv", "0,0900", "0.09")(tinycity_copy)
    (found,) = problems(tinycity_copy)
    assert found.startswith("social.csv, row 3, column 'value': value '0.09': expected a number")
    assert "decimal comma" in found


def test_a_whole_number_with_a_point_is_neither_75_nor_75000(tinycity_copy) -> None:
    plant.cell("kita_places.csv", 0, "places_ue3", "1.000")(tinycity_copy)
    (found,) = problems(tinycity_copy)
    assert found.startswith("kita_places.csv, row 2, column 'places_ue3': value 1.000")
    assert "1000 (a German thousands point) or 1?" in found


def test_parquet_values_are_not_taken_for_thousands_points(tinycity_copy) -> None:
    """A typed float 75.0 in Parquet is 75: only text can carry a thousands point."""
    plant.to_parquet("kita_places.csv", lambda f: f.astype({"places_ue3": float}))(tinycity_copy)
    assert problems(tinycity_copy) == []
    places = load_city(tinycity_copy).table("kita_places")
    assert places["places_ue3"].tolist()[:3] == [100, 60, 40]


CELLS = st.one_of(
    st.sampled_from(["", "1", "-2", "1.5", "1e5", "+4", ".5", "inf", "nan", "1_000", "0x10"]),
    st.floats(allow_nan=False).map(repr),
    st.integers().map(str),
    st.text(st.sampled_from("0123456789.,+-eE_ xa"), max_size=8),
)


@given(st.lists(CELLS, min_size=1, max_size=20))
def test_parse_numbers_agrees_with_pandas(cells) -> None:
    text = pd.Series(cells, dtype="str").str.strip()
    expected = pd.to_numeric(text.where(text != "", None), errors="coerce").astype(float)
    np.testing.assert_array_equal(parse_numbers(text), expected.to_numpy())
