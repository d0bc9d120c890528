"""The social index of a city's districts: status, dynamics, their classes and their robustness.

A *status index* summarises the social situation of each district from indicators such as the
SGB II rate of the under 15s, the share of single-parent households or the unemployment rate.
Each indicator is standardised across the districts (z-score: mean 0, standard deviation 1),
multiplied by its sign (+1: a higher value means more need) and weighted; the weighted mean is
standardised again, so the index reads "standard deviations of need above the average district".
The principal-component variant weights the indicators by the loadings of the first principal
component of their correlation matrix instead of by hand (the NRW Schulsozialindex uses a
factor model, DOMAIN.md § 7). The *dynamics index* does the same with each indicator's change
over the last years. Districts fall into 4 status classes x 3 dynamics classes, as Berlin's
Monitoring Soziale Stadtentwicklung and Hamburg's RISE Sozialmonitoring classify their areas.

Sensitivity: the status class of each district is recomputed under alternative weights (each
weight multiplied by a log-uniform factor within ``1/factor .. factor``); the share of
alternatives in which a district changes class says how much its class owes to the weighting.

References:
    Senatsverwaltung für Stadtentwicklung Berlin, Monitoring Soziale Stadtentwicklung (since 1998);
    Freie und Hansestadt Hamburg, RISE Sozialmonitoring (since 2010): z-transformation, status 4 x
    dynamics 3 (DOMAIN.md § 7). Jolliffe, I. T. (2002). Principal Component Analysis, ch. 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

STATUS_CLASSES = ("hoch", "mittel", "niedrig", "sehr niedrig")
"""Status classes from the least to the most need (German terms of the MSS and of RISE)."""
DYNAMICS_CLASSES = ("positiv", "stabil", "negativ")
"""Dynamics classes: need falling, unchanged, rising."""


@dataclass(frozen=True)
class IndexSpec:
    """How the indicators enter the index.

    Attributes:
        signs: indicator -> +1 (a higher value means more need) or -1.
        weights: indicator -> weight (>= 0); normalised over the indicators present.
        method: ``zscore`` (weighted z-scores) or ``pca`` (first principal component).
        status_cuts: three cuts of the standardised status index between the 4 classes.
        dynamics_cut: the dynamics index beyond +-cut is ``negativ`` / ``positiv``.
        dynamics_years: span of the change the dynamics index measures, years.
    """

    signs: Mapping[str, float]
    weights: Mapping[str, float]
    method: str = "zscore"
    status_cuts: tuple[float, float, float] = (-1.0, 1.0, 1.5)
    dynamics_cut: float = 1.0
    dynamics_years: int = 2

    def __post_init__(self) -> None:
        if self.method not in ("zscore", "pca"):
            raise ValueError(f"social index method {self.method!r}: expected zscore or pca")
        if set(self.signs) != set(self.weights):
            raise ValueError("social index: signs and weights must name the same indicators")
        if any(w < 0 for w in self.weights.values()) or not any(self.weights.values()):
            raise ValueError("social index: weights must be >= 0 and not all 0")
        if any(s not in (1, -1) for s in self.signs.values()):
            raise ValueError("social index: every sign must be +1 or -1")
        if list(self.status_cuts) != sorted(self.status_cuts):
            raise ValueError("social index: status_cuts must be increasing")


@dataclass(frozen=True)
class SocialIndex:
    """Status and dynamics of the districts in one year.

    Attributes:
        year: the year of the status.
        districts: district codes, length D.
        indicators: the indicators used (present in the data and with weight > 0).
        weights: their normalised weights (for ``pca``: the loadings' weights).
        z: signed z-scores of the indicators, (D, I).
        status: standardised status index (higher = more need), (D,).
        status_class: index into ``STATUS_CLASSES``, (D,).
        dynamics: standardised dynamics index (higher = need rising faster), (D,) or None.
        dynamics_class: index into ``DYNAMICS_CLASSES``, (D,) or None.
        class_change: share of alternative weightings that change the status class, (D,).
        notes: what was left out, one sentence each.
    """

    year: int
    districts: tuple[str, ...]
    indicators: tuple[str, ...]
    weights: np.ndarray
    z: np.ndarray
    status: np.ndarray
    status_class: np.ndarray
    dynamics: np.ndarray | None = None
    dynamics_class: np.ndarray | None = None
    class_change: np.ndarray | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def table(self) -> pd.DataFrame:
        """One row per district: index values and class names."""
        out = pd.DataFrame(
            {
                "district": self.districts,
                "status": self.status,
                "status_class": [STATUS_CLASSES[c] for c in self.status_class],
            }
        )
        if self.dynamics is not None:
            out["dynamics"] = self.dynamics
            out["dynamics_class"] = [DYNAMICS_CLASSES[c] for c in self.dynamics_class]
        if self.class_change is not None:
            out["class_change"] = self.class_change
        return out


def standardise(x: np.ndarray) -> np.ndarray:
    """z-scores along axis 0 (population standard deviation; a constant column gives 0)."""
    sd = x.std(axis=0)
    return np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x, float), where=sd > 0)


def status_classes(status: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """Class 0..3 (``STATUS_CLASSES``) of a standardised status index."""
    return np.searchsorted(np.asarray(cuts, float), status, side="right")


def dynamics_classes(dynamics: np.ndarray, cut: float) -> np.ndarray:
    """Class 0..2 (``DYNAMICS_CLASSES``): falling need below -cut, rising need above +cut."""
    return np.where(dynamics < -cut, 0, np.where(dynamics > cut, 2, 1))


def composite(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Standardised weighted mean of signed z-scores, (..., D) from z (D, I), weights (..., I)."""
    w = weights / weights.sum(axis=-1, keepdims=True)
    raw = np.einsum("di,...i->...d", z, w)
    sd = raw.std(axis=-1, keepdims=True)
    return np.divide(
        raw - raw.mean(axis=-1, keepdims=True), sd, out=np.zeros_like(raw), where=sd > 0
    )


def pca_weights(z: np.ndarray) -> np.ndarray:
    """Weights of the first principal component of signed z-scores (D, I), summing to 1.

    The component's sign is chosen so that its loadings point towards more need (their sum is
    positive); negative loadings (an indicator that runs against the others) are set to 0, so the
    index stays a weighted mean of need indicators.
    """
    corr = np.atleast_2d(np.corrcoef(z, rowvar=False))
    corr = np.nan_to_num(corr)
    _, vectors = np.linalg.eigh(corr)
    first = vectors[:, -1]
    first = first if first.sum() >= 0 else -first
    w = np.clip(first, 0.0, None)
    return w / w.sum()


def wide_indicators(social: pd.DataFrame, districts: Sequence[str]) -> dict[int, pd.DataFrame]:
    """year -> (district x indicator) table of a long ``social`` file (mean of duplicates)."""
    out = {}
    for year, rows in social.groupby("year", sort=True):
        wide = rows.pivot_table(index="district", columns="indicator", values="value")
        out[int(year)] = wide.reindex(list(districts))
    return out


def social_index(
    social: pd.DataFrame,
    districts: Sequence[str],
    spec: IndexSpec,
    year: int | None = None,
    alternatives: int = 0,
    factor: float = 2.0,
    rng: np.random.Generator | None = None,
) -> SocialIndex:
    """Status, dynamics and classes of the districts from a long ``social`` table.

    Args:
        social: columns year, district, indicator, value (the ``social`` input file).
        districts: district codes (every one needs a value of every indicator used).
        spec: signs, weights, method and class cuts.
        year: year of the status; None = the latest year with every district.
        alternatives: number of alternative weightings for the class sensitivity (0 = none).
        factor: an alternative weight lies within ``weight / factor .. weight * factor``.
        rng: random generator of the alternative weights.

    Raises:
        ValueError: no indicator of ``spec`` has values for every district in ``year``.
    """
    tables = wide_indicators(social, districts)
    notes: list[str] = []
    if year is None:
        complete = [
            y
            for y, t in tables.items()
            if t.reindex(columns=list(spec.weights)).notna().all().any()
        ]
        if not complete:
            raise ValueError("social: no year has an index indicator for every district")
        year = max(complete)
    if year not in tables:
        raise ValueError(f"social: no indicator values for {year}")
    now = tables[year]
    used = []
    for name, weight in spec.weights.items():
        if weight <= 0:
            continue
        if name not in now.columns or now[name].isna().any():
            notes.append(f"indicator {name!r} left out: no value for every district in {year}")
            continue
        used.append(name)
    if not used:
        raise ValueError(
            f"social: none of the indicators {list(spec.weights)} is complete in {year}"
        )
    signs = np.array([spec.signs[n] for n in used], float)
    z = standardise(now[used].to_numpy(float)) * signs
    weights = np.array([spec.weights[n] for n in used], float)
    if spec.method == "pca":
        weights = pca_weights(z) if len(used) > 1 else np.ones(1)
    weights = weights / weights.sum()
    status = composite(z, weights)
    status_class = status_classes(status, spec.status_cuts)
    dynamics = dynamics_class = None
    before = year - spec.dynamics_years
    if before in tables and tables[before].reindex(columns=used).notna().all().all():
        change = now[used].to_numpy(float) - tables[before][used].to_numpy(float)
        dynamics = composite(standardise(change) * signs, weights)
        dynamics_class = dynamics_classes(dynamics, spec.dynamics_cut)
    else:
        notes.append(f"no dynamics index: the indicators are not complete for {before}")
    class_change = None
    if alternatives > 0:
        if rng is None:
            raise ValueError("social_index: alternatives need a random generator")
        u = rng.uniform(-1.0, 1.0, size=(alternatives, len(used)))
        alt = composite(z, weights * np.exp(np.log(factor) * u))
        class_change = (status_classes(alt, spec.status_cuts) != status_class).mean(axis=0)
    return SocialIndex(
        year=int(year),
        districts=tuple(districts),
        indicators=tuple(used),
        weights=weights,
        z=z,
        status=status,
        status_class=status_class,
        dynamics=dynamics,
        dynamics_class=dynamics_class,
        class_change=class_change,
        notes=tuple(notes),
    )
