"""District geometry in the input contract: ``districts.geojson`` and the schematic ``map_layout``.

check-data accepts the tiny city's synthetic geometry and Konstanz's tile layout, and names file,
feature and field for every kind of broken geometry a planner's export can bring.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from forecast.problems import ProblemReport
from forecast.validate import check_city
from forecast.validate_geometry import GEOMETRY_FILE, check_geometry, map_layout, read_geometry
from tests.cli import ROOT, TINY

KONSTANZ = ROOT / "data" / "konstanz"


def test_tiny_geometry_and_konstanz_layout_pass_check_data():
    geometry, problems = read_geometry(TINY / GEOMETRY_FILE, ["a", "b", "c"])
    assert problems == [] and geometry.crs == "EPSG:25832" and not geometry.geographic
    assert sorted(geometry.shapes) == ["a", "b", "c"] and len(geometry.shapes["c"]) == 2
    meta = yaml.safe_load((KONSTANZ / "city.yaml").read_text(encoding="utf-8"))
    tiles = map_layout(meta)
    assert sorted(tiles) == sorted(d["code"] for d in meta["districts"])
    assert len(set(tiles.values())) == len(tiles)  # one tile per Stadtteil
    assert meta["map_layout"]["note"]  # how the tiles were placed, in German
    assert not [p for p in check_city(TINY).problems if p.file == GEOMETRY_FILE]


def _broken(tmp_path: Path, change) -> list[str]:
    city = tmp_path / "city"
    city.mkdir()
    doc = json.loads((TINY / GEOMETRY_FILE).read_text(encoding="utf-8"))
    change(doc)
    (city / GEOMETRY_FILE).write_text(json.dumps(doc), encoding="utf-8")
    report = ProblemReport()
    check_geometry(city, ["a", "b", "c"], report)
    return [f"{p.column}: {p.message}" for p in report.problems() if p.file == GEOMETRY_FILE]


def _ring(doc, i=0):
    return doc["features"][i]["geometry"]["coordinates"][0]


def _set(doc, key, value):
    doc[key] = value


CASES = {
    "unknown code": (
        lambda d: d["features"][0]["properties"].update(code="x"),
        ["properties.code: feature 1 (code 'x'): not a district code", "district 'a' of city"],
    ),
    "duplicate": (
        lambda d: d["features"][1]["properties"].update(code="a"),
        ["feature 2 (code 'a'): a second feature", "district 'b' of city.yaml has no feature"],
    ),
    "no code": (
        lambda d: d["features"][2].update(properties={"name": "Südhang"}),
        ["properties.code: feature 3: no district code"],
    ),
    "bow tie": (
        lambda d: _ring(d).__setitem__(slice(1, 3), [_ring(d)[2], _ring(d)[1]]),
        ["geometry: feature 1 (code 'a'): ring 1: crosses itself"],
    ),
    "not closed": (lambda d: _ring(d, 1).pop(), ["feature 2 (code 'b'): ring 1: not closed"]),
    "point": (
        lambda d: d["features"][0].update(geometry={"type": "Point", "coordinates": [1, 2]}),
        ["geometry: feature 1 (code 'a'): geometry 'Point': expected a Polygon"],
    ),
    "no area": (
        lambda d: d["features"][0]["geometry"].update(
            coordinates=[[[0, 0], [1, 1], [2, 2], [0, 0]]]
        ),
        ["ring 1: encloses no area"],
    ),
    "text coordinate": (
        lambda d: _ring(d)[1].__setitem__(0, "5e5"),
        ["ring 1: expected a list of [x, y] positions (numbers)"],
    ),
    "projected without crs": (
        lambda d: d.pop("crs"),
        ["crs: feature 1 (code 'a'): coordinates outside longitude", "EPSG:25832"],
    ),
    "unknown crs": (
        lambda d: _set(d, "crs", {"type": "name", "properties": {"name": "EPSG:9999"}}),
        ["crs: unknown coordinate reference system 'EPSG:9999'"],
    ),
    "not a collection": (lambda d: _set(d, "type", "Feature"), ["expected a GeoJSON Feature"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_broken_geometry_is_named_with_feature_and_field(tmp_path, case):
    change, expected = CASES[case]
    messages = "\n".join(_broken(tmp_path, change))
    for part in expected:
        assert part in messages, messages


def test_map_layout_problems_are_named(tmp_path):
    city = tmp_path / "city"
    shutil.copytree(TINY, city)
    (city / GEOMETRY_FILE).unlink()
    meta = yaml.safe_load((city / "city.yaml").read_text(encoding="utf-8"))
    meta["map_layout"] = {"tiles": {"a": [0, 0], "b": [0, 0], "z": [1, 1]}}
    (city / "city.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    found = [p.message for p in check_city(city).problems if p.column == "map_layout"]
    assert any("'b' and 'a' share the tile [0, 0]" in m for m in found), found
    assert any("'z': not a district code" in m for m in found), found
    assert any("district 'c' has no tile" in m for m in found), found


def test_the_unfilled_template_counts_as_absent():
    template = ROOT / "data" / "templates" / GEOMETRY_FILE
    assert read_geometry(template, ["a"]) == (None, [])
