"""Draw stores within a memory budget: the same values in memory and on disk, exact quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.drawstore import DrawReducer, DrawStore, MemoryBudget, quantiles_first_axis
from forecast.variables import BAND, QUANTILES


@pytest.mark.parametrize("n", [1, 2, 7, 101, 1000])
def test_quantiles_are_numpys_to_the_last_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, 6, 4)) * 1e4
    x[:, 1, 2] = 3.0  # ties
    x[-1, 2, 0] = np.nan  # a NaN draw makes the cell NaN, as in numpy
    for levels in (QUANTILES, BAND, (0.0, 1.0)):
        expected = np.quantile(x, levels, axis=0)
        assert np.array_equal(quantiles_first_axis(x, levels), expected, equal_nan=True)


def _fill(store: DrawStore, rng: np.random.Generator) -> np.ndarray:
    years, draws, cells = store.shape
    data = rng.normal(size=(draws, years, cells))
    for first in range(0, draws, 3):  # blocks of 3 draws, the last one shorter
        store.write_block(first, data[first : first + 3])
    return data


def test_a_spilled_store_reads_what_a_store_in_memory_reads(tmp_path) -> None:
    budget = MemoryBudget(5 * 7 * 11 * 8, scratch=tmp_path)
    with DrawStore("a", 5, 7, 11, budget) as memory, DrawStore("b", 5, 7, 11, budget) as disk:
        assert not memory.spilled and disk.spilled
        assert budget.spilled == ["b"] and budget.used == memory.nbytes
        data = _fill(memory, np.random.default_rng(1))
        assert np.array_equal(_fill(disk, np.random.default_rng(1)), data)
        for store in (memory, disk):
            assert np.array_equal(store.read_year(2), data[:, 2])
            assert np.array_equal(store.read_draws(2, 6), data[2:6])
    assert budget.used == 0  # released on close
    assert list(tmp_path.iterdir()) == []  # the scratch file is gone


def test_the_reducer_gives_each_name_its_draws_and_quantiles() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(9, 4, 2, 3)), rng.normal(size=(9, 4, 5))
    with DrawReducer("r", {"a": (2, 3), "b": (5,)}, 4, 9, MemoryBudget(0)) as reducer:
        assert reducer.store.spilled
        for first in range(0, 9, 4):
            reducer.add(first, {"a": a[first : first + 4], "b": b[first : first + 4]})
        for k, year in reducer.by_year():
            assert np.array_equal(year["a"], a[:, k]) and np.array_equal(year["b"], b[:, k])
        q = reducer.quantiles(BAND)
    assert np.array_equal(q["b"], np.quantile(b, BAND, axis=0))


def test_a_reducer_missing_draws_refuses_to_reduce() -> None:
    with DrawReducer("r", {"a": (2,)}, 3, 5, MemoryBudget.mib(1)) as reducer:
        reducer.add(0, {"a": np.zeros((4, 3, 2))})
        with pytest.raises(ValueError, match="4 of 5 draws"):
            reducer.quantiles(BAND)
