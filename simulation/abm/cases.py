"""Cases and referrals as columns of numpy arrays (no Python object per case).

A ``CaseTable`` is a set of equally long columns in growable buffers: appending a month's new
cases and dropping ended ones are single vectorised operations, so the monthly step never loops
over cases. The model keeps two tables:

* ``cases`` (help in progress): ``area`` (Wirkungsraum), ``hilfeart``, ``need``, ``start``
  (first month), ``last`` (last running month; the help ends at its end), ``provider``,
  ``rate`` (EUR per case-month at prices of the price year), ``origin`` (for a Maßanzug: the
  placement it replaces, else -1), ``u_esc`` (see ``UNIFORMS``);
* ``queue`` (referrals waiting for the ASD or for a place): ``area``, ``hilfeart``, ``need``,
  ``arrival`` (month), ``origin``, ``approved`` (Hilfeplan done, waiting for a place) and the
  referral's ``UNIFORMS``.

Need level: ``need = rank + u`` with ``rank`` the Hilfeart's position in ``intensity_order()`` of
the catalogue (``forecast/hze/hilfearten.yaml``, attribute ``intensity``) and ``u``
uniform in [0, 1): the standard catalogue ("Regalware") gives each need band its Hilfeart; ``u``
orders cases within a band (lowest need first to a Maßanzug under SRO, highest need first to the
ASD, more escalation at the top of a band).
"""

from __future__ import annotations

import numpy as np

RUNNING = {
    "area": np.int64,
    "hilfeart": np.int64,
    "need": np.float64,
    "start": np.int32,
    "last": np.int32,
    "provider": np.int64,
    "rate": np.float64,
    "origin": np.int64,
    "u_esc": np.float64,
}
QUEUE = {
    "area": np.int64,
    "hilfeart": np.int64,
    "need": np.float64,
    "arrival": np.int32,
    "origin": np.int64,
    "approved": np.bool_,
    "u_dur": np.float64,
    "u_round": np.float64,
    "u_esc": np.float64,
    "u_prov": np.float64,
}
UNIFORMS = ("u_dur", "u_round", "u_esc", "u_prov")
"""Uniform numbers a referral carries from its creation: duration, rounding of a shortened
duration, escalation at its end, choice of provider. Drawn once per referral, so that two
scenarios that see the same referral treat it with the same random numbers."""


class CaseTable:
    """Equally long columns in growable buffers.

    Args:
        columns: column name -> numpy dtype.
        capacity: initial buffer length (grows by doubling).
    """

    def __init__(self, columns: dict[str, type], capacity: int = 1024) -> None:
        self.n = 0
        self._cols = {k: np.empty(max(capacity, 16), dtype=t) for k, t in columns.items()}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        """The live part of a column (a view: writing to it changes the table)."""
        return self._cols[name][: self.n]

    def append(self, **columns: np.ndarray) -> None:
        """Append rows: every column, ``area`` as an array, the others of its length or scalars."""
        if columns.keys() != self._cols.keys():
            raise KeyError(f"expected columns {sorted(self._cols)}, got {sorted(columns)}")
        k = len(columns["area"])  # every table has an area column; others match or broadcast
        if k == 0:
            return
        if self.n + k > next(iter(self._cols.values())).size:
            size = max(2 * (self.n + k), 16)
            for name, buf in self._cols.items():
                new = np.empty(size, dtype=buf.dtype)
                new[: self.n] = buf[: self.n]
                self._cols[name] = new
        for name, value in columns.items():
            self._cols[name][self.n : self.n + k] = value
        self.n += k

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is True (order preserved)."""
        idx = np.flatnonzero(mask)
        k = idx.size
        if k == self.n:
            return
        for buf in self._cols.values():
            buf[:k] = buf[idx]
        self.n = k

    def take(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Copies of the given rows, column by column."""
        return {name: buf[: self.n][idx] for name, buf in self._cols.items()}


def rank_within(groups: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """Rank of each row within its group, ordered by ``keys`` (first key most significant).

    Args:
        groups: non-negative group ids, shape (n,).
        keys: sort keys, each shape (n,); ascending.

    Returns:
        0-based rank within the group, shape (n,).
    """
    if groups.size == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((*keys[::-1], groups))
    g = groups[order]
    first = np.searchsorted(g, g, side="left")
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - first
    return ranks


def rank_in_order(groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Rank of each row within its group in table order (0 = first row of its group).

    Args:
        groups: group ids in 0..n_groups-1, shape (n,).
        n_groups: number of groups.
    """
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    ranks = np.empty(groups.size, np.int64)
    ranks[order] = np.arange(groups.size) - starts[groups[order]]
    return ranks


class DurationSampler:
    """Durations (months, >= 1) by inverse transform, vectorised over Hilfearten.

    The duration of a uniform u is the smallest m with cdf[h, m-1] > u. A lookup table of that
    function on a grid of u answers most draws with one gather; draws in a grid cell where the
    duration changes (a small share) are resolved exactly by binary search in the cdf.

    Args:
        pmf: duration pmfs, shape (H, K), months 1..K.
        grid: cells of the lookup table.
    """

    def __init__(self, pmf: np.ndarray, grid: int = 1 << 14) -> None:
        cdf = np.cumsum(pmf, axis=1)
        cdf[:, -1] = 1.0
        self.k = pmf.shape[1]
        self.grid = grid
        # Row h shifted by h: the rows form one sorted array, so one searchsorted serves all.
        self.table = (cdf + np.arange(pmf.shape[0])[:, None]).ravel()
        points = np.arange(grid + 1) / grid
        lookup = [self.exact(np.full(grid + 1, h), points) for h in range(len(pmf))]
        self.lookup = np.concatenate(lookup).astype(np.int16 if self.k < 2**15 else np.int64)

    def exact(self, h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Durations by binary search in the cdf of each case's Hilfeart."""
        pos = np.searchsorted(self.table, h + u, side="right") - h * self.k
        return np.minimum(pos, self.k - 1) + 1

    def __call__(self, h: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Durations for Hilfeart indices ``h`` and uniforms ``u`` in [0, 1), shape (n,)."""
        at = h * (self.grid + 1) + (u * self.grid).astype(np.int64)  # row h, cell of u
        out = self.lookup[at].astype(np.int64)
        hard = np.flatnonzero(self.lookup[at + 1] != out)  # the duration changes in the cell
        if hard.size:
            out[hard] = self.exact(h[hard], u[hard])
        return out
