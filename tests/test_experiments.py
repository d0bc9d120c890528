"""Scenario bundles (conf/experiment/): every bundle composes, and each is the baseline plus what
it says it changes; the Neubau scenario's housing plan is checked like city data and reaches the
projection."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from forecast.citydata import load_city
from forecast.problems import InputDataError
from simulation.config import JhplanConfig, register_configs
from simulation.housing_plan import add_housing_plan
from simulation.pipeline import run_scenario
from simulation.results import read_results
from simulation.rundir import open_run_folder

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "conf"
BUNDLES = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
# Where a config group lands in the composed config (its package).
PACKAGES = {
    "service_model": "abm",
    "population/migration": "population.migration",
    "population/fertility": "population.fertility",
    "population/mortality": "population.mortality",
    "kita": "kita",
    "hze": "hze",
    "city": "city",
    "ganztag": "ganztag",
}

register_configs()


@functools.cache
def composed(*overrides: str) -> dict:
    """The composed config (cached: composing takes half a second); checked by the schema."""
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        cfg = compose("config", overrides=list(overrides))
    assert isinstance(OmegaConf.to_object(cfg), JhplanConfig)  # the typed schema accepts it
    return OmegaConf.to_container(cfg, resolve=True)


def flat(node: object, prefix: str = "") -> dict[str, object]:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: node}


def declared(bundle: str) -> set[str]:
    """Config keys a bundle may change: its own keys, the groups it overrides, and those of the
    bundles it builds on (other than the baseline)."""
    text = yaml.safe_load((CONF / "experiment" / f"{bundle}.yaml").read_text())
    keys = set(flat({k: v for k, v in text.items() if k != "defaults"}))
    for entry in text.get("defaults", []):
        if isinstance(entry, str) and entry not in ("_self_", "baseline"):
            keys |= declared(entry)
        elif isinstance(entry, dict):
            (group,) = [k.removeprefix("override /") for k in entry]
            keys.add(PACKAGES[group])
    return keys | {"scenario", "scenario_description"}


@pytest.mark.parametrize("bundle", BUNDLES)
def test_every_bundle_composes_and_names_its_scenario(bundle):
    cfg = composed(f"experiment={bundle}")
    assert cfg["scenario"] == bundle
    assert cfg["scenario_description"].strip()


@pytest.mark.parametrize("bundle", [b for b in BUNDLES if b != "baseline"])
def test_bundle_is_the_baseline_plus_what_it_declares(bundle):
    base, this = flat(composed("experiment=baseline")), flat(composed(f"experiment={bundle}"))
    changed = {k for k in base.keys() | this.keys() if base.get(k) != this.get(k)}
    allowed = declared(bundle)
    stray = {k for k in changed if not any(k == a or k.startswith(a + ".") for a in allowed)}
    assert not stray, f"{bundle} changes {sorted(stray)} without declaring them"
    assert changed - {"scenario", "scenario_description"}, f"{bundle} changes nothing"


def test_baseline_is_the_default_with_the_classic_service_model():
    default, base = flat(composed()), flat(composed("experiment=baseline"))
    changed = {k for k in default.keys() | base.keys() if default.get(k) != base.get(k)}
    assert changed and all(k.startswith("abm.") or k == "scenario_description" for k in changed)
    assert base["abm.service_model"] == "classic"


def test_command_line_overrides_win_over_the_bundle():
    cfg = composed("experiment=sozialraum", "scenario=mine", "pipeline.stages=[population]")
    assert cfg["scenario"] == "mine" and cfg["pipeline"]["stages"] == ["population"]
    assert cfg["abm"]["service_model"] == "sozialraum"


def test_sro_bundles_run_the_abm_and_the_slow_one_ramps_slower():
    soz, slow = composed("experiment=sozialraum"), composed("experiment=sozialraum_slow")
    for cfg in (soz, slow):
        assert cfg["pipeline"]["stages"][-2:] == ["abm", "report"]
    assert slow["abm"]["sro"]["ramp_years"]["value"] > soz["abm"]["sro"]["ramp_years"]["value"]


def test_neubau_plan_is_valid_konstanz_data_after_the_register():
    cfg = composed("experiment=neubau_plus")
    plan = ROOT / cfg["city"]["housing_plan"]
    city = load_city(ROOT / "data" / "konstanz")
    with_plan = add_housing_plan(city, plan)
    housing = with_plan.table("housing")
    last = int(city.table("population")["year"].max())
    assert int(housing["dwellings"].sum()) == 1820  # the README's table
    built = housing[housing["dwellings"] > 0]
    assert built["year"].min() > last and set(built["district"]) <= set(city.district_codes)
    assert set(housing.loc[housing["year"] <= last, "dwellings"]) == {0}  # the past: trend only
    assert plan.name in with_plan.files and not city.has("housing")  # the city is unchanged
    assert "illustrative" in (plan.parent / "README.md").read_text()


def test_bad_housing_plan_names_file_line_and_column(tmp_path, tinycity_dir):
    plan = tmp_path / "plan.csv"
    plan.write_text("year,district,dwellings\n2024,a,10\n2019,b,5\n2025,atlantis,3\n2026,c,-4\n")
    with pytest.raises(InputDataError) as err:
        add_housing_plan(load_city(tinycity_dir), plan)
    text = str(err.value)
    assert "plan.csv, row 3, column 'year'" in text and "after the last register year" in text
    assert "row 4" in text and "atlantis" in text
    assert "row 5" in text and "dwellings" in text


def test_housing_plan_adds_people_to_its_district(tmp_path, tinycity_dir):
    """In-process runs of the population stage with and without a plan of 200 dwellings in
    district b in 2024: b gains people, about 2.2 occupants per dwelling (some from a and c)."""
    plan = tmp_path / "plan.csv"
    plan.write_text("year,district,dwellings\n2024,b,200\n")
    totals = {}
    for name, extra in (("without", []), ("with", [f"city.housing_plan={plan}"])):
        overrides = [
            f"city.data_dir={tinycity_dir}",
            "horizon=3",
            "pipeline.stages=[population]",
            "population.figures=false",
            *extra,
        ]
        with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
            typed = OmegaConf.to_object(compose("config", overrides=overrides))
        with open_run_folder(tmp_path / name) as folder:
            run_scenario(typed, folder, extra)
        r = read_results(tmp_path / name)
        totals[name] = r[(r["variable"] == "Population|Total") & (r["year"] == 2024)].set_index(
            "district"
        )["value"]
        if extra:
            assert "plan.csv" in folder.manifest["input_sha256"]
    gain = totals["with"] - totals["without"]
    # 440 first occupants, give or take their births and deaths in the year they arrive.
    assert 200 * 2.2 * 0.95 < gain["b"] < 200 * 2.2 * 1.05
    assert gain["a"] < 0 and gain["c"] < 0  # movers from the other districts
    assert gain["_city"] == pytest.approx(200 * 2.2 * 0.35, rel=0.05)  # from outside the city
