"""HzE input data: validation of hze_cases, the synthetic histories and their generators, config."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.citydata import load_city
from forecast.hze.catalogue import CATALOGUE, age_weights
from forecast.hze.history import load_history
from forecast.validate import InputDataError, validate_city

ROOT = Path(__file__).resolve().parent.parent
KONSTANZ = ROOT / "data" / "konstanz"


def _edit(file: Path, edits: dict[int, dict[str, str]], drop: tuple[int, ...] = ()) -> None:
    """Change cells (line number as an editor shows it -> column -> value), drop lines."""
    lines = file.read_text().splitlines()
    header = lines[0].split(",")
    for line, cells in edits.items():
        row = lines[line - 1].split(",")
        for column, value in cells.items():
            row[header.index(column)] = value
        lines[line - 1] = ",".join(row)
    file.write_text("\n".join(x for i, x in enumerate(lines, 1) if i not in drop) + "\n")


def _line(file: Path, prefix: str) -> int:
    return next(i for i, x in enumerate(file.read_text().splitlines(), 1) if x.startswith(prefix))


def test_bad_hze_cases_give_clear_errors(tinycity_copy: Path) -> None:
    f = tinycity_copy / "hze_cases.csv"
    ended = _line(f, "2017,a,p34,")
    _edit(f, {2: {"begun": "-2"}, 3: {"hilfeart": "p99"}, ended: {"ended": "500"}})
    problems = {(p.file, p.row, p.column): p.message for p in validate_city(tinycity_copy)}
    assert "expected a whole number >= 0" in problems[("hze_cases.csv", 2, "begun")]
    assert (
        "value 'p99': expected one of 'p27_2', 'p28'" in problems[("hze_cases.csv", 3, "hilfeart")]
    )
    msg = problems[("hze_cases.csv", ended, "ended")]
    assert msg.startswith("ended 500 > begun") and "previous year's running" in msg
    with pytest.raises(InputDataError, match="hze_cases.csv, row 2, column 'begun'"):
        load_city(tinycity_copy)  # nothing is computed from bad input


def test_stocks_that_come_from_nowhere_and_gaps_are_reported(tinycity_copy: Path) -> None:
    f = tinycity_copy / "hze_cases.csv"
    running = _line(f, "2018,b,p33,")
    _edit(f, {running: {"running": "900"}}, drop=(_line(f, "2019,c,p31,"),))
    problems = validate_city(tinycity_copy)
    assert {(p.file, p.row, p.column) for p in problems} == {
        ("hze_cases.csv", running, "running"),
        ("hze_cases.csv", None, "district"),
    }
    msg = {p.column: p.message for p in problems}
    assert "hilfeart 'p33', whole city: running at 31.12.2018 (9" in msg["running"]
    assert "expected running <= the previous year's running + begun" in msg["running"]
    assert msg["district"].startswith("hilfeart 'p31', year 2019: no row for district(s) 'c'")
    assert "write 0 where there were no cases" in msg["district"]


def test_a_hilfeart_may_start_later(tinycity_copy: Path) -> None:
    """A Jugendamt that books § 41 separately only from 2019 on: no gap, shorter series."""
    f = tinycity_copy / "hze_cases.csv"
    frame = pd.read_csv(f)
    frame = frame[~((frame["hilfeart"] == "p41") & (frame["year"] < 2019))]
    frame.to_csv(f, index=False)
    assert validate_city(tinycity_copy) == []
    history = load_history(load_city(tinycity_copy))
    assert history.first_year("p41") == 2019 and history.first_year("p34") == 2016
    assert np.isnan(history.begun[0, :, history.index("p41")]).all()


def test_konstanz_history_is_labelled_synthetic_and_regenerates() -> None:
    sources = (KONSTANZ / "SOURCES.md").read_text()
    assert "## hze_cases.csv — **synthetic**" in sources
    assert validate_city(KONSTANZ) == []


def test_generators_reproduce_the_committed_files(tmp_path: Path) -> None:
    for script, folder, files in (
        (
            ROOT / "tests" / "data" / "make_tinycity_hze.py",
            ROOT / "tests" / "data" / "tinycity",
            ("hze_cases.csv", "social.csv"),
        ),
        (ROOT / "scripts" / "build_konstanz_hze.py", KONSTANZ, ("hze_cases.csv",)),
    ):
        spec = importlib.util.spec_from_file_location(script.stem, script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "make"):
            module.make(tmp_path)
        else:
            module.build(tmp_path / "hze_cases.csv")
        for name in files:
            assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_konstanz_base_year_agrees_with_national_rates() -> None:
    """Done-when of issue 5: each Hilfeart's Fallzahl in the last year, per 10,000 under 21, lies
    in the DOMAIN.md § 6.3 range, widened by the Poisson noise of a city of Konstanz's size
    (2.58 sd, i.e. 99 %: ISE has about 7 cases a year, so the range alone is narrower than the
    noise)."""
    history = load_history(load_city(KONSTANZ))
    last = int(history.years[-1])
    under21 = history.under21[-1].sum()
    rates = history.fallzahl_rate(last)
    assert set(rates) == {h for h, c in CATALOGUE.items() if c.national_rate is not None}
    for code, rate in rates.items():
        lo, hi = (under21 / 1e4 * r for r in CATALOGUE[code].national_range)
        cases = rate * under21 / 1e4
        assert lo - 2.58 * np.sqrt(lo) <= cases <= hi + 2.58 * np.sqrt(hi), code
    total = sum(rates.values()) - rates["p35a"]
    assert 370 <= total <= 860  # HzE + § 41 without § 35a: 616 (370-860) per 10,000 [S1]


def test_catalogue_age_profiles_and_yaml_defaults() -> None:
    for code, c in CATALOGUE.items():
        assert abs(sum(c.age_profile) - 1) < 1e-12, code
        assert abs(age_weights(code).sum() - 21) < 1e-12
        assert c.label.startswith("§ ")
    for c in CATALOGUE.values():  # the numbers and their YAML entries (with sources)
        rate, dur, cost = (c.params[k] for k in ("national_rate", "duration", "unit_cost"))
        assert rate["value"] == c.national_rate and rate["source"] == c.rate_source
        assert (rate["range"] is None) == (c.national_range is None)
        assert dur["value"] == c.duration_months and tuple(dur["range"]) == c.duration_range
        assert cost["value"] == c.unit_cost and tuple(cost["range"]) == c.cost_range
        assert ("per begun case" in cost["unit"]) == c.cost_per_case
