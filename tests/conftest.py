"""Shared fixtures: the synthetic test city (see tests/data/tinycity/README.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TINYCITY = Path(__file__).parent / "data" / "tinycity"


@pytest.fixture(scope="session")
def tinycity_dir() -> Path:
    """The committed Tinycity folder; read only."""
    return TINYCITY


@pytest.fixture
def tinycity_copy(tmp_path: Path, tinycity_dir: Path) -> Path:
    """A private copy of Tinycity that a test may change."""
    return Path(shutil.copytree(tinycity_dir, tmp_path / "tinycity"))
