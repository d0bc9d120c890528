"""Files a run reads from outside the city folder (``tests/faults/outside.py``): a German CSV is
read exactly as its comma-and-point twin when city.yaml declares it, refused with a message saying
how to declare or export it when not, and a number in the other notation is an error."""

from __future__ import annotations

import pytest

from tests.faults.outside import OUTSIDE, outside_verdict


@pytest.mark.parametrize("fault", OUTSIDE, ids=[f.id for f in OUTSIDE])
def test_file_given_by_path(fault, tmp_path) -> None:
    expected = "read" if fault.expect == "ok" else "caught"
    assert outside_verdict(fault, tmp_path) == expected


def test_a_file_in_a_german_city_folder_is_read_as_its_city_yaml_declares(tmp_path) -> None:
    """``jhplan report --district`` reads a run's population file again by path
    (``load_table_file`` without a dialect): the declaration beside it holds."""
    import shutil

    from forecast.citydata import load_table_file
    from tests.faults.harness import CITIES
    from tests.faults.plant import german

    city = tmp_path / "city"
    shutil.copytree(CITIES["tiny"], city, ignore=shutil.ignore_patterns("*.md"))
    plain = load_table_file(city / "population.csv", "population", ("a", "b", "c"))
    german(city)
    assert ";" in (city / "population.csv").read_text().splitlines()[0]
    read = load_table_file(city / "population.csv", "population", ("a", "b", "c"))
    assert read.equals(plain) and len(read) > 1000
