"""check-data says what a run will need: usable register transitions (issue 13, item 6)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from forecast.citydata import load_city
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.readiness import projection_problems
from forecast.problems import ERROR, WARNING
from simulation.cli import check_data
from tests.cli import jhplan

ROOT = Path(__file__).resolve().parents[1]


def city_with_years(tinycity_dir: Path, folder: Path, years, exclude=()) -> Path:
    """Tinycity's city.yaml and the population of ``years`` only (no flow files)."""
    folder.mkdir(parents=True)
    meta = yaml.safe_load((tinycity_dir / "city.yaml").read_text())
    if exclude:
        meta["exclude_years"] = list(exclude)
    (folder / "city.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True))
    pop = pd.read_csv(tinycity_dir / "population.csv")
    pop[pop["year"].isin(years)].to_csv(folder / "population.csv", index=False)
    return folder


def test_single_year_folder_fails_check_data_with_what_is_needed(
    tinycity_dir: Path, tmp_path: Path, capsys
) -> None:
    folder = city_with_years(tinycity_dir, tmp_path / "one", [2022])
    assert check_data([str(folder)]) == 1
    out = capsys.readouterr().out
    assert "1 problem(s)" in out
    assert "population.csv" in out and "no usable pair of consecutive register years" in out
    assert "exclude_years" in out and "register years found: 2022" in out


def test_one_transition_is_a_warning_not_a_problem(
    tinycity_dir: Path, tmp_path: Path, capsys
) -> None:
    folder = city_with_years(tinycity_dir, tmp_path / "two", [2021, 2022])
    assert check_data([str(folder)]) == 0
    out = capsys.readouterr().out
    assert "no problems found, 1 warning(s)" in out
    assert "warning: population.csv" in out and "only one usable transition (2021->2022)" in out


def test_full_tinycity_has_neither_problem_nor_warning(tinycity_dir: Path, capsys) -> None:
    assert check_data([str(tinycity_dir)]) == 0
    assert capsys.readouterr().out.strip().endswith("no problems found")


@pytest.mark.parametrize(
    ("years", "exclude", "usable"),
    [
        ([2022], (), 0),
        ([2021, 2022], (2021,), 0),  # the only pair holds an excluded year
        ([2020, 2021, 2022], (2021,), 0),
        ([2019, 2020, 2021, 2022], (2020, 2022), 0),  # the base year itself excluded
        ([2019, 2020, 2021, 2022], (2021,), 1),
        ([2021, 2022], (), 1),
        ([2018, 2019, 2020, 2021, 2022], (2020,), 2),
    ],
)
def test_check_data_and_the_estimation_never_disagree(
    tinycity_dir: Path, tmp_path: Path, years, exclude, usable
) -> None:
    city = load_city(city_with_years(tinycity_dir, tmp_path / "c", years, exclude))
    found = projection_problems(city)
    errors = [p for p in found if p.severity == ERROR]
    try:
        estimate_base_rates(city, EstimationSettings())
    except ValueError as err:
        assert "no usable pair" in str(err)
        assert errors, "the estimation fails but check-data finds no problem"
    else:
        assert not errors, "check-data reports a problem but the estimation works"
    assert bool(errors) == (usable == 0)
    assert [p.severity for p in found if p.severity == WARNING] == [WARNING] * (usable == 1)


def test_run_on_a_single_year_folder_stops_with_the_check_data_message(
    tinycity_dir: Path, tmp_path: Path
) -> None:
    folder = city_with_years(tinycity_dir, tmp_path / "one", [2022])
    runs = tmp_path / "runs"
    res = jhplan(
        "run",
        f"city.data_dir={folder}",
        f"run_root={runs}",
        "horizon=3",
    )
    assert res.returncode == 1
    message = str(projection_problems(load_city(folder))[0])
    assert message in res.stderr and "nothing was written" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert not runs.exists() or not any(runs.iterdir())
