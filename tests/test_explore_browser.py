"""Maps, interactive report charts and ``jhplan explore``, on one run of the tiny city.

Without a browser: the explorer recomputes Kita and HzE from the run's kept population draws to
the last bit of the run's results; a bundle saved with changed assumptions, run by ``jhplan run``,
gives exactly the explorer's figures. In headless Chromium (Debian's package, driven by
Playwright with ``executable_path``; no network: every request off this machine is aborted): the
report's charts draw, choosing a district and a Kennzahl shows the library's median; the
explorer page shows the library's figures, moving a slider changes them to what the library
computes for the new value, and saving writes the bundle.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from forecast.contract import CITY_DISTRICT
from simulation.results import read_results
from tests.cli import QUICK_MODELS, jhplan, run_city

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
QUICK = [*QUICK_MODELS, "population.combination.enabled=false", "horizon=3", "draws=4", "seed=3"]
NO_FIGURES = ["population.figures=false", "kita.figures=false", "hze.figures=false"]
KEYS = ["district", "year", "variable", "statistic", "quantile"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """Tiny city, population draws, Kita on the trend path (a config-group choice the bundle
    must repeat), Ganztag (a stage the maps know only by its results), HzE and the report."""
    root = tmp_path_factory.mktemp("explore")
    stages = "pipeline.stages=[population,kita,ganztag,hze,report]"
    return run_city(root, "kita=trend", *QUICK, *NO_FIGURES, stages)


@pytest.fixture(scope="module")
def explorer(run):
    from simulation.explore_model import Explorer

    return Explorer(run)


def _same_rows(mine, results, model: str) -> None:
    """Every row the explorer computes is a row of the run's results with the same value."""
    theirs = results[(results["model"] == model) & (results["replicate"] == -1)]
    a = mine.assign(quantile=mine["quantile"].fillna(-1))
    b = theirs.assign(quantile=theirs["quantile"].fillna(-1))
    joined = a.merge(b[[*KEYS, "value"]], on=KEYS, how="left", suffixes=("", "_run"))
    assert len(joined) == len(mine) > 100 and joined["value_run"].notna().all()
    assert (joined["value"] == joined["value_run"]).all()  # bit for bit: the stages' own code


def test_explorer_recomputes_the_run_exactly(run, explorer):
    results = read_results(run)
    kita, hze = explorer.kita(explorer.base), explorer.hze(explorer.base)
    _same_rows(kita, results, "kita")
    _same_rows(hze, results, "hze")
    assert {"Kita|Demand|U3", "Kita|Gap|Ue3"} <= set(kita["variable"])
    assert {"HzE|Cases|Total", "HzE|Cost|Total"} <= set(hze["variable"])
    assert explorer.base.quota_path == "trend"


def test_a_saved_bundle_reproduces_the_explorers_figures_in_a_run(run, explorer, tmp_path):
    from simulation.explore_bundle import bundle, run_arguments, save_bundle

    changed = replace(explorer.base, quota_age1=0.7, tagespflege_share_u3=0.31, hours_45=0.6,
                      rate_change=0.02, cost_growth=0.07)  # fmt: skip
    kita, hze = explorer.kita(changed), explorer.hze(changed)
    assert not kita.equals(explorer.kita(explorer.base))  # the assumptions do change the figures
    file = save_bundle(bundle(explorer.manifest, changed.changed(explorer.base), "werkstatt"),
                       "werkstatt", tmp_path / "bundles")  # fmt: skip
    text = file.read_text(encoding="utf-8")
    assert "override /kita: trend" in text and "age1: 0.7" in text and "run_root" not in text
    res = jhplan("run", *run_arguments(file), f"run_root={tmp_path / 'runs'}",
                 "pipeline.stages=[population,kita,hze]", *NO_FIGURES, cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr
    (again,) = (tmp_path / "runs").iterdir()
    results = read_results(again)
    _same_rows(kita, results, "kita")
    _same_rows(hze, results, "hze")


needs_browser = pytest.mark.skipif(BROWSER is None, reason="no chromium (Debian package)")


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1300, "height": 1600})
        errors: list[str] = []
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        local = ("file:", "data:", "http://127.0.0.1", "about:")
        tab.route("**/*", lambda r: r.continue_() if r.request.url.startswith(local) else r.abort())
        tab.errors = errors
        yield tab
        browser.close()


