"""ABM parameters and configuration: documented defaults, Hydra scenarios, clear errors."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from forecast.citydata import load_city
from forecast.problems import InputDataError
from simulation.abm.experiment import replicate_draws
from simulation.abm.inputs import AbmInputs, wirkungsraeume
from simulation.abm.model import HzeSystemModel
from simulation.abm.params import ClassicParams, SroParams, describe
from simulation.config import register_configs
from simulation.config_abm import check_abm_config, classic_params, sro_params

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
register_configs()


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return OmegaConf.to_object(compose(config_name="config", overrides=list(overrides)))


def test_configuration_defaults_are_the_library_defaults_with_sources() -> None:
    cfg = config("service_model=classic").abm
    for group, cls in (("classic", ClassicParams), ("sro", SroParams)):
        for name, doc in describe(cls).items():
            entry = getattr(getattr(cfg, group), name)
            value = entry.value
            assert (tuple(value) if isinstance(value, list) else value) == doc["value"], name
            assert entry.unit == doc["unit"] and entry.source == doc["source"], name
            assert entry.range == (None if doc["range"] is None else list(doc["range"])), name
            assert "estimate" in doc["source"] or "[S" in doc["source"], name


def test_neutral_switches_every_effect_off() -> None:
    neutral = SroParams.neutral()
    for name in SroParams.effects():
        assert getattr(neutral, name) == describe(SroParams)[name]["neutral"], name
        assert getattr(SroParams(), name) != getattr(neutral, name), name  # defaults do act
    assert set(SroParams.effects()) <= set(SroParams.varied())


def test_scenarios_override_the_baseline() -> None:
    base = config()
    assert base.abm.service_model == "sozialraum"
    assert config("service_model=classic").abm.service_model == "classic"
    default = sro_params(base.abm)
    weak = sro_params(config("service_model=sozialraum_weak").abm)
    strong = sro_params(config("service_model=sozialraum_strong").abm)
    assert weak.stationary_entry > default.stationary_entry > strong.stationary_entry
    assert weak.prevention_yield < default.prevention_yield < strong.prevention_yield
    slow = sro_params(config("service_model=sozialraum_slow").abm)
    fast = sro_params(config("service_model=sozialraum_fast").abm)
    assert fast.ramp_years < default.ramp_years < slow.ramp_years
    assert slow.replace(ramp_years=4.0) == default  # only the ramp differs
    assert classic_params(base.abm) == ClassicParams()
    changed = config("abm.sro.stationary_entry.value=0.7")
    assert sro_params(changed.abm).stationary_entry == 0.7


@pytest.mark.parametrize(
    ("cls", "changes", "match"),
    [
        (SroParams, {"stationary_entry": 1.5}, "stationary_entry = 1.5: expected a number between"),
        (SroParams, {"prevention_share": -0.1}, "prevention_share"),
        (SroParams, {"ramp_years": float("nan")}, "ramp_years"),
        (ClassicParams, {"escalation": {"p31": {"p34": 0.9}}}, r"escalation\[p31\]\[p34\]"),
        (ClassicParams, {"asd_intake_hours": 0.0}, "asd_intake_hours"),
    ],
)
def test_bad_parameters_are_refused_by_name(cls, changes, match) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**changes)


def test_bad_settings_are_refused() -> None:
    cfg = config().abm
    for key, value, match in (
        ("service_model", "a/b", "abm.service_model"),
        ("replicates", 0, "abm.replicates"),
        ("months", 6, "abm.months"),
    ):
        bad = copy.deepcopy(cfg)
        setattr(bad, key, value)
        with pytest.raises(ValueError, match=match):
            check_abm_config(bad)
    cfg.sensitivity.parameters = ["nonsense"]
    with pytest.raises(ValueError, match="nonsense"):
        check_abm_config(cfg)
    inputs = AbmInputs.synthetic(under21=1_000, areas=1, years=2)
    with pytest.raises(ValueError, match="months=30"):
        HzeSystemModel(inputs, months=30)
    with pytest.raises(ValueError, match="3 replicates"):
        replicate_draws(AbmInputs.synthetic(under21=1_000, areas=1, years=2, draws=2), 3)
    with pytest.raises(ValueError, match="stock"):
        AbmInputs(
            inputs.codes,
            inputs.areas,
            2026,
            inputs.begun,
            inputs.durations,
            np.zeros((2, 2)),
            inputs.costs,
        )


def test_wirkungsraeume_from_sozialraum_or_city_yaml(tinycity_dir, tinycity_copy) -> None:
    assert wirkungsraeume(load_city(tinycity_dir)) == {"nord": ("a", "b"), "sued": ("c",)}
    konstanz = wirkungsraeume(load_city(ROOT / "data" / "konstanz"))
    assert list(konstanz) == ["mitte", "petershausen", "ost", "west"]
    assert sum(len(v) for v in konstanz.values()) == 15
    yaml_file = tinycity_copy / "city.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text(text + "wirkungsraeume: {eins: [c, a], zwei: [b]}\n", encoding="utf-8")
    assert wirkungsraeume(load_city(tinycity_copy)) == {"eins": ("a", "c"), "zwei": ("b",)}
    yaml_file.write_text(text + "wirkungsraeume: {eins: [a, x], zwei: [a]}\n", encoding="utf-8")
    with pytest.raises(InputDataError) as err:
        wirkungsraeume(load_city(tinycity_copy))
    message = str(err.value)
    line = text.count("\n") + 1  # the appended key's line
    assert f"city.yaml, row {line}, key 'wirkungsraeume'" in message
    assert "unknown district 'x'" in message
    assert "'a' in both 'eins' and 'zwei'" in message
    assert "['b', 'c'] in no Wirkungsraum" in message
