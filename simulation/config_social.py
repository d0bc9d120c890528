"""Typed configuration of the social stage (config group ``social``).

The defaults live once, in ``forecast/parameters/social.yaml``; ``conf/social/*.yaml`` select a
variant. Any value can be changed on the command line, e.g. ``social.index.method=pca``,
``social.budget.formula=jugendeinwohnerwert`` or ``social.index.weights.value.sgb2_rate_u15=2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forecast.social.budget import FORMULAS
from forecast.social.index import IndexSpec
from simulation.params import Param, default


@dataclass
class SocialIndexConfig:
    """The status and dynamics index (``forecast.social.index``).

    Attributes:
        method: ``zscore`` (weighted z-scores) or ``pca`` (first principal component).
        weights, signs: per indicator of the ``social`` file.
        status_cuts, dynamics_cut: class boundaries (standard deviations of the index).
        dynamics_years: span of the change of the dynamics index.
        alternatives: alternative weightings of the class sensitivity (0 = none).
    """

    method: str = "zscore"
    weights: Param = default("social.index.weights")
    signs: Param = default("social.index.signs")
    status_cuts: Param = default("social.index.status_cuts")
    dynamics_cut: Param = default("social.index.dynamics_cut")
    dynamics_years: Param = default("social.index.dynamics_years")
    alternatives: int = 200


@dataclass
class SocialBudgetConfig:
    """The need-based Planbudget split (``forecast.social.budget``).

    Attributes:
        formula: ``population``, ``index`` or ``jugendeinwohnerwert``.
        beta: log weight per standard deviation of the status index (``index``).
        spread: extra weight of the neediest district (``jugendeinwohnerwert``).
        abm: the ABM's SRO Planbudget follows this split (else: each Wirkungsraum's expected
            classic cost, as without the social stage).
    """

    formula: str = "index"
    beta: Param = default("social.budget.beta")
    spread: Param = default("social.budget.spread")
    abm: bool = True


@dataclass
class SocialConfig:
    """Settings of the social stage (index, classes, Kennzahlen, budget split)."""

    variant: str = "default"
    index: SocialIndexConfig = field(default_factory=SocialIndexConfig)
    sensitivity_factor: Param = default("social.sensitivity_factor")
    budget: SocialBudgetConfig = field(default_factory=SocialBudgetConfig)


def index_spec(cfg: SocialConfig) -> IndexSpec:
    """Library index settings from the config group."""
    i = cfg.index
    weights = {str(k): float(v) for k, v in dict(i.weights.value).items()}
    signs = {str(k): int(v) for k, v in dict(i.signs.value).items()}
    if cfg.budget.formula not in FORMULAS:
        raise ValueError(
            f"social.budget.formula={cfg.budget.formula!r}: expected one of {FORMULAS}"
        )
    return IndexSpec(
        signs={k: signs.get(k, 1) for k in weights},
        weights=weights,
        method=i.method,
        status_cuts=tuple(float(c) for c in i.status_cuts.value),
        dynamics_cut=float(i.dynamics_cut.value),
        dynamics_years=int(i.dynamics_years.value),
    )
