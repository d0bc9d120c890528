"""The report as a committee member sees it: rendered in headless Chromium, German only.

On the tiny city with every stage (population draws, Kita, HzE, the ABM with its sensitivity
analysis) and on Konstanz (population only, the embedded city's real data): every image loads,
no script or resource error reaches the console, and the rendered text of the body holds no
English fallback note, configuration key, command, Python or JSON value (None, {"...), reference
to the project's notes (DOMAIN.md, [S12]) or path of the machine. The technical appendix may name
the run's settings; the source list may hold English titles of English publications.

``python -m tests.test_report_browser RUN_DIR OUT_DIR`` writes PNG screenshots of the main
sections of a run's report (the README's tour uses those in ``docs/``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.report import section_titles
from tests.cli import QUICK_MODELS, ROOT, TINY, run_city

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(e.message || ('resource: ' + (e.target && e.target.src))); }, true);
var __console_error = console.error;
console.error = function () { window.__errors.push(Array.from(arguments).join(' '));
  __console_error.apply(console, arguments); };
window.addEventListener('load', function () {
  document.querySelectorAll('img').forEach(function (img) {
    img.setAttribute('data-width', img.naturalWidth); });
  document.querySelectorAll('section').forEach(function (s) {
    s.setAttribute('data-height', Math.ceil(s.getBoundingClientRect().height)); });
  document.body.setAttribute('data-errors', JSON.stringify(window.__errors));
  document.body.setAttribute('data-loaded', 'yes'); });
</script>"""
"""Injected before anything else: collects script errors, failed resources and console.error,
and records each image's decoded width and each section's height once the page has loaded."""

ENGLISH = re.compile(
    r"\b(the|and|of|with|from|files?|no|not|per|because|uses?d?|estimate|share|years|months|"
    r"persons|children|draws|district|fallback|variant|none|null|nan|true|false|EUR)\b",
    re.IGNORECASE,
)
CONFIG_KEY = re.compile(
    r"\b(population|kita|hze|abm|report|service_model|pipeline|city|experiment)\.[a-z_]+|"
    r"\b[a-z_]+=[\w\[]"
)
MACHINE = re.compile(r"(/work/|/tmp/|/home/|/usr/|\\\\|[A-Z]:\\|\.venv|data_dir)")
NOTES = re.compile(r"DOMAIN|\[S\d+\]|jhplan|--[a-z]")
JSON = re.compile(r"[{}]|\[\s*\"|\"\s*:")


def render(report: Path, tmp: Path) -> str:
    """The DOM of ``report`` after Chromium has loaded it (with the probe)."""
    page = tmp / f"{report.parent.name}_{report.name}"
    page.write_text(report.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1))
    res = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000"]
        + ["--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert 'data-loaded="yes"' in res.stdout, res.stderr[-2000:]
    return res.stdout


def section_texts(dom: str) -> dict[str, str]:
    """Section id -> its rendered text (tags removed, entities decoded, images dropped)."""
    out = {}
    for ident, body in re.findall(r'<section id="([a-z]+)"[^>]*>(.*?)</section>', dom, re.S):
        text = re.sub(r"<img[^>]*>", " ", body)
        text = re.sub(r"<[^>]+>", " ", text)
        out[ident] = re.sub(r"\s+", " ", html.unescape(text))
    return out


def header_text(dom: str) -> str:
    head = dom[dom.index("<header>") : dom.index("</nav>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", head)))


def check_rendered(dom: str) -> None:
    """The rules for a report a committee can be handed (see the module docstring)."""
    assert re.search(r'data-errors="\[\]"', dom), re.search(r'data-errors="([^"]*)"', dom)
    assert re.findall(r'<section id="([a-z]+)"', dom) == list(section_titles())
    widths = re.findall(r'<img[^>]*data-width="(\d+)"', dom)
    assert widths and all(int(w) >= 400 for w in widths), widths  # decoded, not broken
    assert len(widths) == dom.count("<img")
    texts = section_texts(dom)
    body = {k: v for k, v in texts.items() if k not in ("anhang", "quellen")}
    body["header"] = header_text(dom)
    for ident, text in body.items():
        for name, pattern in (
            ("English", ENGLISH),
            ("configuration key", CONFIG_KEY),
            ("machine path", MACHINE),
            ("notes or command", NOTES),
            ("JSON", JSON),
        ):
            found = pattern.search(text)
            assert found is None, (
                f"{name} in section {ident}: …{text[max(0, found.start() - 80) : found.end() + 80]}…"
            )
    for ident in ("anhang", "quellen"):  # no paths and no notes references even there
        assert not MACHINE.search(texts[ident]) and "DOMAIN" not in texts[ident]
    numbers = set(re.findall(r"\[(\d+)\]", " ".join(body.values())))
    listed = set(re.findall(r"<li value=\"(\d+)\"", dom))
    assert numbers and numbers <= listed, sorted(numbers - listed)  # every citation is listed


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser_tiny")
    return run_city(
        root,
        "experiment=sozialraum",
        "horizon=3",
        "draws=4",
        "seed=3",
        "abm.replicates=4",
        "abm.sensitivity.replicates=2",
        "abm.sensitivity.parameters=[ramp_years,stationary_entry]",
        *QUICK_MODELS,
    )


