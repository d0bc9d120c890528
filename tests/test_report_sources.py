"""The source list: every source a parameter cites is in it, and German readers see numbers.

* every tag ``[Sxx]`` in a default parameter, a Hilfeart, a configuration file or a docstring of
  the library exists in ``forecast/parameters/sources.yaml``, and every section of the domain
  notes that a parameter cites without a tag resolves to sources;
* a parameter's German source text names list numbers, never the notes' tags or file name;
* numbers are 1..n without gaps, so the report and the workbook can share them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forecast.params import HILFEARTEN_FILE, PARAMETERS_DIR, iter_parameters, read_yaml
from forecast.sources import cited, load_sources, source_de, source_list, source_numbers

ROOT = Path(__file__).resolve().parents[1]


def _parameter_sources() -> list[tuple[str, str]]:
    files = [*sorted(PARAMETERS_DIR.glob("*.yaml")), HILFEARTEN_FILE]
    files += sorted((ROOT / "conf").rglob("*.yaml"))
    return [
        (f"{path.name}:{key}", param["source"])
        for path in files
        for key, param in iter_parameters(read_yaml(path))
    ]


PARAMETER_SOURCES = _parameter_sources()


def test_parameter_sources_are_found() -> None:
    # guard: the glob must reach the parameter files, or the tests below pass on nothing
    assert len(PARAMETER_SOURCES) > 100
    assert any("[S85]" in text for _, text in PARAMETER_SOURCES)


@pytest.mark.parametrize("where, text", PARAMETER_SOURCES, ids=[w for w, _ in PARAMETER_SOURCES])
def test_every_cited_source_is_in_the_list(where: str, text: str) -> None:
    sources = load_sources()
    missing = [key for key in cited(text) if key not in sources]
    assert not missing, f"{where} cites {missing}, not in forecast/parameters/sources.yaml"
    german = source_de(text)
    assert "DOMAIN" not in german and not re.search(r"\[S\d+\]", german), german
    derived_from_notes = text.startswith("D:") and "DOMAIN.md" in text
    if (re.search(r"\[S\d+\]", text) or derived_from_notes) and not text.startswith("none"):
        assert source_numbers(text), f"{where}: cites the notes but resolves to no source"


def test_every_tag_in_code_and_config_is_in_the_list() -> None:
    tags = set()
    for folder in ("forecast", "conf", "simulation"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".yaml", ".md"} and path.name != "sources.yaml":
                tags |= set(re.findall(r"\[(S\d+)\]", path.read_text(encoding="utf-8")))
    assert tags, "no tags found: the scan is broken"
    assert sorted(tags - set(load_sources()), key=lambda k: int(k[1:])) == []


def test_numbers_run_from_one_without_gaps() -> None:
    numbers = [s.number for s in source_list()]
    assert numbers == list(range(1, len(numbers) + 1))
    assert all(s.title and "DOMAIN" not in s.title for s in source_list())


def test_german_rendering() -> None:
    sources = load_sources()
    n85, n88, n15 = sources["S85"].number, sources["S88"].number, sources["S15"].number
    assert source_de("estimate") == "Schätzung"
    assert source_de("DOMAIN.md § 6.5: -40 % [S85]; null result possible [S88]") == (
        f"Quellen [{min(n85, n88)}], [{max(n85, n88)}]"
    )
    assert (
        source_de("D: EUR 9,500 per Fallzahl 2022 [S15]") == f"Eigene Ableitung aus Quelle [{n15}]"
    )
    assert source_de("DOMAIN.md § 6.5: Stuttgart [S80]; estimate").endswith("teils geschätzt")
    assert source_de("none: counted under the form of help [S3]") == "entfällt"
    # a section without tags stands for the tags of that section
    assert source_numbers("D: age shares of DOMAIN.md § 1.5 (sources there)")
    assert sources["L1"].number in source_numbers("estimate: damped trend, Gardner & McKenzie")


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(KeyError):
        source_numbers("a value from [S9999]")
