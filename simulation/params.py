"""``Param``: a documented model parameter (value, unit, source, plausible range).

Kept in its own module so that every config group's schema (``simulation.config``,
``simulation.config_kita``, ...) can use it without importing ``simulation.config``, which in
turn imports the groups' schemas. ``simulation.config`` re-exports it. ``default(key)`` gives a
schema field its default from the YAML of ``forecast/parameters/`` (the one place of every
default), so ``conf/`` files hold only what a variant or scenario changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from forecast.params import default_param, default_value


@dataclass
class Param:
    """A documented model parameter.

    Attributes:
        value: the number (or a mapping by sex, e.g. ``{f: 0.1, m: 0.1}``).
        unit: unit of ``value``.
        source: citation (see DOMAIN.md sources) or ``estimate`` with a reason.
        range: plausible range for sensitivity analysis, ``[low, high]``.
    """

    value: Any = MISSING
    unit: str = MISSING
    source: str = MISSING
    range: list[Any] | None = None


PARAM_KEYS = ("value", "unit", "source", "range")


def as_param(entry: dict[str, Any]) -> Param:
    """A ``Param`` from a parameter mapping of the YAML defaults (own keys such as ``bounds``
    stay in the library)."""
    return Param(**{k: entry.get(k) for k in PARAM_KEYS})


def default(key: str) -> Any:
    """A schema field whose default is the documented parameter ``key`` of
    ``forecast/parameters/`` (``forecast.params.default_param``)."""
    return field(default_factory=lambda: as_param(default_param(key)))


def default_of(key: str) -> Any:
    """A schema field whose default is the *value* of parameter ``key`` (for plain settings)."""
    return field(default_factory=lambda: default_value(key))
