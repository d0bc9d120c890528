"""Check city.yaml: the city's name, AGS, sources, excluded years and its list of districts.

The district codes found here are what every table's ``district`` column is checked against
(``forecast.validate``), so they are returned even when other keys are wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from forecast.contract import CITY_DISTRICT, CITY_YAML_KEYS
from forecast.problems import ACCEPTABLE, ProblemReport
from forecast.validate_city_keys import check_city_keys, check_csv_dialect, check_wirkungsraeume

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DISTRICT_CODE = re.compile(r"[^\W_][\w-]{0,63}")
"""A district code: a letter or digit, then letters (umlauts too), digits, ``-`` or ``_``; at most
64 characters. Codes become parts of file names (figures per district), so a code never holds
``/``, ``\\``, ``..``, spaces or control characters, and never starts with ``.`` or ``_``."""


def check_city_yaml(path: Path, report: ProblemReport) -> tuple[dict | None, list[str] | None]:
    """Check city.yaml; return it parsed and its district codes (None where unusable)."""
    name, file = "city.yaml", path / "city.yaml"
    if file.is_symlink() and not file.exists():
        report.add(
            name, None, None, f"cannot read the file: broken symbolic link ({_target(file)})"
        )
        return None, None
    if not file.is_file():
        report.add(
            name, None, None, f"file missing: expected {name} with {', '.join(CITY_YAML_KEYS)}"
        )
        return None, None
    try:
        text = file.read_text(encoding="utf-8-sig")
        # libyaml's parser when installed: city.yaml lists every district (thousands of lines).
        node, meta = _parse(text)
    except OSError as err:
        report.add(name, None, None, f"cannot read the file: {err.strerror or err}")
        return None, None
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        report.add(name, row, None, f"cannot parse YAML: {getattr(err, 'problem', None) or err}")
        return None, None
    if not isinstance(meta, dict):
        report.add(
            name, None, None, "expected a mapping of keys (name: ..., ags: ..., districts: ...)"
        )
        return None, None
    for key in CITY_YAML_KEYS:
        if meta.get(key) in (None, "", [], {}):
            report.add(name, None, key, f"required key missing or empty: expected '{key}: ...'")
    ags = meta.get("ags")
    # Unquoted, YAML reads 05315000 as an octal number: the leading zero of the Land is lost.
    if ags not in (None, "") and not (isinstance(ags, str) and len(ags) == 8 and ags.isdigit()):
        report.add(
            name, None, "ags", f'value {ags!r}: expected 8 digits in quotes, e.g. ags: "05315000"'
        )
    if not isinstance(meta.get("sources", []), list):
        report.add(name, None, "sources", "expected a list of sources, each with name and licence")
    excluded = meta.get("exclude_years", [])
    if not isinstance(excluded, list) or not all(_is_int(y) for y in excluded):
        report.add(name, None, "exclude_years", "expected a list of years, e.g. [2011, 2012]")
    accept = meta.get("accept_warnings", [])
    if not isinstance(accept, list) or not all(a in ACCEPTABLE for a in accept):
        known = "; ".join(f"{k} = {v}" for k, v in ACCEPTABLE.items())
        report.add(name, None, "accept_warnings", f"expected a list of warning names: {known}")
    check_city_keys(meta, node, report)
    check_csv_dialect(meta, node, report)
    codes = _check_districts(meta, node, report)
    check_wirkungsraeume(meta, node, codes, report)
    return meta, codes


def _parse(text: str) -> tuple[yaml.Node | None, object]:
    """The YAML node tree (for line numbers) and the data built from it: parsed once."""
    loader = _LOADER(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _check_districts(meta: dict, node: yaml.Node, report: ProblemReport) -> list[str] | None:
    """Check the entries of ``districts``; return the codes (None if the list is unusable)."""
    name = "city.yaml"
    districts = meta.get("districts")
    if not districts:
        return None
    if not isinstance(districts, list):
        report.add(
            name, None, "districts", "expected a list of entries with code, name, sozialraum"
        )
        return None
    codes: list[str] = []
    for entry, line in zip(districts, _district_lines(node, len(districts)), strict=True):
        if not isinstance(entry, dict):
            report.add(name, line, "districts", "expected an entry with code, name, sozialraum")
            continue
        for key in ("code", "name", "sozialraum"):
            if entry.get(key) in (None, ""):
                report.add(
                    name,
                    line,
                    "districts",
                    f"entry without '{key}': expected code, name, sozialraum",
                )
            elif isinstance(entry.get(key), (list, dict, bool)):
                report.add(
                    name,
                    line,
                    "districts",
                    f'{key} {entry[key]!r}: expected one piece of text, e.g. {key}: "..."',
                )
        if entry.get("code") in (None, ""):
            continue
        code = str(entry["code"]).strip()
        if code == CITY_DISTRICT:
            report.add(name, line, "districts", f"code '{code}' is reserved for whole-city rows")
        elif not DISTRICT_CODE.fullmatch(code):
            report.add(
                name,
                line,
                "districts",
                f"district code {code!r}: expected letters, digits, '-' or '_' (at most 64, "
                "starting with a letter or digit), e.g. 'altstadt' or 'paradies-2'",
            )
        elif code in codes:
            report.add(
                name, line, "districts", f"duplicate district code '{code}': expected unique codes"
            )
        codes.append(code)
    return codes


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _target(link: Path) -> str:
    """Where a symbolic link points, for a message."""
    try:
        return f"points to {link.readlink()}"
    except OSError:
        return "target unknown"


def accepted_warnings(meta: dict | None) -> list[str]:
    """The plausibility warnings city.yaml accepts (``accept_warnings``; none if unusable)."""
    accept = (meta or {}).get("accept_warnings") or []
    return [a for a in accept if isinstance(a, str)] if isinstance(accept, list) else []


def check_excluded_years(meta: dict | None, years: set[int] | None, report: ProblemReport) -> None:
    """``exclude_years`` must name register years: a year not in population.csv is a typo
    (2102 for 2012) that would leave the suspect year in the estimation without a word.

    Args:
        meta: the parsed city.yaml.
        years: the years of the population file (None or empty: not read, nothing to check).
        report: where problems go.
    """
    excluded = (meta or {}).get("exclude_years") or []
    if not years or not isinstance(excluded, list):
        return
    for year in excluded:
        if _is_int(year) and year not in years:
            report.add(
                "city.yaml",
                None,
                "exclude_years",
                f"{year} is not a year of population.csv ({min(years)}..{max(years)}): "
                "expected register years only",
            )


def _district_lines(node: yaml.Node | None, n: int) -> list[int | None]:
    """Line of each entry of ``districts`` in city.yaml, to point at a bad entry."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "districts" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return [None] * n
