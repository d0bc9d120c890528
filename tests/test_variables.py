"""The results vocabulary (forecast.variables) and the stage registry (simulation.stages).

That every variable a run writes is in the vocabulary is checked on a run of all stages in
tests/test_report.py (``test_every_result_variable_and_unit_is_in_the_vocabulary``).
"""

from __future__ import annotations

import pytest

from forecast import variables as v
from simulation.stages import STAGES, check_stages


def test_patterns_name_and_match_their_parts() -> None:
    assert v.HZE["Cases"].name(hilfeart="p34") == "HzE|Cases|p34"
    assert v.lookup("Population|f|3") is v.POPULATION_CELL
    assert v.lookup("Population|m|80+") is v.POPULATION_GROUP
    assert v.lookup("ABM|Cost|Total") is v.ABM["Cost"]
    assert v.lookup("ABM|Cost|Prevention") is v.ABM_COST_PARTS
    assert v.label("HzE|Cases|Total") == "HzE-Fallzahl"
    assert v.label("Population|f|0-2") == "Einwohner 0-2 Jahre"
    with pytest.raises(KeyError):
        v.lookup("Population|x|3")
    assert v.unknown_variables([("hze", "HzE|Real cost|p34", "EUR per year, prices of 2025")]) == []
    assert v.unknown_variables([("hze", "HzE|Cost|p34", "persons")])  # wrong unit
    assert v.unknown_variables([("kita", "HzE|Cost|p34", "EUR per year, nominal")])  # wrong model


def test_patterns_are_unique_and_quantiles_one_set() -> None:
    patterns = [x.pattern for x in v.VARIABLES]
    assert len(patterns) == len(set(patterns))
    assert set(v.BAND) <= set(v.QUANTILES) and v.BAND == (0.1, 0.5, 0.9)
    assert list(v.QUANTILES) == sorted(v.QUANTILES)


def test_stage_registry_keeps_the_seed_keys_and_checks_requirements() -> None:
    keys = {s.name: s.seed_key for s in STAGES}
    assert keys == {
        "population": 0,
        "kita": 1,
        "hze": 2,
        "social": 18,
        "abm": 3,
        "report": None,
        "ganztag": None,
    }
    assert STAGES[-1].name == "report"  # reads what the others wrote
    assert [s.name for s in check_stages(["report", "hze", "population"])] == [
        "population",
        "hze",
        "report",
    ]
    with pytest.raises(ValueError, match="needs stage"):
        check_stages(["abm"])
    with pytest.raises(ValueError, match="unknown"):
        check_stages(["population", "weather"])
    for stage in STAGES:
        assert all(x.model == stage.name for x in stage.writes)
