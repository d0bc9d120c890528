"""One step of the cohort-component method, vectorised over any leading axes.

The population array has shape ``(..., 2, A)``: leading axes (draws, districts), then sex (index 0 =
female, 1 = male) and age groups 0..A-1 of equal width ``width`` years, the last one open. One call
moves the population forward by ``width`` years.

All component arrays are indexed by the age group at the END of the step ("cohort" indexing):
entry ``a`` concerns the people who are in group ``a`` at the end; they were in group ``a-1`` at the
start (the open group gathers ``A-2`` and ``A-1``), and entry 0 concerns those born during the step.

Migration is taken to happen, on average, in the middle of the step: migrants are exposed to
mortality for half of it. For cohort ``a`` with start population ``C``, out-migrants ``O = o*C``
(``o`` a rate per start-of-step person) and in-migrants ``I`` (a count):

    deaths    D = (1 - s) * (C + (I - O) / 2)
    end       P = C - O + I - D = s*C + (1 + s)/2 * (I - O)

so P(t+n) = P(t) + births - deaths + in - out holds exactly, cell by cell. With no migration it is
the textbook projection P = s*C (Preston et al. 2001, eq. 6.1-6.3).

Births use the exposure of women in each fertile age group averaged over the start and the end of
the step: B = width * sum_x f_x * (W_x(t) + W_x(t+n)) / 2 (Preston et al. 2001, sec. 6.3); births
survive to the end of the step with ``s_birth`` = nL0 / (n * l0).

References:
    Preston, S. H., Heuveline, P., Guillot, M. (2001). Demography, ch. 6, Box 6.1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEMALE, MALE = 0, 1


@dataclass(frozen=True)
class StepComponents:
    """What happened during one step, per cell (shape ``(..., 2, A)`` cohort-indexed, unless noted).

    Attributes:
        population: population at the end of the step, persons.
        births: live births during the step by sex of the child, shape ``(..., 2)``, persons.
        deaths: deaths during the step by cohort, persons.
        in_migrants: arrivals, persons.
        out_migrants: departures, persons.
    """

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    in_migrants: np.ndarray
    out_migrants: np.ndarray


def age_cohorts(pop: np.ndarray) -> np.ndarray:
    """Start-of-step population re-indexed by age group at the end of the step.

    Entry 0 is left at zero (the births are not known yet); the open group gathers the last two.
    """
    cohort = np.zeros_like(pop)
    cohort[..., 1:] = pop[..., :-1]
    cohort[..., -1] += pop[..., -1]
    return cohort


def project_step(
    pop: np.ndarray,
    survival: np.ndarray,
    asfr: np.ndarray,
    fertile: slice,
    male_share_at_birth: float | np.ndarray,
    out_rate: np.ndarray | None = None,
    in_count: np.ndarray | None = None,
    width: float = 1.0,
) -> StepComponents:
    """Move a population forward by one step of ``width`` years.

    Args:
        pop: population at the start, shape ``(..., 2, A)``, persons.
        survival: cohort-indexed survival ratios (``s[..., 0]`` is the births' survival), shape
            broadcastable to ``pop``.
        asfr: age-specific fertility rates of the age groups in ``fertile``, births per woman per
            year, shape broadcastable to ``pop[..., FEMALE, fertile]``.
        fertile: the age groups (at the end of the step) to which ``asfr`` applies.
        male_share_at_birth: share of boys among births, e.g. 1.05 / 2.05.
        out_rate: out-migration per start-of-step person of each cohort, 0..1; broadcastable.
        in_count: in-migrants per cohort, persons; broadcastable. Negative counts are not allowed:
            a net loss is expressed by ``out_rate``.
        width: step width in years (1 for annual projection; 5 for the textbook example).

    Returns:
        The end population and the components, each cohort-indexed.
    """
    cohort = age_cohorts(pop)
    zeros = np.zeros_like(cohort)
    o = zeros if out_rate is None else np.broadcast_to(out_rate, cohort.shape)
    i = zeros if in_count is None else np.broadcast_to(in_count, cohort.shape)

    # Ages 1.. do not depend on this step's births, so survive them first ...
    end = survival * cohort + 0.5 * (1.0 + survival) * (i - o * cohort)
    # ... then births from the mean exposure of women at the start and at the end of the step.
    women = 0.5 * (pop[..., FEMALE, fertile] + end[..., FEMALE, fertile])
    total_births = width * np.sum(asfr * women, axis=-1)
    m = np.asarray(male_share_at_birth, dtype=float)
    births = np.stack([total_births * (1.0 - m), total_births * m], axis=-1)

    cohort[..., 0] = births
    s0 = survival[..., 0]
    end[..., 0] = s0 * births + 0.5 * (1.0 + s0) * (i[..., 0] - o[..., 0] * births)

    out_migrants = o * cohort
    deaths = cohort - out_migrants + i - end
    return StepComponents(
        population=end,
        births=births,
        deaths=deaths,
        in_migrants=np.array(i, copy=True),
        out_migrants=out_migrants,
    )
