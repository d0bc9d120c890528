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
from typing import Protocol

import numpy as np

from forecast.population.moves import housing_origins

FEMALE, MALE = 0, 1


@dataclass(frozen=True)
class StepComponents:
    """What happened during one step, per cell (shape ``(..., 2, A)`` cohort-indexed, unless noted).

    Attributes:
        population: population at the end of the step, persons.
        births: live births during the step by sex of the child, shape ``(..., 2)``, persons.
        deaths: deaths during the step by cohort, persons.
        in_migrants: arrivals across the city boundary, persons.
        out_migrants: departures across the city boundary, persons.
        internal_in: arrivals from other districts of the city, persons (zero without moves).
        internal_out: departures to other districts of the city, persons.
    """

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    in_migrants: np.ndarray
    out_migrants: np.ndarray
    internal_in: np.ndarray | float = 0.0
    internal_out: np.ndarray | float = 0.0


def age_cohorts(pop: np.ndarray) -> np.ndarray:
    """Start-of-step population re-indexed by age group at the end of the step.

    Entry 0 is left at zero (the births are not known yet); the open group gathers the last two.
    """
    cohort = np.zeros_like(pop)
    cohort[..., 1:] = pop[..., :-1]
    cohort[..., -1] += pop[..., -1]
    return cohort


class Moves(Protocol):
    """Moves between districts: out rates per start-of-step person and their destinations."""

    out_rate: np.ndarray

    def redistribute(self, movers: np.ndarray, first_age: int = 0) -> np.ndarray: ...


def project_step(
    pop: np.ndarray,
    survival: np.ndarray,
    asfr: np.ndarray,
    fertile: slice,
    male_share_at_birth: float | np.ndarray,
    out_rate: np.ndarray | None = None,
    in_count: np.ndarray | None = None,
    width: float = 1.0,
    internal: Moves | None = None,
    housing_inside: np.ndarray | None = None,
) -> StepComponents:
    """Move a population forward by one step of ``width`` years.

    Args:
        pop: population at the start, shape ``(..., 2, A)`` (with a district axis at -3 when
            ``internal`` or ``housing_inside`` is given), persons.
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
        internal: moves between districts; movers leave at ``internal.out_rate`` per start-of-step
            person and arrive where ``internal.redistribute`` sends them.
        housing_inside: first occupants of new housing who come from other districts, persons per
            cohort; taken from the other districts (``moves.housing_origins``), any shortfall
            arrives from outside the city instead.

    Returns:
        The end population and the components, each cohort-indexed. Internal moves sum to zero
        over the district axis in every cell.
    """
    cohort = age_cohorts(pop)
    shape = cohort.shape
    o = np.zeros(shape) if out_rate is None else np.broadcast_to(out_rate, shape)
    i = np.zeros(shape) if in_count is None else np.broadcast_to(in_count, shape)
    h = None if housing_inside is None else np.broadcast_to(housing_inside, shape)

    def flows(c: np.ndarray, ages: slice) -> tuple[np.ndarray, ...]:
        """External out, external in, internal out, internal in for cohorts ``c`` of ``ages``."""
        ext_out = o[..., ages] * c
        ext_in = i[..., ages]
        int_out = np.zeros_like(c)
        int_in = np.zeros_like(c)
        if internal is not None:
            int_out = internal.out_rate[..., ages] * c
            int_in = internal.redistribute(int_out, first_age=ages.start)
        if h is not None:
            losses, taken, rest = housing_origins(c, h[..., ages])
            int_out = int_out + losses
            int_in = int_in + taken
            ext_in = ext_in + rest
        return ext_out, ext_in, int_out, int_in

    older = slice(1, shape[-1])
    s = survival if np.ndim(survival) else np.full(shape, survival)
    s = np.broadcast_to(s, shape)
    ext_out, ext_in, int_out, int_in = (np.zeros(shape) for _ in range(4))
    end = np.empty(shape)
    # Ages 1.. do not depend on this step's births, so survive them first ...
    parts = flows(cohort[..., older], older)
    for arr, part in zip((ext_out, ext_in, int_out, int_in), parts, strict=True):
        arr[..., older] = part
    net = ext_in[..., older] - ext_out[..., older] + int_in[..., older] - int_out[..., older]
    end[..., older] = s[..., older] * cohort[..., older] + 0.5 * (1.0 + s[..., older]) * net
    # ... then births from the mean exposure of women at the start and at the end of the step.
    women = 0.5 * (pop[..., FEMALE, fertile] + end[..., FEMALE, fertile])
    total_births = width * np.sum(asfr * women, axis=-1)
    m = np.asarray(male_share_at_birth, dtype=float)
    births = np.stack([total_births * (1.0 - m), total_births * m], axis=-1)

    cohort[..., 0] = births
    first = slice(0, 1)
    parts = flows(births[..., None], first)
    for arr, part in zip((ext_out, ext_in, int_out, int_in), parts, strict=True):
        arr[..., first] = part
    s0 = s[..., first]
    net0 = ext_in[..., first] - ext_out[..., first] + int_in[..., first] - int_out[..., first]
    end[..., first] = s0 * births[..., None] + 0.5 * (1.0 + s0) * net0

    deaths = cohort - ext_out + ext_in - int_out + int_in - end
    moved = internal is not None or h is not None
    return StepComponents(
        population=end,
        births=births,
        deaths=deaths,
        in_migrants=ext_in,
        out_migrants=ext_out,
        internal_in=int_in if moved else 0.0,
        internal_out=int_out if moved else 0.0,
    )
