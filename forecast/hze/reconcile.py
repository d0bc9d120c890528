"""Make district forecasts add up to the city: bottom-up, or MinT with non-negativity.

The hierarchy has two levels: the city total and its D districts (summing matrix S = [1'; I]).
*Bottom-up* keeps the district forecasts and sums them. *MinT* combines the district forecasts
b_hat with an independent forecast of the city total y_hat (from a model fitted to the city series)
by generalised least squares with a diagonal error covariance W = diag(w_city, w_1..w_D) (the WLS
variant with in-sample residual variances), subject to non-negative districts:

    minimise  sum_d (b_d - b_hat_d)^2 / w_d + (sum_d b_d - y_hat)^2 / w_city   s.t.  b >= 0.

Its solution is ``b_d = max(0, b_hat_d + w_d * lam)`` with the scalar ``lam`` solving
``w_city * lam = y_hat - sum_d max(0, b_hat_d + w_d * lam)`` (a piecewise-linear, increasing
equation, solved exactly over its sorted breakpoints, vectorised over all leading axes).
Which of the two a Hilfeart uses is chosen by a rolling-origin backtest (``forecast.hze.selection``).

References:
    Wickramasuriya, S. L., Athanasopoulos, G., Hyndman, R. J. (2019). Optimal forecast
        reconciliation for hierarchical and grouped time series through trace minimization.
        JASA 114, 804-819.
    Wickramasuriya, S. L., Turlach, B. A., Hyndman, R. J. (2020). Optimal non-negative forecast
        reconciliation. Statistics and Computing 30, 1167-1182.
"""

from __future__ import annotations

import numpy as np

METHODS = ("bottom_up", "mint")


def bottom_up(bottom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """District forecasts unchanged and their sum: (districts (..., D), city (...,))."""
    return bottom, bottom.sum(axis=-1)


def mint_nonnegative(
    bottom: np.ndarray, top: np.ndarray, w_bottom: np.ndarray, w_top: float
) -> np.ndarray:
    """MinT (diagonal W) reconciliation of districts with a city forecast, districts >= 0.

    Args:
        bottom: district base forecasts, shape (..., D).
        top: city base forecast, shape (...).
        w_bottom: error variances of the district forecasts, shape (D,), > 0.
        w_top: error variance of the city forecast, > 0.

    Returns:
        Reconciled district forecasts, shape (..., D), non-negative; their sum is the city.
    """
    bottom = np.asarray(bottom, float)
    top = np.asarray(top, float)[..., None]
    w = np.broadcast_to(np.asarray(w_bottom, float), bottom.shape)
    brk = -bottom / w  # lam above which district d is positive
    order = np.argsort(brk, axis=-1)
    brk_s = np.take_along_axis(brk, order, -1)
    b_s = np.take_along_axis(bottom, order, -1)
    w_s = np.take_along_axis(w, order, -1)
    # On the segment starting at breakpoint k, districts 0..k (sorted) are positive.
    cum_b = np.cumsum(b_s, -1)
    cum_w = np.cumsum(w_s, -1)
    f_at_brk = w_top * brk_s + (cum_b - b_s) + (cum_w - w_s) * brk_s - top
    active = (f_at_brk <= 0).sum(-1, keepdims=True)  # districts positive at the root
    k = np.maximum(active - 1, 0)
    sum_b = np.where(active > 0, np.take_along_axis(cum_b, k, -1), 0.0)
    sum_w = np.where(active > 0, np.take_along_axis(cum_w, k, -1), 0.0)
    lam = (top - sum_b) / (w_top + sum_w)
    return np.maximum(0.0, bottom + w * lam)


def reconcile(
    method: str, bottom: np.ndarray, top: np.ndarray | None, w_bottom: np.ndarray, w_top: float
) -> np.ndarray:
    """District forecasts after ``method`` (``bottom_up`` or ``mint``), shape as ``bottom``."""
    if method == "bottom_up":
        return bottom
    if method == "mint":
        if top is None:
            raise ValueError("mint reconciliation needs a city forecast")
        return mint_nonnegative(bottom, top, w_bottom, w_top)
    raise ValueError(f"unknown reconciliation {method!r}: expected one of {METHODS}")
