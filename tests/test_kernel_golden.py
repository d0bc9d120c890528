"""Golden tests of the projection kernel against Preston, Heuveline & Guillot (2001), Box 6.1."""

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.population.kernel import FEMALE, project_step

DATA = Path(__file__).parent / "data"


def _sweden_inputs():
    box = pd.read_csv(DATA / "preston_box6_1_sweden_female_1993_projection.csv")
    L = box["nLx_radix100000"].to_numpy(float)  # last entry is T85 (open group)
    radix, width = 100_000.0, 5.0
    n = len(L)
    survival = np.empty(n)
    survival[1:-1] = L[1:-1] / L[:-2]
    # Open group 85+: those aged 80-84 and 85+ at the start survive with T85 / T80.
    survival[-1] = L[-1] / (L[-2] + L[-1])
    survival[0] = L[0] / (width * radix)
    pop = np.zeros((2, n))
    pop[FEMALE] = box["pop_1993"].to_numpy(float)
    asfr = box["asfr_both_sexes"].to_numpy(float)
    fertile = slice(3, 10)  # groups 15-19 .. 45-49
    return box, pop, np.stack([survival, survival]), asfr[fertile], fertile


def test_preston_box_6_1_to_the_person():
    """Sweden females 1993 -> 1998 -> 2003, closed population, SRB 1.05: every group exact."""
    box, pop, survival, asfr, fertile = _sweden_inputs()
    male_share = 1.05 / 2.05
    for year in (1998, 2003):
        step = project_step(pop, survival, asfr, fertile, male_share, width=5.0)
        pop = step.population
        np.testing.assert_array_equal(
            np.round(pop[FEMALE]).astype(int), box[f"expected_pop_{year}"].to_numpy()
        )
    assert round(pop[FEMALE].sum()) == 4_478_712


def test_step_accounting_identity_with_migration():
    """End = start + births - deaths + in - out, cell by cell summed over cohorts."""
    rng = np.random.default_rng(1)
    _, pop, survival, asfr, fertile = _sweden_inputs()
    pop[1] = pop[0] * 1.02
    out_rate = rng.uniform(0, 0.2, size=pop.shape)
    in_count = rng.uniform(0, 20_000, size=pop.shape)
    step = project_step(pop, survival, asfr, fertile, 0.512, out_rate, in_count, width=5.0)
    lhs = step.population.sum(axis=-1)
    rhs = (
        pop.sum(axis=-1)
        + step.births
        - step.deaths.sum(axis=-1)
        + step.in_migrants.sum(axis=-1)
        - step.out_migrants.sum(axis=-1)
    )
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    assert (step.deaths >= 0).all() and (step.population >= 0).all()
