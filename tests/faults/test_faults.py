"""Every planted fault of the catalogue (``tests/faults/catalogue.py``) meets its declared outcome.

check-data runs in-process (``harness.check``: the command's own function). For each fault:
no traceback, nothing written anywhere, and either exit 1 with an error naming the file, row and
column, or exit 0 with the named warning, or (``ok`` variants) exit 0 with nothing to say.
"""

from __future__ import annotations

import pytest

from tests.faults.catalogue import FAULTS
from tests.faults.harness import check, plant, verdict

EXPECTED = {"error": "caught", "ok": "read"}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_planted_fault(fault, tmp_path) -> None:
    outcome = check(plant(fault, tmp_path))
    assert not outcome.traceback, outcome.traceback
    assert outcome.written == []
    said = outcome.errors + outcome.warnings
    assert verdict(fault, outcome) == EXPECTED.get(fault.expect, "warned"), said


def test_catalogue_covers_every_input_file() -> None:
    """Each input file of both cities has faults planted in it (a new file needs its own)."""
    from tests.faults.harness import CITIES

    for city, folder in CITIES.items():
        files = {f.name for f in folder.iterdir() if f.suffix in (".csv", ".yaml")}
        planted = {f.file for f in FAULTS if f.city == city and f.expect != "ok"}
        assert files <= planted, f"{city}: no fault planted in {sorted(files - planted)}"


def test_ids_are_unique() -> None:
    assert len({f.id for f in FAULTS}) == len(FAULTS)
