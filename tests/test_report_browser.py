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
    var top = s.getBoundingClientRect().top;
    s.setAttribute('data-height', Math.ceil(s.getBoundingClientRect().height));
    s.querySelectorAll('h3').forEach(function (h) {
      h.setAttribute('data-top', Math.floor(h.getBoundingClientRect().top - top)); }); });
  document.body.setAttribute('data-errors', JSON.stringify(window.__errors));
  document.body.setAttribute('data-loaded', 'yes'); });
</script>"""
"""Injected before anything else: collects script errors, failed resources and console.error,
and records each image's decoded width and each section's height once the page has loaded."""

ENGLISH = re.compile(
    r"\b(the|and|of|with|from|files?|no|not|per|because|uses?d?|estimate|share|years|months|"
    r"persons|children|draws|district|fallback|variant|EUR)\b",
    re.IGNORECASE,
)
PYTHON = re.compile(r"\b(None|NaN|nan|inf|True|False)\b")
CONFIG_KEY = re.compile(
    r"\b(population|kita|hze|abm|report|service_model|pipeline|city|experiment)\.[a-z_]+|"
    r"\b[a-z_]+=[\w\[]"
)
MACHINE = re.compile(r"(/work/|/tmp/|/home/|/usr/|\\\\|[A-Z]:\\|\.venv|data_dir)")
NOTES = re.compile(r"DOMAIN|\[S\d+\]|jhplan|--[a-z]")
JSON = re.compile(r"[{}]|\[\s*\"|\"\s*:|:\s*null\b")


def render(report: Path, tmp: Path) -> str:
    """The DOM of ``report`` after Chromium has loaded it (with the probe)."""
    page = tmp / f"{report.parent.name}_{report.name}"
    page.write_text(report.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1))
    res = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000"]
        + ["--window-size=1100,2000"]
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
    markup = re.sub(r"<script.*?</script>", "", dom, flags=re.S)  # the charts' library too
    assert len(widths) == markup.count("<img")
    texts = section_texts(dom)
    body = {k: v for k, v in texts.items() if k not in ("anhang", "quellen")}
    body["header"] = header_text(dom)
    for ident, text in body.items():
        for name, pattern in (
            ("English", ENGLISH),
            ("Python value", PYTHON),
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


QUICK_ABM = [
    "abm.replicates=4",
    "abm.sensitivity.replicates=2",
    "abm.sensitivity.parameters=[ramp_years,stationary_entry]",
]
needs_browser = pytest.mark.skipif(BROWSER is None, reason="no chromium (Debian package)")


@pytest.fixture(scope="module")
def tiny_dom(tmp_path_factory) -> str:
    """The tiny city's report with every stage, as Chromium renders it."""
    root = tmp_path_factory.mktemp("browser_tiny")
    run = run_city(
        root, "experiment=sozialraum", "horizon=3", "draws=4", "seed=3", *QUICK_ABM, *QUICK_MODELS
    )
    return render(run / "report.html", root)


@needs_browser
def test_tiny_city_report_is_german_and_complete_in_chromium(tiny_dom):
    check_rendered(tiny_dom)
    names = set(re.findall(r'data-name="([a-z_0-9]+)"', tiny_dom))
    expected = {"einwohner", "kita_bedarf", "hze_kosten", "sro_kosten", "sro_faelle"}
    assert expected | {"sro_kumuliert", "tornado"} <= names, names
    sro = section_texts(tiny_dom)["sozialraum"]
    for part in ("Die Frage", "Wirkmechanismen", "Sensitivität", "Was die Evaluationen sagen"):
        assert part in sro
    # the tornado's horizon is said, next to the horizon of the headline
    assert re.search(r"nach \d+ Monaten \(bis Ende \d{4}\), das Ergebnis oben reicht bis", sro)
    assert "Bedarf, Plätze und Lücke je Stadtteil" in section_texts(tiny_dom)["kita"]


