"""finance.xlsx for the Kämmerei: nominal and real cost sheets, the SRO difference per budget year
against the ABM's own results, the Annahmen sheet in German with numbered sources, and no formula
from text of the configuration or the input.

One in-process Tinycity run of the Sozialraum bundle (population draws, HzE, ABM without
sensitivity analysis), the price year set to the middle of its three forecast years so that real
and nominal euros can be compared before, in and after it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from simulation.config import register_configs
from simulation.config_report import ReportConfig
from simulation.finance import write_workbook
from simulation.pipeline import run_scenario
from simulation.report_data import RunData
from simulation.results import read_results
from simulation.rundb import RunInfo
from simulation.rundir import open_run_folder
from tests.cli import QUICK_MODELS, ROOT, TINY
from tests.test_sweep import annual_abm

PRICE_YEAR = 2024
OVERRIDES = [
    "experiment=sozialraum",
    f"city.data_dir={TINY}",
    "horizon=3",
    "draws=5",
    "seed=3",
    *QUICK_MODELS,
    "pipeline.stages=[population,hze,abm]",
    "population.figures=false",
    "hze.figures=false",
    "abm.figures=false",
    "abm.sensitivity.enabled=false",
    f"hze.costs.price_year={PRICE_YEAR}",
]
FORMULA = '=HYPERLINK("http://example.invalid","klick")'

register_configs()


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("finance") / "sozialraum"
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = OmegaConf.to_object(compose("config", overrides=OVERRIDES))
    with open_run_folder(run) as folder:
        run_scenario(cfg, folder, OVERRIDES)
    return run


def workbook(run: Path, out: Path, **manifest_changes) -> openpyxl.Workbook:
    manifest = json.loads((run / "manifest.json").read_text()) | manifest_changes
    data = RunData(RunInfo(run, manifest, "sozialraum"))
    try:
        write_workbook(out, data, ReportConfig())
    finally:
        data.close()
    return openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def wb(run, tmp_path_factory) -> openpyxl.Workbook:
    return workbook(run, tmp_path_factory.mktemp("wb") / "finance.xlsx")


def totals(ws) -> dict[int, tuple[float, float, float]]:
    """Year -> (P10, P50, P90) of the row Insgesamt of a cost sheet."""
    years = [c.value for c in ws[3][1:] if c.value is not None]
    (row,) = [r for r in ws.iter_rows(min_row=5) if r[0].value == "Insgesamt"]
    return {y: tuple(row[1 + 3 * k + j].value for j in range(3)) for k, y in enumerate(years)}


def test_real_costs_equal_nominal_in_the_price_year_smaller_after_larger_before(run, wb):
    nominal, real = totals(wb["Kosten sozialraum"]), totals(wb["Kosten real sozialraum"])
    assert sorted(nominal) == [PRICE_YEAR - 1, PRICE_YEAR, PRICE_YEAR + 1]
    assert real[PRICE_YEAR] == pytest.approx(nominal[PRICE_YEAR], rel=1e-15)
    assert all(r < n for r, n in zip(real[PRICE_YEAR + 1], nominal[PRICE_YEAR + 1], strict=True))
    assert all(r > n for r, n in zip(real[PRICE_YEAR - 1], nominal[PRICE_YEAR - 1], strict=True))
    title = wb["Kosten real sozialraum"]["A1"].value
    assert f"Preisen von {PRICE_YEAR}" in title and "2,0 %" in title  # says which prices
    # The HzE forecast's own real costs (deflated per draw) have the same quantiles.
    r = read_results(run)
    own = r[
        (r["variable"] == "HzE|Real cost|Total")
        & (r["district"] == "_city")
        & (r["quantile"] == 0.5)
    ].set_index("year")["value"]
    for year, (_, p50, _) in real.items():
        assert p50 == pytest.approx(own.loc[year], rel=1e-12)


def test_sro_difference_sheet_agrees_with_the_abm_results(run, wb):
    ws = wb["SRO-Differenz"]
    head = [c.value for c in ws[5]]
    rows = {r[1]: r for r in ws.iter_rows(min_row=6, values_only=True) if r[0] == "sozialraum"}
    annual = annual_abm(run)
    wide = annual.pivot_table(index=["year", "replicate"], columns="variant")
    samples = read_results(run)
    share = samples[
        (samples["variable"] == "ABM|Stationary share")
        & (samples["statistic"] == "sample")
        & (samples["month"] == 12)
    ].pivot_table(index=["year", "replicate"], columns="variant", values="value")
    qs = [0.1, 0.5, 0.9]
    years = sorted(annual["year"].unique())
    for year in years:
        cost = wide.loc[year, ("cost", "sozialraum")] - wide.loc[year, ("cost", "classic")]
        cases = wide.loc[year, ("cases", "sozialraum")] - wide.loc[year, ("cases", "classic")]
        points = 100 * (share.loc[year, "sozialraum"] - share.loc[year, "classic"])
        deflator = 1.02 ** (year - PRICE_YEAR)
        expected = {
            "Kosten nominal": np.quantile(cost, qs),
            "Kosten real": np.quantile(cost / deflator, qs),
            "Fallzahl": np.quantile(cases, qs),
            "Anteil stationär (Pp.)": np.quantile(points, qs),
        }
        for name, values in expected.items():
            got = [rows[year][head.index(f"{name} {q}")] for q in ("P10", "P50", "P90")]
            np.testing.assert_allclose(got, values, rtol=1e-9, atol=1e-9)
    summed = wide[("cost", "sozialraum")] - wide[("cost", "classic")]
    total = rows[f"Summe {years[0]}–{years[-1]}"]
    np.testing.assert_allclose(
        total[2:5], np.quantile(summed.groupby(level="replicate").sum(), qs), rtol=1e-9
    )


def test_annahmen_in_german_every_source_a_number_of_the_quellen_sheet(wb):
    numbers = {r[0] for r in wb["Quellen"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert numbers == set(range(1, len(numbers) + 1))
    rows = [r for r in wb["Annahmen"].iter_rows(values_only=True) if r[4] and r[0] != "Annahme"]
    assert len(rows) > 50
    pattern = re.compile(r"(Quellen? \[\d+\]|Schätzung|Eigene Ableitung|entfällt)")
    for r in rows:
        assert pattern.match(r[4]), r
        assert {int(n) for n in re.findall(r"\[(\d+)\]", r[4])} <= numbers
    text = " ".join(str(v) for r in wb["Annahmen"].iter_rows(values_only=True) for v in r if v)
    assert "DOMAIN.md" not in text and "estimate" not in text.lower()
    assert not re.search(r"\b(population|kita|hze|abm)\.[a-z_]+", text)  # no configuration keys


def test_no_formula_from_text_of_the_configuration_or_input(run, tmp_path):
    wb = workbook(
        run,
        tmp_path / "finance.xlsx",
        overrides=[FORMULA],
        fallbacks=[FORMULA],
        city={"name": FORMULA},
        run_id=FORMULA,
    )
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(isinstance(c.value, str) and FORMULA in c.value for c in cells)
