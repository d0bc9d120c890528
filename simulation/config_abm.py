"""Typed configuration of the ABM stage (key ``abm``, config group ``service_model``).

The defaults live once, in ``forecast/parameters/service_model.yaml`` (through the field
metadata of ``ClassicParams`` and ``SroParams``) and, for the escalation rows and the budget scope,
in the Hilfeart catalogue. ``conf/service_model/*.yaml`` (``# @package abm``) select a scenario:
``classic`` runs the classic system only; ``sozialraum`` switches SRO on (an override of
``classic``); ``sozialraum_weak`` / ``_strong`` / ``_slow`` / ``_fast`` override a few SRO values
of ``sozialraum``. With ``service_model=classic`` the stage runs the classic system only; with any
other, the classic system and that SRO scenario on the same replicates, and their difference.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from simulation.abm.params import ClassicParams, SroParams, describe
from simulation.params import Param


def _documented(cls: type, name: str) -> Any:
    """A schema field whose default is the library parameter ``name`` of ``cls`` with its
    documentation (value, unit, source, range)."""

    def make() -> Param:
        doc = describe(cls)[name]
        value = list(doc["value"]) if isinstance(doc["value"], tuple) else doc["value"]
        span = None if doc["range"] is None else list(doc["range"])
        return Param(value=value, unit=doc["unit"], source=doc["source"], range=span)

    return field(default_factory=make)


def _schema(name: str, cls: type) -> type:
    """A Hydra schema with one documented ``Param`` per field of the library class ``cls``, in
    its order: the parameters are listed once, in ``simulation.abm.params``."""
    schema = dataclasses.make_dataclass(
        name, [(f.name, Param, _documented(cls, f.name)) for f in dataclasses.fields(cls)]
    )
    schema.__module__ = __name__  # pickled by reference (submitit, joblib launchers)
    schema.__doc__ = (
        f"Schema of ``simulation.abm.params.{cls.__name__}`` (see it for each meaning)."
    )
    return schema


AbmClassicConfig = _schema("AbmClassicConfig", ClassicParams)
"""The classic system."""

AbmSroConfig = _schema("AbmSroConfig", SroParams)
"""The SRO mechanisms."""


@dataclass
class AbmSensitivityConfig:
    """One-at-a-time sensitivity of the cost difference to the SRO parameters.

    Attributes:
        enabled: run it (only when an SRO scenario runs).
        replicates: replicates per setting (common random numbers).
        months: horizon of the outcome (cumulative cost difference), months.
        parameters: SRO parameters to vary; empty = all with a range.
    """

    enabled: bool = True
    replicates: int = 10
    months: int = 120
    parameters: list[str] = field(default_factory=list)


@dataclass
class AbmConfig:
    """Settings of the ABM stage.

    Attributes:
        service_model: ``classic``, or the name of the SRO scenario compared with it.
        replicates: replicates; with population draws, replicate r runs on draw r (at most
            one per draw: ``min(replicates, draws)``).
        months: months to simulate (None: the whole forecast horizon).
        n_jobs: worker processes for the replicates (joblib; 1 = in this process).
        samples: also write per-replicate city values of the total cost, cost difference, running
            and ended helps and stationary share (for the SRO effect of `jhplan compare`).
        figures: write the fan and tornado charts.
    """

    service_model: str = "classic"
    replicates: int = 100
    months: int | None = None
    n_jobs: int = 1
    samples: bool = True
    figures: bool = True
    classic: AbmClassicConfig = field(default_factory=AbmClassicConfig)
    sro: AbmSroConfig = field(default_factory=AbmSroConfig)
    sensitivity: AbmSensitivityConfig = field(default_factory=AbmSensitivityConfig)


def _values(group, cls: type) -> dict:
    out = {}
    for f in dataclasses.fields(cls):
        value = getattr(group, f.name).value
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, dict):
            value = {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
        out[f.name] = value
    return out


def classic_params(cfg: AbmConfig) -> ClassicParams:
    """Library parameters of the classic system from ``abm.classic``."""
    values = _values(cfg.classic, ClassicParams)
    values["providers_per_area"] = int(values["providers_per_area"])
    return ClassicParams(**values)


def sro_params(cfg: AbmConfig) -> SroParams:
    """Library SRO parameters from ``abm.sro``."""
    return SroParams(**_values(cfg.sro, SroParams))


def check_abm_config(cfg: AbmConfig) -> None:
    """Errors a run would otherwise meet late, with the key to fix.

    Raises:
        ValueError: a setting is out of its range.
    """
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", cfg.service_model):
        raise ValueError(
            f"abm.service_model={cfg.service_model!r}: expected 'classic' or a scenario name "
            "of letters, digits, '_' or '-'"
        )
    for key, value, low in (
        ("abm.replicates", cfg.replicates, 1),
        ("abm.n_jobs", cfg.n_jobs, 1),
        ("abm.sensitivity.replicates", cfg.sensitivity.replicates, 1),
        ("abm.sensitivity.months", cfg.sensitivity.months, 12),
    ):
        if int(value) < low:
            raise ValueError(f"{key}={value}: expected at least {low}")
    if cfg.months is not None and int(cfg.months) < 12:
        raise ValueError(f"abm.months={cfg.months}: expected at least 12 (or null = horizon)")
    unknown = [p for p in cfg.sensitivity.parameters if p not in SroParams.varied()]
    if unknown:
        raise ValueError(
            f"abm.sensitivity.parameters: {unknown} unknown; expected some of {SroParams.varied()}"
        )
