"""The report's German texts are complete: every fallback the code can write and every parameter a
run can hold has its German wording; numbers are rounded the German way; the SRO chapter's
break-even year is the first year from which the cumulative difference stays below zero."""

from __future__ import annotations

import ast
import re
from dataclasses import asdict

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from simulation.config import register_configs
from simulation.report_html import parameters
from simulation.report_notes import UNKNOWN, fallback_de, fallbacks_de
from simulation.report_params import YEAR, german_name, number, parameter_row
from simulation.report_sro import break_even
from tests.cli import ROOT

register_configs()


def _fallback_templates() -> list[str]:
    """Every "Fallback: ..." message in the code, placeholders filled with a Hilfeart code."""
    found = []
    for folder in ("forecast", "simulation"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            parts = {
                id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values
            }
            for node in ast.walk(tree):
                if id(node) in parts:  # a piece of an f-string, seen whole below
                    continue
                if isinstance(node, ast.JoinedStr):
                    text = "".join(
                        v.value if isinstance(v, ast.Constant) else "p33" for v in node.values
                    )
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    text = node.value
                else:
                    continue
                if text.startswith("Fallback: "):
                    found.append(text)
    return sorted(set(found))


FALLBACKS = _fallback_templates()


def test_the_scan_finds_the_fallbacks() -> None:
    assert len(FALLBACKS) >= 18, FALLBACKS  # the stages write at least this many kinds


@pytest.mark.parametrize("message", FALLBACKS)
def test_every_fallback_kind_has_its_german_text(message: str) -> None:
    german = fallback_de(message)
    assert german != UNKNOWN, f"no German text for {message!r} (simulation/report_notes.py)"
    assert "Fallback" not in german and "p33" not in german


def test_unknown_notes_get_the_general_sentence_once() -> None:
    notes = ["Fallback: something new", "Fallback: something else", "Fallback: no births file"]
    assert fallbacks_de(notes) == [
        UNKNOWN,
        "Keine Geburten der Stadt: bundesweites Geburtenniveau.",
    ]
    assert "Vollzeitpflege" in fallback_de("Fallback: p33 uses the national rate (52 per ...)")


def _config(*overrides: str) -> dict:
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose("config", overrides=list(overrides))
    return OmegaConf.to_container(cfg, resolve=True)


CONFIGS = {
    "sozialraum": _config("experiment=sozialraum"),
    "destatis": _config("population/assumptions=destatis15_main", "kita=saturation"),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_parameter_has_a_german_name_unit_and_source(name: str) -> None:
    params = list(parameters(CONFIGS[name]))
    assert len(params) > 60
    for key, param in params:
        german_name(key)  # raises for a parameter without a German name
        row = parameter_row(key, param)
        text = " ".join(v for k, v in asdict(row).items() if k != "key")
        assert not re.search(r"\bNone\b|[{}\"]|DOMAIN|\[S\d+\]|estimate|per\b", text), (key, text)
        assert row.source, key


def test_numbers_are_rounded_the_german_way() -> None:
    assert number(0.85, percent=True) == "85 %"
    assert number(1234.4) == "1.234"
    assert number(0.003) == "0,003"
    assert number(24.6) == "24,6"
    assert number(2014, unit=YEAR) == "2014"


def test_break_even_is_the_year_from_which_the_difference_stays_negative() -> None:
    years = range(2026, 2032)
    assert break_even(pd.Series([0.3, 0.1, -0.2, 0.1, -0.5, -0.9], index=years)) == 2030
    assert break_even(pd.Series([0.3, 0.1, 0.2, 0.1, 0.5, -0.1], index=years)) == 2031
    assert break_even(pd.Series([0.3, 0.1, 0.2, 0.1, 0.5, 0.9], index=years)) is None
    assert break_even(pd.Series([-0.3, -0.1, -0.2, -0.1, -0.5, -0.9], index=years)) == 2026
