"""Life-table golden values (Preston et al. 2001, Box 3.1) and the e0 scaling."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.lifetable import LifeTable, scale_to_e0

DATA = Path(__file__).parent / "data"


def test_austria_1992_males_box_3_1():
    """From m and a (Box 3.1) the table's q, l, L, T and e are reproduced at its precision."""
    box = pd.read_csv(DATA / "austria92.dat", sep=r"\s+")
    width = box["n"].to_numpy(float)
    # m = D / N exactly, as the book computes it (the file's m column is rounded to 6 digits).
    mx = box["D"].to_numpy(float) / box["N"].to_numpy(float)
    lt = LifeTable(mx=mx, ax=box["a"].to_numpy(float), width=width)
    cols = lt.columns()
    np.testing.assert_allclose(cols["qx"][:-1], box["q"][:-1], atol=5e-7)
    np.testing.assert_allclose(cols["lx"] * 1e5, box["lx"], atol=0.01)
    # The book rounds L and T to whole person-years.
    np.testing.assert_allclose(cols["Lx"] * 1e5, box["L"], atol=1.0)
    np.testing.assert_allclose(cols["Tx"] * 1e5, box["T"], atol=1.0)
    np.testing.assert_allclose(cols["ex"], box["e"], atol=5e-4)


def test_single_year_round_trip_from_lx_Lx():
    """A single-year table rebuilt from its own lx and Lx gives back its columns."""
    ages = np.arange(101)
    mx = 5e-5 * np.exp(0.095 * ages) + 2e-4  # Gompertz-Makeham, plausible adult mortality
    lt = LifeTable(mx=mx, ax=np.full(101, 0.5))
    cols = lt.columns()
    back = LifeTable.from_lx_Lx(cols["lx"] * 1e5, cols["Lx"] * 1e5).columns()
    for key in ("qx", "lx", "Lx", "ex"):
        np.testing.assert_allclose(back[key], cols[key], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("target", [70.0, 75.0, 80.0, 85.0])
def test_scale_to_e0_hits_target_and_is_monotone(target):
    box = pd.read_csv(DATA / "austria92.dat", sep=r"\s+")
    lt = LifeTable(
        mx=box["m"].to_numpy(float), ax=box["a"].to_numpy(float), width=box["n"].to_numpy(float)
    )
    scaled = scale_to_e0(lt, np.array([target, target + 1.0]))
    np.testing.assert_allclose(scaled.e0, [target, target + 1.0], atol=1e-6)
    # Higher e0 means lower mortality at every age.
    assert (scaled.mx[1] <= scaled.mx[0]).all()
