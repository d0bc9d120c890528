"""check-data at scale: the array machinery behind the checks gives the same answers as the
obvious (slow) way, whichever path a large city takes.

Keys and groups are integer codes combined column by column; past ``MAX_KEY_SPACE`` possible
combinations those seen so far are renumbered (a city's moves go to a few neighbours, so a key
year x from x to x sex x age has billions of possible values but few present). The tests force
that path on small data by lowering the limit, and compare with sorting tuples.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast.validate as validate
import forecast.validate_table as table
from forecast.validate import check_city
from forecast.validate_flows import _Groups
from forecast.validate_table import categorical, group_ids
from tests.test_validate import write_lines

columns = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 40), st.integers(0, 2)), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(rows=columns, limit=st.sampled_from([8, 64, 1 << 27]))
def test_group_ids_number_equal_rows_alike_in_key_order(rows, limit) -> None:
    """Equal rows get equal ids, different rows different ids, ids ascend with the key (first
    column, then the next), whether or not the combinations had to be renumbered."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(table, "MAX_KEY_SPACE", limit)
        keys = np.array(rows)
        ids, n = group_ids((keys[:, k], 41) for k in range(3))
    distinct, expected = np.unique(keys, axis=0, return_inverse=True)
    assert n == len(distinct)
    assert np.array_equal(ids, expected.ravel())


def test_summed_flows_report_the_largest_row_first_of_ties() -> None:
    """Moves are summed over destinations; a problem points at the group's largest row (the
    first of equal ones), groups listed in the order of those rows."""
    values = pd.DataFrame(
        {
            "year": [2020.0, 2020, 2020, 2021, 2020, 2020],
            "from_district": categorical(np.array([0, 0, 1, 0, 0, 1]), ["a", "b"]),
            "sex": categorical(np.array([0, 0, 0, 0, 0, 1]), ["f", "m"]),
            "age": [30.0, 30, 30, 30, 30, np.nan],
            "count": [5.0, 9, 1, 4, 9, 2],
            "_line": np.arange(2, 8),
        }
    )
    groups = _Groups.summed(values, "from_district", ["year", "from_district", "sex", "age"])
    # 2020/a/f/30: rows 0, 1, 4 -> 23, largest 9 first at row 1; 2020/b/f/30: row 2; 2021: row 3;
    # 2020/b/m/all ages: row 5.
    assert groups.pos.tolist() == [1, 2, 3, 5]
    assert groups.total.tolist() == [23.0, 1.0, 4.0, 2.0]


def test_a_duplicate_in_a_sparse_wide_key_is_found_either_way(
    tinycity_copy: Path, monkeypatch
) -> None:
    """A duplicate moves row is reported the same when the key space is renumbered."""
    lines = ["year,from_district,to_district,sex,age,count"]
    lines += [f"2020,a,b,{s},{x},1" for s in "fm" for x in range(0, 101, 7)]
    lines += ["2020,c,a,m,40,4", "2020,a,b,m,7,1"]  # the last repeats line 18 (m, age 7)
    write_lines(tinycity_copy / "moves.csv", lines)
    default = [str(p) for p in check_city(tinycity_copy).problems]
    assert any("duplicate of row 18" in p for p in default), default
    monkeypatch.setattr(table, "MAX_KEY_SPACE", 16)
    monkeypatch.setattr(validate, "MAX_KEY_SPACE", 16)
    assert [str(p) for p in check_city(tinycity_copy).problems] == default


@pytest.mark.parametrize("cells", [["5", "05", " 7", "1.200"], ["", "x", "3"]])
def test_categorical_merges_cells_that_read_alike(cells: list[str]) -> None:
    """Cells are kept as sorted distinct texts and a small code a row, blocks joined in order."""
    stripped = [c.strip() for c in cells]
    series = categorical([np.array([0, 1]), np.arange(2, len(cells))], stripped)
    assert series.tolist() == stripped
    assert list(series.cat.categories) == sorted(set(stripped))
    assert series.cat.codes.dtype == np.int8
