"""``Param``: a documented model parameter (value, unit, source, plausible range).

Kept in its own module so that every config group's schema (``simulation.config``,
``simulation.config_kita``, ...) can use it without importing ``simulation.config``, which in
turn imports the groups' schemas. ``simulation.config`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omegaconf import MISSING


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
