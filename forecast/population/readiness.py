"""What the population projection will need from a city folder, checked before it runs.

The contract checks (``forecast.validate``) look at each file on its own; a folder can meet them
and still not be projectable: the projection estimates its rates from year-to-year changes of the
register, so it needs at least one pair of consecutive register years up to the base year,
neither listed in ``exclude_years``. ``jhplan check-data`` and ``jhplan run`` both ask this
module, which applies the estimation's own rule (``estimate.usable_transitions``), so the two can
never disagree about a folder.
"""

from __future__ import annotations

from pathlib import Path

from forecast.citydata import CityData
from forecast.population.estimate import population_array, usable_transitions
from forecast.problems import ERROR, WARNING, Problem


def _span(years: list[int]) -> str:
    return ", ".join(str(y) for y in years) if years else "none"


def projection_problems(city: CityData, base_year: int | None = None) -> list[Problem]:
    """Errors and warnings about what the projection needs from the population register.

    Args:
        city: a folder that meets the input contract.
        base_year: the projection's base year (Stichtag 31.12.); None = the last register year,
            as in a run without ``population.estimation.base_year``.

    Returns:
        An error when no usable transition (pair of consecutive register years) exists up to the
        base year or the base year is not a register year; a warning when there is exactly one
        (every rate then rests on a single year's changes). Empty when the base period is fine.
    """
    file = next((name for name in city.files if Path(name).stem == "population"), "population")
    _, years = population_array(city)
    have = [int(y) for y in years]
    base = have[-1] if base_year is None else int(base_year)
    excluded = sorted(int(y) for y in city.exclude_years)
    seen = f"register years found: {_span(have)}" + (
        f"; listed in exclude_years: {_span(excluded)}" if excluded else ""
    )
    if base not in have:
        return [
            Problem(file, None, "year", f"base year {base} is not a register year ({seen})", ERROR)
        ]
    transitions = usable_transitions(city, years, base)
    if not transitions:
        return [
            Problem(
                file,
                None,
                "year",
                f"no usable pair of consecutive register years up to {base}: the projection "
                "estimates fertility, mortality and migration from year-to-year changes and needs "
                f"two consecutive years (e.g. {base - 1} and {base}), neither listed in "
                f"exclude_years ({seen})",
                ERROR,
            )
        ]
    if len(transitions) == 1:
        t = transitions[0]
        return [
            Problem(
                file,
                None,
                "year",
                f"thin base period: only one usable transition ({t}->{t + 1}) up to {base}, so "
                "every rate rests on one year's changes; more consecutive register years would "
                f"let the projection average over several (population.estimation.base_period) "
                f"({seen})",
                WARNING,
            )
        ]
    return []
