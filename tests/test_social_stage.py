"""The social stage and ``jhplan monitor`` end to end on the tiny city, and the ABM's need-based
Planbudget split."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from forecast.citydata import load_city
from forecast.hze.catalogue import direct_access_codes, stationary_codes
from forecast.variables import unknown_variables
from simulation.abm.inputs import AbmInputs
from simulation.abm.model import HzeSystemModel
from simulation.abm.params import ClassicParams, SroParams
from simulation.config import JhplanConfig
from simulation.config_report import ReportConfig
from simulation.config_social import index_spec
from simulation.finance_social import social_budget_sheet
from simulation.monitor import monitor_command
from simulation.report_data import RunData
from simulation.results import read_results
from simulation.rundir import RunFolderExists
from simulation.stage_social import _index
from tests.cli import QUICK_MODELS, TINY, jhplan, run_city

BASELINE = [
    "pipeline.stages=[population,hze,social]",
    "hze.reform_start=2021-01",
    "hze.draws=60",
    "hze.figures=false",
    "population.figures=false",
    "horizon=4",
    *QUICK_MODELS,
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return run_city(tmp_path_factory.mktemp("social_baseline"), *BASELINE)


def test_stage_writes_index_kennzahlen_and_budget_consistent_with_the_data(baseline):
    res = read_results(baseline)
    social = res[res["model"] == "social"]
    triples = social[["model", "variable", "unit"]].drop_duplicates().itertuples(index=False)
    assert not unknown_variables([tuple(t) for t in triples])
    variables = set(social["variable"])
    assert {"Social|Status index", "Social|Status class", "Social|Dynamics class"} <= variables
    assert {"Kennzahl|Eckwert|HzE", "Kennzahl|Cost per case", "Social|Planbudget"} <= variables
    # reform_start 2021-01: the history (past Kennzahlen) ends in 2020, the bands begin in 2021
    past = social[social["statistic"] == "value"]
    bands = social[social["statistic"] == "quantile"]
    assert past[past["variable"].str.startswith("Kennzahl")]["year"].max() == 2020
    assert bands["year"].min() == 2021
    # the city's Eckwert of 2020, recomputed from the input files (without Erziehungsberatung)
    cases = pd.read_csv(TINY / "hze_cases.csv")
    cases = cases[(cases["year"] == 2020) & ~cases["hilfeart"].isin(direct_access_codes())]
    pop = pd.read_csv(TINY / "population.csv")
    u21 = pop[(pop["year"] == 2020) & (pop["age"] <= 20)]["count"].sum()
    eck = 1e4 * (cases["running"] + cases["ended"]).sum() / u21
    row = past[(past["variable"] == "Kennzahl|Eckwert|HzE") & (past["district"] == "_city")]
    assert float(row[row["year"] == 2020]["value"].iloc[0]) == pytest.approx(eck)
    sta = cases[cases["hilfeart"].isin(stationary_codes())]
    share = past[(past["variable"] == "Kennzahl|Stationary share") & (past["year"] == 2020)]
    assert float(share[share["district"] == "_city"]["value"].iloc[0]) == pytest.approx(
        (sta["running"] + sta["ended"]).sum() / (cases["running"] + cases["ended"]).sum()
    )
    # budget: shares sum to 1 each year, the city's Planbudget is the sum of the areas'
    shares = social[social["variable"] == "Social|Budget share"].groupby("year")["value"].sum()
    np.testing.assert_allclose(shares, 1.0)
    plan = social[social["variable"] == "Social|Planbudget"]
    city = plan[plan["district"] == "_city"].set_index("year")["value"]
    areas = plan[plan["district"] != "_city"].groupby("year")["value"].sum()
    np.testing.assert_allclose(city, areas.loc[city.index])
    # the needier district gets more need weight (Altstadt: the highest SGB II rate)
    weight = social[social["variable"] == "Social|Need weight"].set_index("district")["value"]
    assert weight["a"] > weight["b"] > weight["c"]
    manifest = json.loads((baseline / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["social"]["formula"] == "index"


def _observed_city(tmp_path, stationary_factor: float, peers: bool):
    city = tmp_path / "city"
    shutil.copytree(TINY, city)
    cases = pd.read_csv(city / "hze_cases.csv")
    hit = (cases["year"] >= 2021) & cases["hilfeart"].isin(stationary_codes())
    for col in ("running", "ended"):
        cases.loc[hit, col] = np.round(cases.loc[hit, col] * stationary_factor).astype(int)
    cases.to_csv(city / "hze_cases.csv", index=False)
    if peers:
        rng = np.random.default_rng(1)
        rows = [
            (y, f"ja{j}", "Eckwert|Stationary", 140 * np.exp(0.05 * rng.standard_normal()))
            for y in range(2016, 2023)
            for j in range(8)
        ]
        pd.DataFrame(rows, columns=["year", "jugendamt", "kennzahl", "value"]).to_csv(
            city / "peers.csv", index=False
        )
    return city


def test_monitor_flags_a_planted_effect_in_a_new_folder_and_never_overwrites(baseline, tmp_path):
    before = sorted(p.name for p in baseline.iterdir())
    city = _observed_city(tmp_path, 0.5, peers=True)
    out = tmp_path / "monitor"
    res = jhplan("monitor", str(baseline), "--data", str(city), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in baseline.iterdir()) == before  # the run is untouched
    table = pd.read_parquet(out / "monitor.parquet")
    sta = table[(table["unit"] == "_city") & (table["kennzahl"] == "Eckwert|Stationary")]
    assert sta["year"].tolist() == [2021, 2022]
    assert sta["flagged"].all() and (sta["effect_high"] < 0).all()
    assert ((sta["effect_low"] < -0.5) & (sta["effect"] > -0.7)).all()
    did = pd.read_parquet(out / "did.parquet")
    assert (did["kennzahl"] == "Eckwert|Stationary").all() and (did["effect"] < -0.3).all()
    mde = pd.read_parquet(out / "mde.parquet")
    assert set(mde["years_after"]) == {1, 2, 3, 5}  # bands 2021..2026
    page = (out / "monitor.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Wirkungsmonitor" in text and "Differenz der Differenzen" in text
    assert not re.search(r"\b(the|and|of|no|not|per|share|years|None|NaN|nan)\b", text)
    with pytest.raises(RunFolderExists, match="never overwrites"):
        monitor_command([str(baseline), "--data", str(city), "--out", str(out)])


def test_monitor_refuses_a_run_without_reform_start_and_stage_says_no_social_file(
    baseline, tmp_path, capsys
):
    plain = tmp_path / "plain"
    plain.mkdir()
    manifest = json.loads((baseline / "manifest.json").read_text(encoding="utf-8"))
    manifest["config"]["hze"]["reform_start"] = None
    (plain / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert monitor_command([str(plain), "--data", str(TINY)]) == 2
    assert "hze.reform_start=YYYY-MM" in capsys.readouterr().err
    city = tmp_path / "nosocial"
    shutil.copytree(TINY, city)
    (city / "social.csv").unlink()
    ctx = SimpleNamespace(city=load_city(city), cfg=JhplanConfig())
    notes: list[str] = []
    assert _index(ctx, index_spec(ctx.cfg.social), notes) is None
    assert notes and notes[0].startswith("Fallback: Tinycity has no social file")


def test_abm_planbudget_follows_the_need_based_shares_with_the_same_total():
    inputs = AbmInputs.synthetic(under21=15_000, areas=2, years=2)
    shares = np.array([[0.7, 0.3], [0.6, 0.4]])
    need = replace(inputs, budget_shares=shares)
    sro = SroParams()
    own = HzeSystemModel(inputs, ClassicParams(), sro, rng=np.random.SeedSequence(5))
    split = HzeSystemModel(need, ClassicParams(), sro, rng=np.random.SeedSequence(5))
    np.testing.assert_allclose(split.budget.sum(1), own.budget.sum(1))  # same city budget
    np.testing.assert_allclose(
        split.budget / split.budget.sum(1, keepdims=True), shares[[0] * 12 + [1] * 12]
    )
    # equal areas: today's split is half and half
    np.testing.assert_allclose(own.budget[:, 0], own.budget[:, 1])
    twice = HzeSystemModel(need, ClassicParams(), sro, rng=np.random.SeedSequence(5))
    for _ in range(6):
        split.step()
        twice.step()
    for key, value in split.out.items():  # reproducible: same seed, same results
        np.testing.assert_array_equal(value, twice.out[key])
    with pytest.raises(ValueError, match="budget_shares"):
        replace(inputs, budget_shares=np.array([[0.5, 0.6], [0.5, 0.5]]))


def test_workbook_sheet_sozialraumbudget_holds_the_results(baseline):
    manifest = json.loads((baseline / "manifest.json").read_text(encoding="utf-8"))
    data = RunData.open(baseline, manifest)
    wb = Workbook()
    social_budget_sheet(wb, data, ReportConfig())
    data.close()
    rows = list(wb["Sozialraumbudget"].iter_rows(min_row=4, values_only=True))
    res = read_results(baseline)
    plan = res[res["variable"] == "Social|Planbudget"]
    assert len(rows) == len(plan)
    for name, year, share, eur in rows:
        area = "_city" if name == "Tinycity" else name
        expected = plan[(plan["district"] == area) & (plan["year"] == year)]["value"].iloc[0]
        assert eur == pytest.approx(expected) and 0 < share <= 1
