"""One place for every fact: the YAML defaults are documented, in range, and drive the code.

* every parameter of ``forecast/parameters/*.yaml`` and of the Hilfeart catalogue has a unit and a
  source that cites DOMAIN.md (``[Sxx]``), a derivation (``D:``, ``derived``) or says
  ``estimate``, and its value lies in its range (and within its hard bounds);
* the library dataclasses and the Hydra schemas take their defaults from the YAML;
* a new Hilfeart is one catalogue entry plus its data: a fictitious one runs through the HzE
  forecast and the system model's parameter derivation without a change of code.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import forecast.contract
import forecast.hze.history
import forecast.validate_table
from forecast.citydata import load_city
from forecast.hze.catalogue import (
    CATALOGUE,
    direct_access_codes,
    escalation_table,
    flexible_code,
    intensity_order,
    load_catalogue,
    sro_scope_codes,
    stationary_codes,
)
from forecast.hze.costs import CostAssumptions
from forecast.hze.forecast import forecast_hze, future_exposure
from forecast.hze.history import load_history, weighted_exposure
from forecast.hze.model import fit_hze
from forecast.hze.settings import HzeSettings
from forecast.kita.demand import DemandAssumptions
from forecast.params import (
    HILFEARTEN_FILE,
    PARAMETERS_DIR,
    default_value,
    iter_parameters,
    read_yaml,
)
from forecast.population.estimate import population_array
from forecast.population.paths import PopulationPaths
from simulation.abm.params import ClassicParams, SroParams

SOURCE = re.compile(r"\[S\d+\]|^D:|\bderived\b|\bestimate\b", re.IGNORECASE)


def all_parameters() -> list[tuple[str, dict]]:
    params = []
    for path in sorted(PARAMETERS_DIR.glob("*.yaml")):
        params += [(f"{path.stem}.{k}", p) for k, p in iter_parameters(read_yaml(path))]
    for code, entry in read_yaml(HILFEARTEN_FILE)["hilfearten"].items():
        params += [(f"hilfearten.{code}.{k}", p) for k, p in iter_parameters(entry)]
    return params


def _numbers(value) -> list[float]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list | tuple):
        return [x for v in value for x in _numbers(v)]
    return [] if value is None or isinstance(value, str | bool) else [float(value)]


def _within(value, low, high) -> bool:
    """value (a number or a mapping by key) lies in [low, high] (numbers or like mappings)."""
    if isinstance(value, dict):
        return all(
            _within(
                v,
                low[k] if isinstance(low, dict) else low,
                high[k] if isinstance(high, dict) else high,
            )
            for k, v in value.items()
        )
    return value is None or float(low) <= float(value) <= float(high)


def test_there_are_parameters_in_every_file() -> None:
    keys = [k for k, _ in all_parameters()]
    for group in ("hze.", "service_model.", "kita.", "population.", "hilfearten."):
        assert any(k.startswith(group) for k in keys), group
    assert len(keys) > 80


@pytest.mark.parametrize(
    ("key", "param"), all_parameters(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_every_parameter_has_unit_source_and_a_value_in_range(key: str, param: dict) -> None:
    assert isinstance(param["unit"], str) and param["unit"].strip(), key
    assert SOURCE.search(param["source"]), f"{key}: source cites no [Sxx], derivation or estimate"
    assert "range" in param, key
    span = param["range"]
    if span is not None and param["value"] is not None and not isinstance(param["value"], list):
        assert len(span) == 2, key
        assert _within(param["value"], span[0], span[1]), f"{key}: {param['value']} not in {span}"
    if "bounds" in param and param["value"] is not None:
        lo, hi = param["bounds"]
        assert all(lo <= x <= hi for x in _numbers(param["value"])), key
        if span is not None:
            assert lo <= span[0] <= span[1] <= hi, key


def test_library_defaults_come_from_the_yaml() -> None:
    assert HzeSettings().damping == default_value("hze.damping")
    costs = CostAssumptions.defaults()
    assert costs.growth == default_value("hze.costs.growth")
    assert costs.per_case == frozenset(h for h, c in CATALOGUE.items() if c.cost_per_case)
    assert DemandAssumptions().saturation_rate == default_value("kita.saturation_rate") == 0.2
    assert ClassicParams().asd_slack == default_value("service_model.classic.asd_slack")
    assert ClassicParams().escalation == escalation_table()
    assert SroParams().scope == sro_scope_codes()
    assert forecast.contract.HILFEARTEN == tuple(CATALOGUE)


def test_catalogue_attributes() -> None:
    assert flexible_code() == "p27_2"
    assert stationary_codes() == ("p33", "p34")
    assert direct_access_codes() == ("p28",)
    assert intensity_order()[0] == "p28" and intensity_order()[-1] == "p41"
    assert "p28" not in sro_scope_codes() and "p35a" not in sro_scope_codes()
    for code, h in CATALOGUE.items():
        assert abs(sum(h.age_profile) - 1) < 1e-12, code
        assert set(h.escalation) <= set(CATALOGUE), code


def _add_fictitious_hilfeart(tmp_path: Path) -> Path:
    """A copy of the catalogue with § 99, a Hilfeart like § 30 between §§ 30 and 31 in intensity."""
    text = yaml.safe_load(HILFEARTEN_FILE.read_text(encoding="utf-8"))
    new = dict(text["hilfearten"]["p30"])
    new.update(label="§ 99 Testhilfe", short="Testhilfe", intensity=2.5, escalation={"p34": 0.02})
    text["hilfearten"]["p99"] = new
    text["hilfearten"]["p29"]["escalation"] = {"p30": 0.04, "p99": 0.01}
    path = tmp_path / "hilfearten.yaml"
    path.write_text(yaml.safe_dump(text, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def with_p99(tmp_path, monkeypatch) -> dict:
    """The catalogue with § 99 in place of the shipped one (as if the YAML had the entry)."""
    extended = load_catalogue(_add_fictitious_hilfeart(tmp_path))
    codes = tuple(extended)
    monkeypatch.setitem(CATALOGUE, "p99", extended["p99"])
    monkeypatch.setitem(CATALOGUE, "p29", extended["p29"])
    # The contract's code list is read from the catalogue file at import: set it as it would be.
    monkeypatch.setattr(forecast.contract, "HILFEARTEN", codes)
    monkeypatch.setattr(forecast.hze.history, "HILFEARTEN", codes)
    monkeypatch.setitem(forecast.validate_table.CATEGORY_KINDS, "hilfeart", codes)
    assert tuple(CATALOGUE) == codes
    return extended


def test_a_new_hilfeart_is_one_catalogue_entry(with_p99, tmp_path, tinycity_dir) -> None:
    city_dir = Path(shutil.copytree(tinycity_dir, tmp_path / "city"))
    cases = pd.read_csv(city_dir / "hze_cases.csv")
    p99 = cases[cases["hilfeart"] == "p30"].assign(hilfeart="p99")
    pd.concat([cases, p99]).to_csv(city_dir / "hze_cases.csv", index=False)

    # HzE forecast: fitted and forecast with the new Hilfeart's rate, duration and unit cost.
    city = load_city(city_dir)
    reg, reg_years = population_array(city)
    base = int(reg_years[-1])
    history = load_history(city)
    assert "p99" in history.hilfearten
    settings = HzeSettings(backtest_sims=60, duration_grid=8)
    expo0 = weighted_exposure(reg[-2:], tuple(CATALOGUE))[-1]
    model = fit_hze(history, city.district_codes, base, expo0, settings, seed=3)
    assert "p99" in model.codes
    pop = np.repeat(reg[-1:, ..., :27], 4, 0)[None]
    paths = PopulationPaths(np.arange(base, base + 4), model.districts, pop, stochastic=False)
    years = np.arange(model.last_year + 1, base + 4)
    exposure, u21 = future_exposure(paths, reg, reg_years, years)
    seeds = np.random.SeedSequence(7).spawn(20)
    fc = forecast_hze(model, exposure, u21, years, 20, seeds, CostAssumptions.defaults())
    h = model.codes.index("p99")
    assert np.all(fc.draws["Cost"][..., h] >= 0) and fc.draws["Cost"][..., h].sum() > 0

    # System model parameters: escalation, budget scope, need bands from the entry.
    classic, sro = ClassicParams(), SroParams()
    e, notes = classic.escalation_matrix(tuple(CATALOGUE))
    codes = tuple(CATALOGUE)
    assert e[codes.index("p29"), codes.index("p99")] == 0.01
    assert e[codes.index("p99"), codes.index("p34")] == 0.02 and not notes
    assert "p99" in sro.scope
    order = intensity_order()
    assert order.index("p30") < order.index("p99") < order.index("p31")
