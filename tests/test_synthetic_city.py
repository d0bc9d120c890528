"""The benchmarks' synthetic city: valid input, an exactly balanced register, deterministic."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.contract import CONTRACT
from forecast.validate import validate_city

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "synthetic_city", ROOT / "benchmarks" / "synthetic_city.py"
)
synthetic_city = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synthetic_city)

N_DISTRICTS = 5


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "city"
    synthetic_city.make_city(out, N_DISTRICTS)
    return out


def _cells(frame: pd.DataFrame, keys: list[str], shape: tuple[int, ...]) -> np.ndarray:
    """Counts of a long frame on a dense grid; ``keys`` are already integer positions."""
    out = np.zeros(shape, dtype=np.int64)
    np.add.at(out, tuple(frame[k].to_numpy() for k in keys), frame["count"].to_numpy())
    return out


def test_every_contract_file_is_written_and_valid(city):
    stems = {p.stem for p in city.glob("*.csv")}
    optional = {"control_totals", "assumptions", "life_table", "fertility", "peers"}
    optional |= {"school_districts", "ganztag_places"}  # Ganztag inputs: not synthesised
    assert stems == set(CONTRACT) - optional
    assert validate_city(city) == []


def test_register_balances_cell_by_cell_with_moves(city):
    """P(t, x) = P(t-1, x-1) - deaths(t, x-1) - out(t, x) + in(t, x) - moved out + moved in,
    exactly, with Tinycity's conventions (deaths by age at 1.1.; migration and moves by age at
    31.12.; births at age 0; the open group 100 gathers 99 and 100)."""
    stems = ("population", "births", "deaths", "migration", "moves")
    read = {s: pd.read_csv(city / f"{s}.csv", dtype={"sex": str}) for s in stems}
    years = np.sort(read["population"]["year"].unique())
    codes = sorted(read["population"]["district"].unique())
    index = {
        "year": {y: i for i, y in enumerate(years)},
        "district": {d: i for i, d in enumerate(codes)},
        "from_district": {d: i for i, d in enumerate(codes)},
        "to_district": {d: i for i, d in enumerate(codes)},
        "sex": {"f": 0, "m": 1},
        "direction": {"in": 0, "out": 1},
    }
    frames = {}
    for stem in stems:
        frame = read[stem].copy()
        for col, mapping in index.items():
            if col in frame:
                frame[col] = frame[col].map(mapping)
        frames[stem] = frame
    y, d = len(years), len(codes)
    pop = _cells(frames["population"], ["year", "district", "sex", "age"], (y, d, 2, 101))
    born = _cells(frames["births"], ["year", "district", "sex"], (y, d, 2))
    dead = _cells(frames["deaths"], ["year", "district", "sex", "age"], (y, d, 2, 101))
    mig = _cells(
        frames["migration"], ["year", "direction", "district", "sex", "age"], (y, 2, d, 2, 101)
    )
    moves = _cells(
        frames["moves"], ["year", "from_district", "to_district", "sex", "age"], (y, d, d, 2, 101)
    )
    assert moves.sum() > 0 and np.all(moves[:, np.arange(d), np.arange(d)] == 0)
    assert pop[0].sum() > 0 and born[1:].sum() > 0 and dead[1:].sum() > 0
    for t in range(1, y):
        alive = pop[t - 1] - dead[t]
        expected = np.zeros_like(alive)
        expected[..., 1:] = alive[..., :-1]
        expected[..., -1] += alive[..., -1]
        expected[..., 0] = born[t]
        expected += mig[t, 0] - mig[t, 1] - moves[t].sum(axis=1) + moves[t].sum(axis=0)
        np.testing.assert_array_equal(pop[t], expected, err_msg=f"year {years[t]}")


def test_same_seed_same_files_other_seed_other_files(city, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    synthetic_city.make_city(again, N_DISTRICTS)
    synthetic_city.make_city(other, N_DISTRICTS, seed=synthetic_city.SEED + 1)
    for path in sorted(city.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    assert (other / "population.csv").read_bytes() != (city / "population.csv").read_bytes()


def test_district_sizes_vary_and_sozialraeume_hold_ten(tmp_path):
    out = tmp_path / "c"
    synthetic_city.make_city(out, 25, years=range(2020, 2023))
    pop = pd.read_csv(out / "population.csv")
    sizes = pop[pop["year"] == 2020].groupby("district")["count"].sum()
    assert sizes.max() > 1.5 * sizes.min()
    assert 4000 < sizes.median() < 16000
    text = (out / "city.yaml").read_text(encoding="utf-8")
    assert text.count("sozialraum: sr001") == 10 and text.count("sozialraum: sr003") == 5
    assert validate_city(out) == []
