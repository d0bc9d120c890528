"""Nothing silent in the outputs: names from the input stay text (never markup or formulas), and
draws that had to go to disk say what was not written."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from simulation.results import read_results
from tests.cli import QUICK_MODELS, jhplan, run_city

FORMULA = '=HYPERLINK("http://example.invalid","klick")'
MARKUP = "<script>alert(1)</script>"


def test_district_names_stay_text_in_report_and_workbook(tinycity_copy: Path, tmp_path: Path):
    yaml = tinycity_copy / "city.yaml"
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("name: Altstadt", f"name: '{FORMULA}'")
    yaml.write_text(text.replace("name: Nordviertel", f"name: '{MARKUP}'"), encoding="utf-8")
    run = run_city(
        tmp_path / "runs",
        "horizon=3",
        "draws=4",
        "pipeline.stages=[population,hze,report]",
        "population.figures=false",
        "hze.figures=false",
        *QUICK_MODELS,
        city=tinycity_copy,
    )
    wb = openpyxl.load_workbook(run / "finance.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula anywhere
    assert FORMULA in {c.value for c in cells}  # the name itself, as text
    html = (run / "report.html").read_text(encoding="utf-8")
    assert MARKUP not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_draws_spilled_to_disk_keep_their_samples_and_the_manifest_says_so(tmp_path: Path):
    run = run_city(
        tmp_path / "runs",
        "horizon=2",
        "draws=6",
        "pipeline.stages=[population,kita,hze]",
        "population.figures=false",
        "kita.figures=false",
        "hze.figures=false",
        "population.stochastic.calibrate=false",
        "memory_budget_mb=0",
    )
    manifest = json.loads((run / "manifest.json").read_text())
    stochastic = manifest["population"]["stochastic"]
    assert stochastic["spilled_to_disk"] and stochastic["samples_written"]
    memory = manifest["memory"]
    assert set(memory["spilled_to_disk"]) == {
        "population_draws",
        "population_young",
        "kita",
        "hze",
    }
    results = read_results(run)
    samples = results[results["statistic"] == "sample"]
    assert sorted(samples["replicate"].unique()) == list(range(6))
    assert (results["statistic"] == "quantile").any()
    assert not list(run.rglob("jhplan-*"))  # no scratch file left in the run folder


def test_plausibility_warnings_reach_check_data_the_manifest_and_the_report(
    tinycity_copy: Path, tmp_path: Path
):
    (tinycity_copy / "control_totals.csv").write_text(
        "year,age_from,age_to,count\n2025,,,500\n", encoding="utf-8"
    )
    res = jhplan("check-data", str(tinycity_copy))
    assert res.returncode == 0 and "warning: control_totals.csv" in res.stdout
    run = run_city(
        tmp_path / "runs",
        "horizon=3",
        "pipeline.stages=[population,report]",
        "population.figures=false",
        city=tinycity_copy,
    )
    manifest = json.loads((run / "manifest.json").read_text())
    assert any(w.startswith("control_totals.csv, row 2") for w in manifest["warnings"])
    assert "Hinweise zu den Eingangsdaten" in (run / "report.html").read_text(encoding="utf-8")
