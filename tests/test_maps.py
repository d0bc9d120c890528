"""Choropleth maps: class breaks a reader can check, the shapes of a city, the schematic label."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.maps import (
    city_shapes,
    class_breaks,
    class_colours,
    class_labels,
    classify,
    to_geojson,
)
from tests.cli import ROOT, TINY

values = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=1, max_size=40
)


@settings(max_examples=150, deadline=None)
@given(values, st.booleans())
def test_every_value_falls_in_exactly_one_stated_class(xs, diverging):
    x = np.array(xs)
    breaks = class_breaks(x, 5, diverging)
    assert np.all(np.diff(breaks) > 0) and breaks[0] <= x.min() and x.max() <= breaks[-1]
    k = classify(x, breaks)
    assert ((k >= 0) & (k < len(breaks) - 1)).all()
    assert (breaks[k] <= x).all() and (x <= breaks[k + 1]).all()
    assert len(breaks) - 1 <= 11  # about five classes, never a legend of dozens
    step = breaks[1] - breaks[0]
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10))  # a legend reads 10, 20, 30
    if diverging:
        assert np.isclose(breaks, 0).any()


def test_legend_is_german_and_diverging_colours_turn_at_zero():
    breaks = class_breaks(np.array([-12.0, -3.0, 4.0, 18.0]), 5, diverging=True)
    assert list(breaks) == [-20.0, -10.0, 0.0, 10.0, 20.0]
    labels = class_labels(np.array([0.0, 2.5, 5.0]), 1)
    assert labels == ["0,0 bis unter 2,5", "2,5 bis 5,0"]
    colours = class_colours(breaks, diverging=True)
    reds = [int(c[1:3], 16) - int(c[5:7], 16) for c in colours]  # red minus blue
    assert reds[0] < 0 < reds[-1] and reds[1] < 0 < reds[2]  # blue below zero, red above
    assert np.isnan(np.array([np.nan])).all() and classify(np.array([np.nan]), breaks)[0] == -1


def test_city_shapes_real_geometry_or_labelled_schematic_tiles():
    tiny = city_shapes(TINY)
    assert not tiny.schematic and "synthetisch" in tiny.note
    assert sorted(tiny.shapes) == ["a", "b", "c"]
    konstanz = city_shapes(ROOT / "data" / "konstanz")
    assert konstanz.schematic and konstanz.note.startswith("Schematische Darstellung")
    centres = {c: p[0][0][:-1].mean(axis=0) for c, p in konstanz.shapes.items()}
    assert centres["altstadt"][1] < centres["wallhausen"][1]  # row 0 is the north
    geo = to_geojson(konstanz, {"altstadt": "Altstadt"})
    assert len(geo["features"]) == 15 and geo["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_no_shapes_without_geometry_or_layout(tmp_path):
    (tmp_path / "city.yaml").write_text("districts: [{code: a, name: A, sozialraum: x}]\n")
    assert city_shapes(tmp_path) is None
    assert city_shapes(None) is None


@pytest.mark.parametrize("lat", [0.0, 47.66])
def test_geographic_coordinates_are_not_stretched(tmp_path, lat):
    import json

    d = 0.01
    square = [[9.0, lat], [9.0 + d, lat], [9.0 + d, lat + d], [9.0, lat + d], [9.0, lat]]
    (tmp_path / "city.yaml").write_text("districts: [{code: a, name: A, sozialraum: x}]\n")
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "a"},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        ],
    }
    (tmp_path / "districts.geojson").write_text(json.dumps(doc))
    ring = city_shapes(tmp_path).shapes["a"][0][0]
    width, height = np.ptp(ring[:, 0]), np.ptp(ring[:, 1])
    assert width / height == pytest.approx(np.cos(np.radians(lat + d / 2)), rel=1e-3)
