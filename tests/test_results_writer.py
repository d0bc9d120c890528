"""The streamed results writer: rows written in pieces read back as one table, same schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.results import ResultsWriter, read_results, to_results, write_results


def _frame(n: int, year: int) -> pd.DataFrame:
    rng = np.random.default_rng(year)
    return pd.DataFrame(
        {
            "district": rng.choice(["a", "b", "_city"], n),
            "year": year,
            "variable": rng.choice(["Population|f|0-2", "Population|Total"], n),
            "unit": "persons",
            "statistic": "sample",
            "replicate": np.arange(n),
            "value": rng.normal(size=n),
        }
    )


def test_pieces_and_coded_columns_read_back_like_one_frame(tmp_path) -> None:
    whole = pd.concat([_frame(5, 2030), _frame(7, 2031)], ignore_index=True)
    write_results(to_results(whole, "population", "s", "r1"), tmp_path / "one", "part")
    with ResultsWriter(tmp_path / "pieces", "part") as writer:
        writer.write(to_results(_frame(5, 2030), "population", "s", "r1"))
        second = _frame(7, 2031)
        codes = {"district": ["a", "b", "_city"], "variable": sorted(set(second["variable"]))}
        writer.write_columns(
            "s",
            len(second),
            {
                "model": "population",
                "run_id": "r1",
                "month": 0,
                "unit": "persons",
                "statistic": "sample",
                "year": 2031,
                "replicate": second["replicate"].to_numpy(),
                "value": second["value"].to_numpy(),
                **{
                    k: (np.array([labels.index(v) for v in second[k]]), labels)
                    for k, labels in codes.items()
                },
            },
        )
    assert writer.rows == 12
    one, pieces = read_results(tmp_path / "one"), read_results(tmp_path / "pieces")
    pd.testing.assert_frame_equal(one, pieces)
    assert one["quantile"].isna().all() and one["variant"].isna().all()


def test_a_part_is_never_written_twice(tmp_path) -> None:
    frame = to_results(_frame(3, 2030), "population", "s", "r1")
    write_results(frame, tmp_path, "part")
    with pytest.raises(FileExistsError, match="already written"):
        write_results(frame, tmp_path, "part")
