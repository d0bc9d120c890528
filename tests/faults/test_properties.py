"""Property tests: random well-formed changes of the tiny city never crash check-data; random
malformed cells never pass (exit 1, an error naming the file, row and column).

The strategies draw a file, a data row, a column and a value; the value is valid (well-formed
property: any outcome but a traceback or a write) or invalid for the column's kind (malformed).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.contract import CONTRACT
from tests.faults import plant as p
from tests.faults.harness import CITIES, check

TINY = CITIES["tiny"]
FILES = sorted(f.stem for f in TINY.glob("*.csv"))
ROWS = {stem: sum(1 for _ in open(TINY / f"{stem}.csv", encoding="utf-8")) - 1 for stem in FILES}
CODES = ("a", "b", "c")
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüß_-."), min_size=1, max_size=8)


def valid_value(kind: str, nullable: bool):
    """A value a cell of this kind may hold (it may still fail a rule between cells)."""
    values = {
        "year": st.integers(2015, 2022).map(str),
        "count": st.integers(0, 30).map(str),
        "int": st.integers(0, 30).map(str),
        "age": st.integers(0, 100).map(str),
        "mother_age": st.integers(15, 49).map(str),
        "float": st.floats(0, 1, allow_nan=False).map(lambda v: f"{v:.4f}"),
        "rate": st.floats(0, 1, allow_nan=False).map(lambda v: f"{v:.4f}"),
        "sex": st.sampled_from(["f", "m"]),
        "district": st.sampled_from(CODES),
        "direction": st.sampled_from(["in", "out"]),
        "hilfeart": st.sampled_from(["p28", "p34", "p41"]),
    }.get(kind, WORD)
    return st.one_of(values, st.just("")) if nullable else values


BAD_KINDS = (
    "year", "count", "int", "age", "mother_age", "float", "rate", "sex", "district", "direction",
    "hilfeart",
)  # fmt: skip
"""Column kinds whose invalid values the malformed strategy draws (free text has none)."""


def invalid_value(kind: str, nullable: bool):
    """A value no cell of this kind may hold."""
    text = WORD.filter(lambda w: any(c.isalpha() for c in w) and w not in ("nan", "inf"))
    bad = {
        "year": st.one_of(st.integers(1000, 1899), st.integers(2101, 9999)).map(str),
        "count": st.one_of(
            st.integers(max_value=-1).map(str),
            st.sampled_from(["1.5", "1e9", "75.000", "1,5", "inf", "-0.5"]),
        ),
        "int": st.sampled_from(["1.5", "1e9", "1,5"]),
        "age": st.one_of(st.integers(101, 999), st.integers(max_value=-1)).map(str),
        "mother_age": st.one_of(st.integers(0, 14), st.integers(50, 99)).map(str),
        "float": st.sampled_from(["0,16", "inf"]),
        "rate": st.sampled_from(["16", "-0.1", "1,5"]),
        "sex": text.filter(lambda w: w not in ("f", "m")),
        "district": text.filter(lambda w: w not in CODES and w != "_city"),
        "direction": text.filter(lambda w: w not in ("in", "out")),
        "hilfeart": text.filter(lambda w: not w.startswith("p")),
    }[kind]
    if kind in ("count", "int", "age", "mother_age", "year", "float", "rate"):
        bad = st.one_of(bad, text)
    return bad if nullable else st.one_of(bad, st.just(""))


@st.composite
def planted_cell(draw, valid: bool):
    stem = draw(st.sampled_from(FILES))
    columns = [c for c in CONTRACT[stem].columns if valid or c.kind in BAD_KINDS]
    col = draw(st.sampled_from(columns))
    make = valid_value if valid else invalid_value
    value = draw(make(col.kind, col.nullable).filter(lambda v: v.strip() == v))
    row = draw(st.integers(0, ROWS[stem] - 1))
    return f"{stem}.csv", row, col.name, value


def check_planted(planter):
    with tempfile.TemporaryDirectory() as tmp:
        city = Path(tmp) / "city"
        shutil.copytree(TINY, city, ignore=shutil.ignore_patterns("*.md"))
        planter(city)
        return check(city)


@SETTINGS
@given(cells=st.lists(planted_cell(valid=True), min_size=1, max_size=4))
def test_well_formed_changes_never_crash(cells) -> None:
    outcome = check_planted(p.both(*(p.cell(*c) for c in cells)))
    assert not outcome.traceback, outcome.traceback
    assert outcome.written == []
    assert outcome.exit in (0, 1)


@SETTINGS
@given(cell=planted_cell(valid=False))
def test_malformed_cells_never_pass(cell) -> None:
    name, row, column, value = cell
    outcome = check_planted(p.cell(*cell))
    assert not outcome.traceback, outcome.traceback
    assert outcome.exit == 1, (cell, outcome.warnings)
    place = (name, f"row {row + 2}", f"column '{column}'")
    assert any(all(part in line for part in place) for line in outcome.errors), (
        cell,
        outcome.errors[:5],
    )
