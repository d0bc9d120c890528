"""The cohort-component step for many draws, end population and births only, as one fused loop.

Same arithmetic as ``kernel.project_step`` (a test holds them equal to 1e-9), written as a compiled
loop (numba) over draw, district, sex and age: every cell is read and written about twice per
year instead of the fifteen-odd array passes the vectorised form needs once moves between
districts, new housing and per-draw rates are in. Draws run in parallel threads (``prange``);
each draw's arithmetic is independent of the others and of the thread count, so results are
identical for any number of threads.

Per cell (cohort C, survival s, h = (1 + s) / 2), as in the kernel:

    out rate  r = min(o * f_out, cap) + m * f_int + housing loss rate
    net       N = i * f_in - r * C + internal arrivals + new-housing arrivals
    end       P = s * C + h * N

References:
    Lam, S. K., Pitrou, A., Seibert, S. (2015). Numba: a LLVM-based Python JIT compiler.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from forecast.population.moves import HOUSING_DRAW_CAP

POOL, OD, NONE = 0, 1, 2

# The built-in work queue, not OpenMP: GNU OpenMP breaks a process that forks after using it
# (multiprocessing, Hydra launchers), and draws never nest parallel regions.
numba.config.THREADING_LAYER = "workqueue"


@njit(parallel=True, cache=True, error_model="numpy")
def _advance(
    pop,
    surv,
    cap,
    out_base,
    emig,
    agef,
    agef_out,
    in_base,
    imm,
    in_extra,
    move_base,
    fint,
    model,
    dest,
    od_groups,
    house,
    fert_asfr,
    fert_start,
    male_share,
    result_group,
    n_result_groups,
):  # pragma: no cover - compiled
    n, n_d, _, n_a = pop.shape
    end = np.empty_like(pop)
    births = np.empty((n, n_d, 2))
    grouped = np.zeros((n, n_d + 1, 2, n_result_groups))
    n_f = fert_asfr.shape[2]
    building = np.zeros(n_d, dtype=np.bool_)
    for d in range(n_d):
        for s in range(2):
            for a in range(n_a):
                if house[d, s, a] > 0:
                    building[d] = True
    any_house = building.any()
    for k in prange(n):
        p = pop[k]
        # Cohorts by age at the end of the year; age 0 gets the births once they are known.
        coh = np.empty((n_d, 2, n_a))
        for d in range(n_d):
            for s in range(2):
                coh[d, s, 0] = 0.0
                for a in range(1, n_a):
                    coh[d, s, a] = p[d, s, a - 1]
                coh[d, s, n_a - 1] += p[d, s, n_a - 1]
        # Work arrays are filled before they are read (no zeroing passes): ``moved`` and, with
        # moves, ``arrive`` over every district; ``ratio`` only in building districts, the others
        # read ``no_ratio``.
        movers = np.zeros((2, n_a))
        moved = np.empty((n_d, 2, n_a))  # movers by origin (for the OD model)
        arrive = np.empty((n_d, 2, n_a)) if model == OD else np.zeros((n_d, 2, n_a))
        total = np.zeros((2, n_a))
        ratio = np.empty((n_d, 2, n_a))  # new-housing draw on the other districts
        no_ratio = np.zeros((2, n_a))
        loss = np.zeros((2, n_a))
        age_out = agef_out[k]
        for phase in range(2):  # 0: ages 1.., 1: infants (after births are known)
            a_lo, a_hi = (1, n_a) if phase == 0 else (0, 1)
            # Sums over districts: movers between districts and the city total of each cohort.
            for s in range(2):
                for a in range(a_lo, a_hi):
                    movers[s, a] = 0.0
                    total[s, a] = 0.0
                    loss[s, a] = 0.0
            for d in range(n_d):
                fi = fint[k, d]
                for s in range(2):
                    for a in range(a_lo, a_hi):
                        c = coh[d, s, a]
                        mv = move_base[d, s, a] * fi * c
                        moved[d, s, a] = mv
                        movers[s, a] += mv
                        total[s, a] += c
            if model == OD:
                for d in range(n_d):
                    for s in range(2):
                        for a in range(a_lo, a_hi):
                            g = od_groups[a]
                            acc = 0.0
                            for o_d in range(n_d):
                                acc += moved[o_d, s, a] * dest[o_d, d, g]
                            arrive[d, s, a] = acc
            if any_house:
                for d in range(n_d):
                    if building[d]:
                        for s in range(2):
                            for a in range(a_lo, a_hi):
                                others = total[s, a] - coh[d, s, a]
                                r = 0.0
                                if others > 0:
                                    r = min(house[d, s, a] / others, HOUSING_DRAW_CAP)
                                ratio[d, s, a] = r
                                loss[s, a] += r
            # The cell update itself: no branches, so the compiler can vectorise it.
            for d in range(n_d):
                em, im, fi = emig[k, d], imm[k, d], fint[k, d]
                own = ratio[d] if building[d] else no_ratio
                # Pool arrivals are formed on the fly (dest * city movers); the OD model's were
                # summed above. Two copies of the loop keep its body free of branches.
                if model == POOL:
                    for s in range(2):
                        for a in range(a_lo, a_hi):
                            c = coh[d, s, a]
                            rate = min(out_base[d, s, a] * em * age_out[a], cap[k, s, a])
                            rate += move_base[d, s, a] * fi + loss[s, a] - own[s, a]
                            net = in_base[d, s, a] * im * agef[k, a] + in_extra[d, s, a]
                            net += dest[d, s, a] * movers[s, a] + house[d, s, a] - rate * c
                            sv = surv[k, s, a]
                            end[k, d, s, a] = sv * c + 0.5 * (1.0 + sv) * net
                else:
                    for s in range(2):
                        for a in range(a_lo, a_hi):
                            c = coh[d, s, a]
                            rate = min(out_base[d, s, a] * em * age_out[a], cap[k, s, a])
                            rate += move_base[d, s, a] * fi + loss[s, a] - own[s, a]
                            net = in_base[d, s, a] * im * agef[k, a] + in_extra[d, s, a]
                            net += arrive[d, s, a] + house[d, s, a] - rate * c
                            sv = surv[k, s, a]
                            end[k, d, s, a] = sv * c + 0.5 * (1.0 + sv) * net
            if phase == 0:
                for d in range(n_d):
                    b = 0.0
                    for x in range(n_f):
                        age = fert_start + x
                        b += fert_asfr[k, d, x] * 0.5 * (p[d, 0, age] + end[k, d, 0, age])
                    births[k, d, 0] = b * (1.0 - male_share)
                    births[k, d, 1] = b * male_share
                    coh[d, 0, 0] = births[k, d, 0]
                    coh[d, 1, 0] = births[k, d, 1]
        # Persons by result age group while this draw is still in cache (districts + city).
        for d in range(n_d):
            for s in range(2):
                for a in range(n_a):
                    grouped[k, d, s, result_group[a]] += end[k, d, s, a]
                for g in range(n_result_groups):
                    grouped[k, n_d, s, g] += grouped[k, d, s, g]
    return end, births, grouped


def advance(
    pop: np.ndarray,
    survival: np.ndarray,
    cap: np.ndarray,
    out_base: np.ndarray,
    emigration: np.ndarray,
    age_factor: np.ndarray,
    age_factor_out: np.ndarray,
    in_base: np.ndarray,
    immigration: np.ndarray,
    in_extra: np.ndarray,
    internal,
    internal_factor: np.ndarray,
    housing_inside: np.ndarray | None,
    asfr: np.ndarray,
    fertile: slice,
    male_share_at_birth: float,
    result_group: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One annual step for a block of n draws.

    Args:
        pop: (n, D, 2, A) persons at the start.
        survival, cap: (n, 2, A) survival ratios and the cap of out-migration rates.
        out_base, in_base: (D, 2, A) out-migration rates and in-migrants of the plan.
        emigration, immigration: (n, D) factors; age_factor, age_factor_out: (n, A) factors of
            the age pattern on in-migrants and on out rates.
        in_extra: (D, 2, A) new-housing first occupants from outside the city.
        internal: ``InternalMoves`` or None; internal_factor: (n, D) factor on its out rates.
        housing_inside: (D, 2, A) first occupants from other districts, or None.
        asfr: (n, D, 35) fertility rates; fertile: their ages; male_share_at_birth.
        result_group: age group index of every age for the summed output (default: one group).

    Returns:
        End population (n, D, 2, A), births (n, D, 2) and persons by age group with the city as
        the last district (n, D+1, 2, G).
    """
    n_d, n_a = pop.shape[1], pop.shape[3]
    zeros = np.zeros((n_d, 2, n_a))
    groups_out = (
        np.zeros(n_a, dtype=np.int64) if result_group is None else result_group.astype(np.int64)
    )
    if internal is None:
        model, move_base, dest, groups = NONE, zeros, zeros, np.zeros(n_a, dtype=np.int64)
    else:
        from forecast.population.moves import age_group_index

        model = POOL if internal.model == "pool" else OD
        move_base = np.ascontiguousarray(np.broadcast_to(internal.out_rate, (n_d, 2, n_a)))
        dest = np.ascontiguousarray(internal.destination)
        groups = age_group_index(n_a).astype(np.int64)
    return _advance(
        np.ascontiguousarray(pop),
        np.ascontiguousarray(survival),
        np.ascontiguousarray(cap),
        np.ascontiguousarray(np.broadcast_to(out_base, (n_d, 2, n_a))),
        np.ascontiguousarray(emigration),
        np.ascontiguousarray(age_factor),
        np.ascontiguousarray(age_factor_out),
        np.ascontiguousarray(np.broadcast_to(in_base, (n_d, 2, n_a))),
        np.ascontiguousarray(immigration),
        np.ascontiguousarray(in_extra),
        move_base,
        np.ascontiguousarray(internal_factor),
        model,
        dest,
        groups,
        zeros if housing_inside is None else np.ascontiguousarray(housing_inside),
        np.ascontiguousarray(asfr),
        int(fertile.start),
        float(male_share_at_birth),
        groups_out,
        int(groups_out.max()) + 1,
    )


