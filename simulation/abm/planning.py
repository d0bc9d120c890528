"""What the Jugendamt plans from its forecast: ASD staffing, places, the SRO Planbudget.

All three follow the expected case load of the classic system (``expected_monthly``): the same in
every scenario, as a city plans before it knows what SRO will change. A help begun in month s with
duration D (months, >= 1) runs in months s .. s+D-1 and ends at the end of month s+D-1 (the
convention of ``forecast.hze.durations``). With b(s) helps begun per month and a stock n0 running
at the start with remaining months R (the equilibrium residual of renewal theory), the expected

    case-months in month m   = sum_s b(s) P(D >= m-s+1) + n0 P(R >= m+1)
    running at the end of m  = sum_s b(s) P(D >= m-s+2) + n0 P(R >= m+2)

In a steady state (b constant, n0 = b (E[D] - 1)) this is Little's law: b E[D] case-months per
month and b (E[D] - 1) running at each month's end.

* ASD staffing: half-time posts covering the expected workload (intake hours per expected new
  help, review hours per expected running help) plus slack and two standard deviations of the
  Poisson noise of the intake;
* places: expected occupancy plus slack, two standard deviations and one place, split between
  the providers of a Wirkungsraum by market share;
* Planbudget of a Wirkungsraum: the expected classic cost of the Hilfearten in the budget's scope
  (forecast entitlements [S74]; stationary and ambulant Ist-Kosten as in Arnsberg [S100]).

References:
    Little, J. D. C. (1961). A proof for the queuing formula L = lambda W. Operations Research 9.
    Cox, D. R. (1962). Renewal Theory, ch. 5 (equilibrium residual life).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.abm.params import ClassicParams


def survival(pmf: np.ndarray) -> np.ndarray:
    """P(D >= k) for k = 1..K, shape (..., K), of pmfs (..., K)."""
    return np.cumsum(pmf[..., ::-1], axis=-1)[..., ::-1]


def residual_survival(pmf: np.ndarray) -> np.ndarray:
    """P(R >= k) for k = 1..K of the residual of a stock in equilibrium, shape (K,)."""
    s = survival(pmf)
    tail = s[1:]  # P(D >= r+1), r = 1..K-1: proportional to P(R = r)
    total = tail.sum()
    q = tail / total if total > 0 else np.zeros_like(tail)
    out = np.zeros(pmf.size)
    out[: q.size] = survival(q)
    return out


def expected_monthly(
    begun: np.ndarray, pmf: np.ndarray, stock: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Expected case-months and running at month end, without waiting.

    Args:
        begun: expected begun cases per month, shape (M, ..., H).
        pmf: duration pmf per Hilfeart, shape (H, K).
        stock: running before month 0, shape (..., H).

    Returns:
        (case-months, running at the end of the month), each shape (M, ..., H).
    """
    m = begun.shape[0]
    lag = np.arange(m)[:, None] - np.arange(m)[None, :]  # m - s
    case_months = np.zeros(begun.shape)
    running = np.zeros(begun.shape)
    flat = begun.reshape(m, -1, begun.shape[-1])
    for h in range(pmf.shape[0]):
        s = np.append(survival(pmf[h]), np.zeros(m + 1))
        rs = np.append(residual_survival(pmf[h]), np.zeros(m + 1))
        cm_op = np.where(lag >= 0, s[np.clip(lag, 0, None)], 0.0)
        run_op = np.where(lag >= 0, s[np.clip(lag + 1, 0, None)], 0.0)
        n0 = np.asarray(stock)[..., h].reshape(-1)
        case_months.reshape(m, -1, pmf.shape[0])[..., h] = cm_op @ flat[..., h] + rs[:m, None] * n0
        running.reshape(m, -1, pmf.shape[0])[..., h] = (
            run_op @ flat[..., h] + rs[1 : m + 1, None] * n0
        )
    return case_months, running


@dataclass(frozen=True)
class Plan:
    """The plan of one replicate.

    Attributes:
        asd_fte: full-time ASD caseworkers per month and Wirkungsraum, (M, W).
        places: planned places per month, Wirkungsraum and Hilfeart, (M, W, H).
        shares: providers' market shares per Wirkungsraum, (W, P), rows sum to 1.
        price_factor: provider price relative to the unit cost, (W * P, H); the share-weighted
            mean of a Wirkungsraum is 1, so the expected cost equals the unit cost.
    """

    asd_fte: np.ndarray
    places: np.ndarray
    shares: np.ndarray
    price_factor: np.ndarray


def make_plan(
    params: ClassicParams,
    begun: np.ndarray,
    case_months: np.ndarray,
    needs_asd: np.ndarray,
    rng: np.random.Generator,
) -> Plan:
    """Staffing, places and providers from the expected case load.

    Args:
        params: classic parameters.
        begun: expected begun helps per month, (M, W, H).
        case_months: expected case-months per month, (M, W, H).
        needs_asd: Hilfearten that need the ASD's Hilfeplan, (H,).
        rng: random generator (market shares, prices).
    """
    p = params
    intake = begun[..., needs_asd].sum(-1)
    workload = p.asd_intake_hours * intake + p.asd_review_hours * case_months[..., needs_asd].sum(
        -1
    )
    hours = (1.0 + p.asd_slack) * workload + p.asd_intake_hours * 2.0 * np.sqrt(intake)
    fte = np.ceil(2.0 * hours / p.asd_hours_per_fte) / 2.0
    places = (1.0 + p.provider_slack) * case_months + 2.0 * np.sqrt(case_months) + 1.0
    n_w, n_h, n_p = begun.shape[1], begun.shape[2], p.providers_per_area
    shares = rng.dirichlet(np.full(n_p, 4.0), size=n_w)
    factor = np.exp(p.price_spread * rng.standard_normal((n_w, n_p, n_h)))
    factor /= np.einsum("wp,wph->wh", shares, factor)[:, None, :]
    return Plan(fte, places, shares, factor.reshape(n_w * n_p, n_h))


def planbudget(
    case_months: np.ndarray,
    unit: np.ndarray,
    scope: np.ndarray,
    price_index: np.ndarray,
    shares: np.ndarray | None = None,
) -> np.ndarray:
    """Planbudget per month and Wirkungsraum, EUR nominal, (M, W).

    Args:
        case_months: expected classic case-months, (M, W, H).
        unit: unit cost per Hilfeart at prices of the price year, (H,).
        scope: Hilfearten in the budget, (H,).
        price_index: nominal price index per month, (M,).
        shares: each Wirkungsraum's share of the city's budget per month, (M, W) (the social
            stage's need-based split); None = each Wirkungsraum's own expected cost.
    """
    cost = (case_months[..., scope] * unit[scope]).sum(-1) * price_index[:, None]
    return cost if shares is None else cost.sum(-1, keepdims=True) * shares