@needs_browser
def test_konstanz_report_is_german_and_complete_in_chromium(tmp_path):
    """One quick Konstanz run with every stage (no combination backtests, no population draws,
    few ABM replicates): the real city's fallbacks and a Kita without place data."""
    run = run_city(
        tmp_path / "runs",
        "experiment=sozialraum",
        "draws=0",
        "hze.draws=4",
        "horizon=5",
        "population.combination.enabled=false",
        *QUICK_MODELS,
        *QUICK_ABM,
        city=ROOT / "data" / "konstanz",
    )
    dom = render(run / "report.html", tmp_path)
    check_rendered(dom)
    texts = section_texts(dom)
    assert "Bevölkerung: eine Variante ohne Zufallsläufe" in header_text(dom)  # not "0 Läufe"
    assert "Keine Platzdaten" in texts["annahmen"]  # the fallback, in German
    assert "Plätze" not in texts["kita"]  # no "Bedarf vs. Plätze" without places
    assert "Ergebnis bis Ende" in texts["sozialraum"]


@needs_browser
def test_check_rendered_catches_what_must_not_reach_a_reader(tiny_dom):
    """The checks themselves: a leaked fallback, key, path, value or notes reference fails."""
    for leak in (
        "Fallback: no life_table file",
        "population.fertility.tfr_change",
        "DOMAIN.md § 4.3",
        "Quelle [S108]",
        f"{TINY}/births.csv",
        "Wert None",
        'Quoten {"u3": 0.6}',
        "jhplan report LAUF",
        "Quelle [999]",
    ):
        with pytest.raises(AssertionError):
            check_rendered(tiny_dom.replace("Die Frage:", f"Die Frage: {leak}", 1))
    broken = tiny_dom.replace('data-errors="[]"', 'data-errors="[&quot;x&quot;]"', 1)
    with pytest.raises(AssertionError):
        check_rendered(broken)


def screenshots(run_dir: Path, out_dir: Path, sections: tuple[str, ...]) -> list[Path]:
    """PNG screenshots (1100 px wide) of the given sections of a run's report; a long section is
    cut at its subheadings into parts of at most about 2,000 px (``report_<id>_<n>.png``), each
    part shot by Chromium on its own (the section shifted up, the window as high as the part)."""
    tmp = out_dir / ".tmp_screens"
    tmp.mkdir(parents=True, exist_ok=True)
    dom = render(run_dir / "report.html", tmp)
    source = (run_dir / "report.html").read_text(encoding="utf-8")
    written = []
    for ident in sections:
        body = re.search(
            rf'<section id="{ident}"[^>]*data-height="(\d+)"(.*?)</section>', dom, re.S
        )
        height = int(body.group(1)) + 30
        cuts = [0] + [int(t) - 24 for t in re.findall(r'<h3 data-top="(\d+)"', body.group(2))]
        parts, start, previous = [], 0, 0
        for cut in sorted({*cuts, height})[1:]:
            if cut - start > 2000 and previous > start:
                parts.append((start, previous))
                start = previous
            previous = cut
        parts.append((start, height))
        for n, (top, bottom) in enumerate(parts, start=1):
            only = (
                "<style>header, nav { display: none; } section { display: none; } "
                f"section#{ident} {{ display: block; margin-top: {-top}px; }}</style></head>"
            )
            page = tmp / f"{ident}_{n}.html"
            page.write_text(source.replace("</head>", only, 1), encoding="utf-8")
            name = f"report_{ident}.png" if len(parts) == 1 else f"report_{ident}_{n}.png"
            subprocess.run(
                [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
                + [f"--window-size=1100,{bottom - top}", f"--screenshot={out_dir / name}"]
                + [page.as_uri()],
                capture_output=True,
                timeout=180,
                check=True,
            )
            written.append(out_dir / name)
    shutil.rmtree(tmp)
    return written


if __name__ == "__main__":
    run, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    names = tuple(sys.argv[3:]) or ("ueberblick", "sozialraum", "kita", "annahmen")
    for path in screenshots(run, out, names):
        print(f"wrote {path}")