@njit(parallel=True, cache=True, error_model="numpy")
def group_ages(
    pop: np.ndarray, group_of_age: np.ndarray, n_groups: int
) -> np.ndarray:  # pragma: no cover - compiled
    """Persons by age group, districts plus the city as the last district: (n, D, 2, A) ->
    (n, D+1, 2, G)."""
    n, n_d, _, n_a = pop.shape
    out = np.zeros((n, n_d + 1, 2, n_groups))
    for k in prange(n):
        for d in range(n_d):
            for s in range(2):
                for a in range(n_a):
                    v = pop[k, d, s, a]
                    g = group_of_age[a]
                    out[k, d, s, g] += v
        for d in range(n_d):
            for s in range(2):
                for g in range(n_groups):
                    out[k, n_d, s, g] += out[k, d, s, g]
    return out


@njit(parallel=True, cache=True, error_model="numpy")
def reallocate_draws(pop, ratio):  # pragma: no cover - compiled
    """``combination.reallocate`` for a block of draws (n, D, 2, A) in one pass per cell.

    Districts times ``ratio`` (D, 2, A), rescaled so each city cell keeps its total. The sums
    over districts run in district order, as numpy's sum over that axis does, so the result is
    the same to the last bit (a test holds them equal).
    """
    n, n_d, n_s, n_a = pop.shape
    out = np.empty_like(pop)
    for k in prange(n):
        for s in range(n_s):
            for a in range(n_a):
                city = 0.0
                now = 0.0
                for d in range(n_d):
                    v = pop[k, d, s, a]
                    m = v * ratio[d, s, a]
                    out[k, d, s, a] = m
                    city += v
                    now += m
                f = city / now if now > 0 else 1.0
                for d in range(n_d):
                    out[k, d, s, a] *= f
    return out