@pytest.mark.skipif(BROWSER is None, reason="no chromium binary (Debian package `chromium`)")
def test_tiny_city_report_is_german_and_complete_in_chromium(tiny_run, tmp_path):
    dom = render(tiny_run / "report.html", tmp_path)
    check_rendered(dom)
    names = set(re.findall(r'data-name="([a-z_0-9]+)"', dom))
    expected = {"einwohner", "kita_bedarf", "hze_kosten", "sro_kosten", "sro_faelle"}
    assert expected | {"sro_kumuliert", "tornado"} <= names, names
    sro = section_texts(dom)["sozialraum"]
    for part in ("Die Frage", "Wirkmechanismen", "Sensitivität", "Was die Evaluationen sagen"):
        assert part in sro
    # the tornado's horizon is said, next to the horizon of the headline
    assert re.search(r"nach \d+ Monaten \(bis Ende \d{4}\), das Ergebnis oben reicht bis", sro)


@pytest.mark.skipif(BROWSER is None, reason="no chromium binary (Debian package `chromium`)")
def test_konstanz_population_report_is_german_and_complete_in_chromium(tmp_path):
    run = run_city(
        tmp_path / "runs",
        "pipeline.stages=[population,report]",
        "draws=0",
        "horizon=5",
        "population.stochastic.calibrate=false",
        city=ROOT / "data" / "konstanz",
    )
    dom = render(run / "report.html", tmp_path)
    check_rendered(dom)
    texts = section_texts(dom)
    assert "wurde in diesem Lauf nicht berechnet" in texts["kita"]
    assert "Systemmodell" not in texts["annahmen"].split("Ersatzannahmen")[0]
    assert "eine Variante ohne Zufallsläufe" in header_text(dom)  # no "0 Simulationsläufe"


def test_check_rendered_catches_what_must_not_reach_a_reader(tiny_run, tmp_path):
    """The checks themselves: a leaked fallback, key, path or notes reference fails them."""
    if BROWSER is None:
        pytest.skip("no chromium binary")
    good = (tiny_run / "report.html").read_text(encoding="utf-8")
    for leak in (
        "Fallback: no life_table file",
        "population.fertility.tfr_change",
        "DOMAIN.md § 4.3 [S108]",
        f"{TINY}/births.csv",
        "None",
        '{"u3": 0.6}',
    ):
        page = tmp_path / "leak" / "report.html"
        page.parent.mkdir(exist_ok=True)
        page.write_text(good.replace("Die Frage:", f"Die Frage: {leak}", 1), encoding="utf-8")
        with pytest.raises(AssertionError):
            check_rendered(render(page, tmp_path))


def screenshots(run_dir: Path, out_dir: Path, sections: tuple[str, ...]) -> list[Path]:
    """PNG screenshots of the given sections of a run's report, 1100 px wide."""
    tmp = out_dir / ".tmp_screens"
    tmp.mkdir(parents=True, exist_ok=True)
    dom = render(run_dir / "report.html", tmp)
    heights = dict(re.findall(r'<section id="([a-z]+)"[^>]*data-height="(\d+)"', dom))
    source = (run_dir / "report.html").read_text(encoding="utf-8")
    written = []
    for ident in sections:
        only = (
            "<style>header, nav { display: none; } section { display: none; } "
            f"section#{ident} {{ display: block; margin-top: 0; }}</style></head>"
        )
        page = tmp / f"{ident}.html"
        page.write_text(source.replace("</head>", only, 1), encoding="utf-8")
        target = out_dir / f"report_{ident}.png"
        height = min(int(heights.get(ident, 1500)) + 40, 6000)
        subprocess.run(
            [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
            + [f"--window-size=1100,{height}", f"--screenshot={target}", page.as_uri()],
            capture_output=True,
            timeout=180,
            check=True,
        )
        written.append(target)
    shutil.rmtree(tmp)
    return written


if __name__ == "__main__":
    run, out = Path(sys.argv[1]), Path(sys.argv[2])
    names = tuple(sys.argv[3:]) or ("ueberblick", "sozialraum", "kita", "annahmen")
    for path in screenshots(run, out, names):
        print(f"wrote {path}")
