"""Write ``data/templates/``: one header-only CSV per contract file and a commented city.yaml.

The headers come from ``forecast.contract.CONTRACT`` so that the templates cannot drift from the
contract. The script also checks that ``data/README.md`` documents every file and column of the
contract. Running it twice gives byte-identical files.

Usage:
    python scripts/build_templates.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from forecast.contract import CITY_YAML_KEYS, CITY_YAML_OPTIONAL, CONTRACT  # noqa: E402

OUT = REPO / "data" / "templates"

CITY_YAML = """\
# city.yaml: the description of one city folder for jhplan. See data/README.md.
# Fill in the values, delete the examples you do not need; keep the keys in English.
# Required keys: {required}. Optional: {optional}.

# Display name of the city (used in the report).
name: "Musterstadt"

# Amtlicher Gemeindeschlüssel (AGS), 8 digits. Quote it: leading zeros matter.
ags: "05999999"

# Optional: {state}.
state: NW

# Optional: {exclude_years}.
# The years stay in population.csv (a base year may still be picked there) but no rate is
# estimated from a change into or out of them. Example: [2011] for a census correction.
exclude_years: []

# The districts (Stadtteile, Sozialräume or Planungsbezirke) used in every file.
#   code:       the value of the `district` column, e.g. lower case without spaces or umlauts.
#               "_city" is reserved for whole-city rows and cannot be a district code.
#   name:       display name in the report (umlauts welcome).
#   sozialraum: the planning group the district belongs to (free text; districts with the same
#               value form one Sozialraum). Say in `sources` if the grouping is your own.
districts:
  - {{code: nord, name: "Nord", sozialraum: nord}}
  - {{code: mitte, name: "Mitte", sozialraum: mitte}}
  - {{code: sued, name: "Süd", sozialraum: sued}}

# Optional: {wirkungsraeume}; a mapping of group name -> list of district codes.
# wirkungsraeume:
#   nordost: [nord, mitte]
#   sued: [sued]

# Where each file comes from: one entry per source, with name, url (or repo) and licence.
sources:
  - name: "Einwohnermeldeamt Musterstadt, Bevölkerung am 31.12."
    url: "https://www.example.org/open-data"
    licence: "dl-de/by-2-0"

# Licence of the folder as a whole (the most restrictive of the sources).
licence: "dl-de/by-2-0"
"""


def city_yaml_template() -> str:
    """The commented city.yaml template, with the optional keys explained from the contract."""
    text = CITY_YAML.format(
        required=", ".join(CITY_YAML_KEYS),
        optional=", ".join(CITY_YAML_OPTIONAL),
        **CITY_YAML_OPTIONAL,
    )
    parsed = yaml.safe_load(text)
    missing = [k for k in CITY_YAML_KEYS if k not in parsed]
    assert not missing, f"city.yaml template lacks required keys {missing}"
    return text


def check_readme(readme: Path) -> None:
    """Assert that data/README.md names every contract file and column (in backticks)."""
    text = readme.read_text("utf-8")
    for stem, spec in CONTRACT.items():
        assert f"`{stem}`" in text or f"{stem}.csv" in text, f"data/README.md lacks file {stem}"
        assert f"\n### `{stem}`\n" in text, f"data/README.md lacks a section '### `{stem}`'"
        section = re.split(r"\n### ", text.split(f"### `{stem}`", 1)[1])[0]
        for column in spec.column_names:
            assert f"`{column}`" in section, f"data/README.md, {stem}: column {column} undocumented"
    for key in (*CITY_YAML_KEYS, *CITY_YAML_OPTIONAL):
        assert f"`{key}`" in text, f"data/README.md lacks city.yaml key {key}"


def main() -> None:
    """Write the templates and check the README."""
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, spec in CONTRACT.items():
        path = OUT / f"{stem}.csv"
        path.write_text(",".join(spec.column_names) + "\n", encoding="utf-8", newline="\n")
        print(f"wrote {path.relative_to(REPO)}")
    (OUT / "city.yaml").write_text(city_yaml_template(), encoding="utf-8", newline="\n")
    print(f"wrote {(OUT / 'city.yaml').relative_to(REPO)}")
    readme = REPO / "data" / "README.md"
    if readme.exists():
        check_readme(readme)
        print("data/README.md documents every contract file, column and city.yaml key")


if __name__ == "__main__":
    main()
