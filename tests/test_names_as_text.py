"""Names from the input are text, never markup or formulas, in every output a person opens."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.cli import QUICK_MODELS, run_city

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