@needs_browser
def test_report_charts_work_offline_and_show_the_librarys_median(run, page):
    from simulation.report_data import RunData
    from simulation.report_interactive import SERIES
    from simulation.report_sections import planning_year

    page.goto((run / "report.html").as_uri())
    page.wait_for_function("window.jhplanViews && Object.keys(window.jhplanViews).length == 2")
    assert page.locator("#chart-karte path").count() >= 3  # the three districts drawn
    maps = page.locator("#karten img[data-name^='karte_']")
    names = {maps.nth(i).get_attribute("data-name") for i in range(maps.count())}
    assert {"karte_einwohner", "karte_kita_luecke_u3", "karte_hze_eckwert"} <= names
    assert "karte_ganztag_ganztag_gap" in names  # another stage's gap, found by its name
    page.select_option("#chart-verlauf select[name='kennzahl']", label=SERIES["Kita|Demand|U3"][0])
    page.select_option("#chart-verlauf select[name='stadtteil']", label="Nordviertel")
    data = RunData.open(run, __import__("json").loads((run / "manifest.json").read_text()))
    try:
        t = planning_year([int(y) for y in data.bands("Population|Total").index])
        mid = data.bands_by_district("Kita|Demand|U3", t).loc["b", "P50"]
    finally:
        data.close()
    from simulation.report_charts import german

    expected = f"Median {t}: {german(mid, 0)} ("
    page.wait_for_function(
        "t => Array.from(document.querySelectorAll('#chart-verlauf text'))"
        ".some(e => e.textContent.startsWith(t))",
        arg=expected,
    )
    assert page.errors == []


@needs_browser
def test_explorer_page_follows_a_slider_with_the_librarys_figures(explorer, page, tmp_path):
    from werkzeug.serving import make_server

    from simulation.explore_app import FIGURES, make_app, shown, value_of

    server = make_server("127.0.0.1", 0, make_app(explorer, tmp_path).server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        variable, _, divisor, decimals = FIGURES["kita-bedarf-u3"]
        year = min(int(explorer.paths.years[0]) + 5, int(explorer.paths.years[-1]))

        def expected(a, district=CITY_DISTRICT) -> str:
            return shown(value_of(explorer.kita(a), variable, district, year), divisor, decimals)

        cell = page.locator("#wert-kita-bedarf-u3")
        cell.wait_for()
        assert cell.text_content() == expected(explorer.base)
        handle = page.locator("#quota_age1 [role='slider']")
        handle.focus()
        for _ in range(2):  # two steps of 0.01
            handle.press("ArrowRight")
        moved = replace(explorer.base, quota_age1=round(explorer.base.quota_age1 + 0.02, 10))
        want = expected(moved)
        assert want != expected(explorer.base)
        page.wait_for_function(
            "w => document.querySelector('#wert-kita-bedarf-u3').textContent == w", arg=want
        )
        page.click("#speichern")
        page.wait_for_function("document.querySelector('#gespeichert').textContent.length > 0")
        saved = tmp_path / "experiment" / "werkstatt.yaml"
        assert "Gespeichert" in page.text_content("#gespeichert") and saved.is_file()
        assert f"age1: {moved.quota_age1}" in saved.read_text(encoding="utf-8")
        assert page.errors == []
    finally:
        server.shutdown()


def test_explore_refuses_a_folder_that_is_no_run(tmp_path, capsys):
    from simulation.cli import main

    assert main(["explore", str(tmp_path)]) == 1
    assert "not a run folder" in capsys.readouterr().err


def screenshots(run_dir: Path, out_dir: Path) -> list[Path]:
    """PNG screenshots for the README: the report's first map and its interactive charts, and
    the explorer page over ``run_dir`` (``python -m tests.test_explore_browser RUN_DIR DOCS``)."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from simulation.explore_app import make_app
    from simulation.explore_model import Explorer

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    server = make_server("127.0.0.1", 0, make_app(Explorer(run_dir), out_dir / ".bundles").server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1100, "height": 1400})
        tab.goto((run_dir / "report.html").as_uri())
        tab.wait_for_function("window.jhplanViews && Object.keys(window.jhplanViews).length == 2")
        for name, selector in (
            ("report_karte.png", "figure:has(img[data-name='karte_einwohner'])"),
            ("report_interaktiv.png", "#chart-verlauf"),
        ):
            tab.locator(selector).screenshot(path=out_dir / name)
            written.append(out_dir / name)
        tab.set_viewport_size({"width": 1300, "height": 1250})
        tab.goto(f"http://127.0.0.1:{server.server_port}/")
        tab.locator("#wert-kita-bedarf-u3").wait_for()
        tab.wait_for_timeout(1500)  # the charts are drawn after the figures
        tab.screenshot(path=out_dir / "explore.png")
        written.append(out_dir / "explore.png")
        browser.close()
    server.shutdown()
    shutil.rmtree(out_dir / ".bundles", ignore_errors=True)
    return written


if __name__ == "__main__":
    import sys

    for path in screenshots(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()):
        print(f"wrote {path}")
