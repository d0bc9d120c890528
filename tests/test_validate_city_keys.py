"""city.yaml's typed and optional keys: check-data and the models read them by one rule."""

from __future__ import annotations

import pytest

from forecast.citydata import load_city
from forecast.problems import InputDataError
from forecast.validate import check_city
from forecast.validate_city_keys import wirkungsraum_problems


def append(folder, text: str) -> None:
    with open(folder / "city.yaml", "a", encoding="utf-8") as out:
        out.write(text)


@pytest.mark.parametrize(
    "value",
    ["{n: [a, x], s: [b, c]}", "{n: [a, b], s: [b, c]}", "{n: [a, b]}", "[a, b, c]", "{n: a}"],
)
def test_wirkungsraeume_are_checked_before_the_run(tinycity_copy, value) -> None:
    """What the system model would refuse (``simulation.abm.inputs``) check-data refuses first,
    with the same words, at the key's line."""
    append(tinycity_copy, f"wirkungsraeume: {value}\n")
    found = [p for p in check_city(tinycity_copy).problems if p.column == "wirkungsraeume"]
    meta = check_city(tinycity_copy).meta
    assert [p.message for p in found] == wirkungsraum_problems(
        meta["wirkungsraeume"], ["a", "b", "c"]
    )
    assert found and {p.row for p in found} == {13}
    with pytest.raises(InputDataError):
        load_city(tinycity_copy)


def test_an_unknown_key_is_a_warning_a_misspelt_one_an_error(tinycity_copy) -> None:
    append(tinycity_copy, "bemerkung: von Hand ergänzt\nwirkungsraum: {n: [a, b, c]}\n")
    check = check_city(tinycity_copy)
    assert [(p.column, p.message.split(",")[0]) for p in check.problems] == [
        ("wirkungsraum", "unknown key 'wirkungsraum'")
    ]
    assert "did you mean 'wirkungsraeume'?" in check.problems[0].message
    assert [(w.column, w.check) for w in check.warnings] == [("bemerkung", "unknown_key")]


def test_an_unknown_key_can_be_accepted(tinycity_copy) -> None:
    append(tinycity_copy, "bemerkung: von Hand ergänzt\naccept_warnings: [unknown_key]\n")
    city = load_city(tinycity_copy)
    assert city.warnings == () and [w.column for w in city.accepted] == ["bemerkung"]


@pytest.mark.parametrize(
    ("line", "key"),
    [("name: [Tiny, city]", "name"), ("name: 42", "name"), ("state: [NW]", "state")],
)
def test_text_keys_of_another_type_are_errors(tinycity_copy, line, key) -> None:
    text = (tinycity_copy / "city.yaml").read_text(encoding="utf-8")
    old = next(row for row in text.splitlines() if row.startswith(f"{key}:"))
    (tinycity_copy / "city.yaml").write_text(text.replace(old, line), encoding="utf-8")
    (problem,) = check_city(tinycity_copy).problems
    assert (problem.column, problem.row) == (key, text.splitlines().index(old) + 1)
    assert "expected one piece of text" in problem.message
