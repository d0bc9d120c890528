"""The report (report.html; rendered in headless Chromium by tests/test_report_browser.py) and the
Kämmerei's workbook (finance.xlsx), from a Tinycity run of the Sozialraum bundle (population draws, Kita, HzE, ABM with sensitivity, report);
statistical confidentiality of district x Hilfeart cells."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from hydra import compose, initialize_config_dir
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from omegaconf import OmegaConf

from simulation.confidentiality import SUPPRESSED, suppression_mask, with_margins
from simulation.config import register_configs
from simulation.pipeline import run_scenario
from simulation.report import report_command, section_titles
from simulation.report_data import RunData
from simulation.results import read_results
from simulation.rundir import open_run_folder
from tests.cli import QUICK_MODELS, ROOT, TINY

COMMON = [f"city.data_dir={TINY}", "horizon=3", "draws=4", "seed=5", *QUICK_MODELS]
ABM = ["abm.sensitivity.replicates=2", "abm.sensitivity.parameters=[ramp_years,transition_cost]"]

register_configs()


def in_process_run(run: Path, overrides: list[str]) -> Path:
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = OmegaConf.to_object(compose("config", overrides=overrides))
    with open_run_folder(run) as folder:
        run_scenario(cfg, folder, overrides)
    return run


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A run of the Sozialraum bundle; the report is its last stage (in this process: the
    command itself is run by tests/test_cli_end_to_end.py and tests/test_sweep.py)."""
    folder = tmp_path_factory.mktemp("runs") / "sozialraum"
    every = "pipeline.stages=[population,kita,hze,ganztag,social,abm,report]"  # every stage
    return in_process_run(folder, ["experiment=sozialraum", every, *COMMON, *ABM])


def tables_after(html: str, heading: str) -> list[list[str]]:
    """Cell texts of the first table after ``heading``."""
    start = html.index(heading)
    table = html[start : html.index("</table>", start)]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S) for r in rows]


def test_report_is_self_contained_german_and_complete(run):
    html = (run / "report.html").read_text()
    assert '<html lang="de">' in html
    for ident, title in section_titles().items():
        assert f'<section id="{ident}">' in html and f"<h2>{title}</h2>" in html
    # Nothing is fetched: every src is an embedded image, every href an anchor in the page.
    assert set(re.findall(r'src="([a-z]+):', html)) == {"data"}
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))
    # Scripts (the interactive charts) are inline: none loads a file, none hides a link.
    assert not re.search(r"<script[^>]*\bsrc=", html)
    markup = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    assert "<link" not in markup and "<script" not in markup and "url(" not in markup
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["summary"]["report"] == "wrote finance.xlsx, report.html"
    assert "Sozialraumorientierung: Leitträger" in html  # the bundle's description
    assert "Anlaufzeit" in html and "Umstellungskosten" in html  # tornado labels (German)
    # parameters cite the numbered source list, never the project's notes
    assert "DOMAIN" not in html and "Quelle [" in html and "Literatur und Quellen" in html


def test_district_hilfeart_cells_below_3_are_suppressed(run):
    html = (run / "report.html").read_text()
    year = min(int(y) for y in re.findall(r"Fallzahl je Stadtteil und Hilfeart, (\d{4})", html))
    rows = tables_after(html, "Fallzahl je Stadtteil und Hilfeart")
    header, body = rows[0], rows[1:]  # the districts, then the city; the last column the total
    data = RunData.open(run, json.loads((run / "manifest.json").read_text()))
    cases = data.hze_cases_by_district(year)
    districts = [k for k in data.district_names if k in cases.index and k != "_city"]
    data.close()
    values = with_margins(cases, districts, [c for c in cases.columns if c != "Total"]).to_numpy()
    shown = np.array([r[1:] for r in body])
    assert shown.shape == values.shape and header[0] == "Stadtteil" and body[-1][0] == "Stadt"
    small = (values > 0) & (values < 3)
    assert small[:-1, :-1].any() and small[-1].any(), "the test city has small inner and city cells"
    hidden = shown == SUPPRESSED
    assert hidden[small].all()  # every small cell is hidden, totals included
    visible = ~hidden
    numbers = np.char.replace(shown[visible].astype(str), ".", "").astype(float)  # 1.234 -> 1234
    np.testing.assert_array_equal(numbers, values[visible])
    for line in [*hidden, *hidden.T]:
        assert line.sum() != 1  # never the only hidden cell of its row or column
    raw = read_results(run)
    raw_cases = raw[(raw["model"] == "hze") & raw["variable"].str.startswith("HzE|Cases|")]
    assert ((raw_cases["value"] > 0) & (raw_cases["value"] < 3)).any()  # raw results keep all


