"""Period life tables: from death rates to survival ratios, and mortality scaled to a target e0.

Arrays are indexed by single age 0..w on the last axis, where w (100 by default) is the open age
group; any leading axes (sex, year, draw) broadcast. Units: ``mx`` deaths per person-year, ``qx``
probability, ``lx`` survivors of a radix of 1, ``Lx`` and ``Tx`` person-years per newborn.

References:
    Preston, S. H., Heuveline, P., Guillot, M. (2001). Demography: Measuring and Modeling
    Population Processes. Blackwell. Ch. 3 (life table), Ch. 6 (projection survival ratios).
    Lee, R. D., Carter, L. R. (1992). Modeling and forecasting U.S. mortality. JASA 87, 659-671.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LifeTable:
    """A period life table on single ages with an open last age group.

    Attributes:
        mx: central death rates, deaths per person-year; shape (..., A).
        ax: average person-years lived in the interval by those dying in it, years; the open
            group's value is unused.
        width: interval widths in years, shape (A,); ``None`` means single years. Abridged tables
            (0, 1-4, 5-9, ...) pass their widths; the last entry (open group) is unused.
    """

    mx: np.ndarray
    ax: np.ndarray
    width: np.ndarray | None = None

    def _n(self) -> np.ndarray | float:
        return 1.0 if self.width is None else np.asarray(self.width, dtype=float)

    @classmethod
    def from_lx_Lx(cls, lx: np.ndarray, Lx: np.ndarray) -> LifeTable:
        """Recover mx and ax from a published table's lx and Lx (last age: Lx is T of the open group).

        Args:
            lx: survivors at exact age x, any radix; shape (..., A).
            Lx: person-years lived in [x, x+1); for the open group, all person-years above it.
        """
        lx = np.asarray(lx, dtype=float)
        Lx = np.asarray(Lx, dtype=float)
        dx = lx - np.concatenate([lx[..., 1:], np.zeros_like(lx[..., :1])], axis=-1)
        mx = np.divide(dx, Lx, out=np.zeros_like(dx), where=Lx > 0)
        l_next = np.concatenate([lx[..., 1:], np.zeros_like(lx[..., :1])], axis=-1)
        # Person-years lived in the interval by those who die in it: L = l(x+1) + a*d.
        ax = np.divide(Lx - l_next, dx, out=np.full_like(dx, 0.5), where=dx > 0)
        return cls(mx=mx, ax=np.clip(ax, 0.0, 1.0))

    def scaled(self, factor: np.ndarray | float) -> LifeTable:
        """Mortality multiplied by ``factor`` at every age (proportional hazards)."""
        factor = np.asarray(factor, dtype=float)[..., None]
        mx = self.mx * factor
        return LifeTable(mx=mx, ax=np.broadcast_to(self.ax, mx.shape), width=self.width)

    def improved(self, bx: np.ndarray, k: np.ndarray | float) -> LifeTable:
        """Mortality moved along a Lee-Carter age pattern: mx * exp(bx * k).

        Args:
            bx: age pattern of change, broadcastable to ``mx`` (e.g. (2, A) by sex); sums to 1.
            k: change of the mortality index, shape (...) broadcasting against ``mx[..., 0]``;
                negative = lower mortality.
        """
        k = np.asarray(k, dtype=float)[..., None]
        mx = self.mx * np.exp(np.asarray(bx, dtype=float) * k)
        return LifeTable(mx=mx, ax=np.broadcast_to(self.ax, mx.shape), width=self.width)

    def columns(self) -> dict[str, np.ndarray]:
        """qx, lx (radix 1), dx, Lx (open group: T), Tx and ex."""
        mx, ax = np.broadcast_arrays(self.mx, self.ax)
        n = self._n()
        # nqx = n*m / (1 + (n - a)*m): deaths over survivors at the start (Preston eq. 3.2).
        qx = np.clip(n * mx / (1.0 + (n - ax) * mx), 0.0, 1.0)
        qx[..., -1] = 1.0
        px = 1.0 - qx
        lx = np.concatenate([np.ones_like(qx[..., :1]), np.cumprod(px[..., :-1], axis=-1)], axis=-1)
        dx = lx * qx
        Lx = n * lx - (n - ax) * dx
        # Open group: everyone alive at w dies there, L = l(w) / m(w).
        m_open = mx[..., -1]
        Lx[..., -1] = np.divide(lx[..., -1], m_open, out=np.zeros_like(m_open), where=m_open > 0)
        Tx = np.cumsum(Lx[..., ::-1], axis=-1)[..., ::-1]
        ex = np.divide(Tx, lx, out=np.zeros_like(Tx), where=lx > 0)
        return {"qx": qx, "lx": lx, "dx": dx, "Lx": Lx, "Tx": Tx, "ex": ex}

    @property
    def e0(self) -> np.ndarray:
        """Life expectancy at birth, years."""
        return self.columns()["ex"][..., 0]

    def survival_ratios(self) -> tuple[np.ndarray, np.ndarray]:
        """Annual projection survival ratios, indexed by age at the END of the year.

        Returns:
            ``(s, s_birth)``: ``s[..., a]`` for a = 1..w is the share of those aged a-1 at the start
            of the year who are alive (aged a) at its end, L(a)/L(a-1); the open group w receives
            ages w-1 and w together with T(w)/T(w-1). ``s[..., 0]`` equals ``s_birth`` = L(0)/l(0),
            the share of births during the year alive at its end (births spread evenly).
        """
        cols = self.columns()
        Lx, Tx, lx = cols["Lx"], cols["Tx"], cols["lx"]
        s = np.empty_like(Lx)
        s[..., 1:-1] = Lx[..., 1:-1] / Lx[..., :-2]
        s[..., -1] = Tx[..., -1] / Tx[..., -2]
        s_birth = Lx[..., 0] / lx[..., 0]
        s[..., 0] = s_birth
        return s, s_birth


def scale_to_e0(base: LifeTable, target_e0: np.ndarray, tol: float = 1e-6) -> LifeTable:
    """Scale mortality proportionally so that e0 meets a target, vectorised over leading axes.

    Bisection on log(factor): e0 decreases monotonically in the factor, so 60 halvings of a
    bracket [e^-4, e^4] pin the factor to far below the tolerance of any published e0.

    Args:
        base: life table whose ``mx`` broadcasts against ``target_e0[..., None]``.
        target_e0: target life expectancy at birth, years; shape (...).
        tol: accepted |e0 - target| in years; a target outside the reachable bracket raises.

    Returns:
        A life table with mx of shape target_e0.shape + (A,).
    """
    target = np.asarray(target_e0, dtype=float)
    lo = np.full(target.shape, -4.0)
    hi = np.full(target.shape, 4.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        e0 = base.scaled(np.exp(mid)).e0
        too_high = e0 > target  # mortality too low: raise the factor
        lo = np.where(too_high, mid, lo)
        hi = np.where(too_high, hi, mid)
    result = base.scaled(np.exp(0.5 * (lo + hi)))
    err = np.abs(result.e0 - target)
    if np.any(err > tol):
        raise ValueError(
            f"e0 target out of reach by proportional scaling (max error {err.max():.3g} y)"
        )
    return result


def improve_to_e0(
    base: LifeTable, bx: np.ndarray, target_e0: np.ndarray, tol: float = 1e-6
) -> tuple[LifeTable, np.ndarray]:
    """Move mortality along the Lee-Carter pattern ``bx`` until e0 meets a target.

    Unlike ``scale_to_e0`` (one factor for all ages), the change at each age is proportional to
    ``bx``: where mortality has fallen fast (children, younger adults) it keeps falling faster than
    among the very old, so a rising e0 does not pile up people above 90 (Lee & Carter 1992). The
    index k solving e0(k) = target is found by bisection: with ``bx >= 0`` e0 falls monotonically
    in k, and 80 halvings of [-2000, 2000] pin k far below any published precision of e0.

    Args:
        base: life table, mx of shape (2, A) or broadcasting against ``target_e0[..., None]``.
        bx: age pattern of improvement, shape broadcastable to ``base.mx`` (>= 0).
        target_e0: life expectancy at birth to meet, years; shape (...), e.g. (H, 2).
        tol: accepted |e0 - target| in years; a target out of reach raises.

    Returns:
        The life tables (mx of shape target_e0.shape + (A,)) and k, shape target_e0.shape.

    Raises:
        ValueError: a target cannot be reached within the bracket.
    """
    target = np.asarray(target_e0, dtype=float)
    if np.any(np.asarray(bx) < 0):
        raise ValueError("bx must not be negative: e0 would not be monotone in k")
    lo = np.full(target.shape, -2000.0)
    hi = np.full(target.shape, 2000.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        too_high = base.improved(bx, mid).e0 > target  # mortality too low: raise k
        lo = np.where(too_high, mid, lo)
        hi = np.where(too_high, hi, mid)
    k = 0.5 * (lo + hi)
    result = base.improved(bx, k)
    err = np.abs(result.e0 - target)
    if np.any(err > tol):
        raise ValueError(
            f"e0 target out of reach along the improvement pattern (max error {err.max():.3g} y)"
        )
    return result, k