def test_finance_workbook_holds_numbers_that_match_the_results(run):
    wb = openpyxl.load_workbook(run / "finance.xlsx")
    assert wb.sheetnames == [
        "Hinweise",
        "Kosten sozialraum",
        "Kosten real sozialraum",
        "Kosten (Liste)",
        "Systemmodell",
        "SRO-Differenz",
        "Sozialraumbudget",
        "Szenariendifferenzen",
        "Fälle nach Stadtteil",
        "Ganztag",
        "Annahmen",
        "Quellen",
        "Technische Angaben",
    ]
    ws = wb["Kosten sozialraum"]
    years = [c.value for c in ws[3][1:] if c.value is not None]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=5) if r[0].value}
    total = rows["Insgesamt"]
    results = read_results(run)
    median = results[
        (results["variable"] == "HzE|Cost|Total")
        & (results["district"] == "_city")
        & (results["quantile"] == 0.5)
    ].set_index("year")["value"]
    for k, year in enumerate(years):
        p10, p50, p90 = (total[1 + 3 * k + j] for j in range(3))
        assert all(
            isinstance(c.value, float) and "#,##0" in c.number_format for c in (p10, p50, p90)
        )
        assert p10.value <= p50.value <= p90.value
        assert p50.value == pytest.approx(median.loc[year], rel=1e-14)  # Excel: 15 digits
    assert sum(isinstance(r[1].value, int | float) for r in rows.values()) == 12  # 11 + total
    diff = [r for r in wb["Szenariendifferenzen"].iter_rows(values_only=True) if r[1] == "classic"]
    assert len(diff) == len(years) and all(r[4] <= r[5] <= r[6] for r in diff)
    districts = {"Altstadt", "Nordviertel", "Südhang", "Stadt"}
    cells = [
        c.value
        for r in wb["Fälle nach Stadtteil"].iter_rows()
        if r[0].value in districts
        for c in r[1:]
    ]
    assert SUPPRESSED in cells  # small cells hidden, every other one a number
    assert all(v == SUPPRESSED or isinstance(v, int | float) for v in cells)
    params = [
        r
        for r in wb["Technische Angaben"].iter_rows(values_only=True)
        if r[0] and str(r[0]).startswith(("population.", "kita.", "hze.", "abm.")) and r[2]
    ]
    assert len(params) > 50 and all(r[3] for r in params)  # every parameter names its source


def test_report_command_compares_with_another_run(run, tmp_path, capsys):
    other = in_process_run(
        tmp_path / "baseline",
        ["experiment=baseline", *COMMON, "pipeline.stages=[population,hze]"],
    )
    before = (run / "report.html").read_text()
    assert report_command([str(run), "--compare", str(other)]) == 0
    html = (run / "report.html").read_text()
    assert html != before and "Vergleich mit anderen Läufen (Referenz: sozialraum)" in html
    assert not [p for p in run.iterdir() if ".tmp-" in p.name]  # replaced atomically
    wb = openpyxl.load_workbook(run / "finance.xlsx")
    assert {"Kosten sozialraum", "Kosten baseline"} <= set(wb.sheetnames)
    rows = [
        r
        for r in wb["Szenariendifferenzen"].iter_rows(values_only=True)
        if r[0] == "baseline"
        and r[1] == "sozialraum"
        and isinstance(r[6], int | float)
        and str(r[3]).startswith(("§", "Insgesamt"))  # the HzE cost per Hilfeart
    ]
    # Same seed and draws; SRO acts only in the ABM: the HzE forecasts differ by exactly zero.
    assert rows and all(r[6] == 0.0 for r in rows)
    assert report_command([str(tmp_path / "nowhere")]) == 1
    assert "not a run folder" in capsys.readouterr().err


def test_report_stage_works_without_the_other_stages(tmp_path):
    run = in_process_run(
        tmp_path / "only_report", [f"city.data_dir={TINY}", "pipeline.stages=[report]"]
    )
    html = (run / "report.html").read_text()
    assert all(f'<section id="{ident}">' in html for ident in section_titles())
    assert "Die Bevölkerung wurde in diesem Lauf nicht berechnet." in html
    assert openpyxl.load_workbook(run / "finance.xlsx").sheetnames[0] == "Hinweise"


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(2, 6), st.integers(2, 8)), elements=st.integers(0, 12)),
    st.integers(1, 5),
)
def test_suppression_hides_small_cells_and_never_one_per_line(values, threshold):
    mask = suppression_mask(values.astype(float), threshold)
    small = (values > 0) & (values < threshold)
    assert mask[small].all()
    for line in [*mask, *mask.T]:
        assert line.sum() != 1
    assert not suppression_mask(values.astype(float), 0).any()  # 0 switches it off


def test_suppression_without_secondary_hides_exactly_the_small_cells():
    values = np.array([[1.0, 5.0, 7.0], [4.0, 2.0, 9.0], [0.0, 8.0, np.nan]])
    primary = suppression_mask(values, 3, secondary=False)
    np.testing.assert_array_equal(primary, (values > 0) & (values < 3))
    full = suppression_mask(values, 3)
    assert full[0, 0] and full[1, 1] and not full[2, 2]  # NaN cells are never chosen
    assert full.sum() >= 4


def test_every_result_variable_and_unit_is_in_the_vocabulary(run):
    """Every (model, variable, unit) of a run of all stages is in forecast.variables, every
    quantile level is one of QUANTILES, and only ABM rows have a variant."""
    from forecast.variables import QUANTILES, unknown_variables
    from simulation.stages import STAGES

    r = read_results(run)
    assert set(r["model"]) == {s.name for s in STAGES if s.writes}  # the run has every stage
    triples = r[["model", "variable", "unit"]].drop_duplicates()
    assert unknown_variables(list(triples.itertuples(index=False, name=None))) == []
    assert set(r["quantile"].dropna()) <= set(QUANTILES)
    assert r.loc[r["model"] != "abm", "variant"].isna().all()
    assert set(r.loc[r["model"] == "abm", "variant"]) == {"classic", "sozialraum"}
    assert set(r["scenario"]) == {"sozialraum"}


def test_a_changed_threshold_is_recorded_in_the_manifest(run, tmp_path):
    copy = shutil.copytree(run, tmp_path / "copy")
    assert report_command([str(copy), "--suppress-below", "0"]) == 0
    manifest = json.loads((copy / "manifest.json").read_text())
    (change,) = manifest["report_changes"]
    assert change["suppress_below"] == 0 and change["run_setting"] == 3
    assert "Keine Geheimhaltung." in (copy / "report.html").read_text()
    assert report_command([str(copy)]) == 0  # the run's own setting again: nothing to record
    assert len(json.loads((copy / "manifest.json").read_text())["report_changes"]) == 1
