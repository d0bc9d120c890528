"""Check the typed and optional keys of city.yaml: value types, ``state``, unknown keys,
``wirkungsraeume`` and the CSV dialect (``csv``).

A key of the wrong type (``name: [a, b]``), a misspelt key (``exclude_year``), a Bundesland code
that is not one (``NRW``) or a Wirkungsraum naming a district that does not exist would otherwise
be used as text, ignored, or fail much later in a run; each is reported here with the line of the
key in city.yaml. ``forecast.validate_city_yaml`` checks the required keys and the districts.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import yaml

from forecast.contract import CITY_YAML_KEYS, CITY_YAML_OPTIONAL, LAENDER
from forecast.problems import UNKNOWN_KEY, WARNING, ProblemReport, accept_hint

NAME = "city.yaml"
TEXT_KEYS = ("name", "licence", "state")
"""Keys whose value is one piece of text (a number or a list there is a mistake)."""
TYPE_NAMES = {list: "list", dict: "mapping", int: "number", float: "number", bool: "yes/no value"}
CSV_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
CSV_DECIMALS = {".": "point", ",": "comma"}
GERMAN_CSV_HINT = "csv: {sep: ';', decimal: ','}"
"""What city.yaml says for files saved by a German Excel as 'CSV (Trennzeichen-getrennt)'."""


def key_lines(node: yaml.Node | None) -> dict[str, int]:
    """Line (as an editor shows it) of each top-level key of city.yaml."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def check_city_keys(meta: dict, node: yaml.Node | None, report: ProblemReport) -> None:
    """Report wrongly typed, unknown and badly formed optional keys of a parsed city.yaml."""
    lines = key_lines(node)
    for key in TEXT_KEYS:
        value = meta.get(key)
        if value not in (None, "") and not isinstance(value, str):
            shown = TYPE_NAMES.get(type(value), type(value).__name__)
            report.add(
                NAME,
                lines.get(key),
                key,
                f'value {value!r} is a {shown}: expected one piece of text, e.g. {key}: "..." '
                "(quote it)",
            )
    state = meta.get("state")
    if isinstance(state, str) and state.strip() and state.strip().upper() not in LAENDER:
        close = difflib.get_close_matches(state.upper()[:2], LAENDER, n=1)
        hint = " (NRW is NW)" if state.upper() == "NRW" else ""
        hint = hint or (f" (did you mean '{close[0]}'?)" if close else "")
        report.add(
            NAME,
            lines.get("state"),
            "state",
            f"state {state!r}: expected a Bundesland code, one of {', '.join(LAENDER)}{hint}",
        )
    sources = meta.get("sources")
    if isinstance(sources, list):
        for i, entry in enumerate(sources, start=1):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                report.add(
                    NAME,
                    lines.get("sources"),
                    "sources",
                    f"entry {i}: expected an entry with name (text), url or repo, and licence",
                )
    _check_unknown_keys(meta, lines, report)


def _check_unknown_keys(meta: dict, lines: dict[str, int], report: ProblemReport) -> None:
    """A key jhplan does not read is ignored: a misspelt known key is an error, others a warning."""
    known = (*CITY_YAML_KEYS, *CITY_YAML_OPTIONAL)
    for key in meta:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
        if close:
            msg = f"unknown key '{key}', so it would be ignored: did you mean '{close[0]}'?"
            report.add(NAME, lines.get(str(key)), str(key), msg)
        else:
            msg = f"unknown key '{key}', not read: the keys jhplan reads are {', '.join(known)}"
            report.add(
                NAME,
                lines.get(str(key)),
                str(key),
                msg + accept_hint(UNKNOWN_KEY),
                UNKNOWN_KEY,
                WARNING,
            )


def check_wirkungsraeume(
    meta: dict, node: yaml.Node | None, codes: Sequence[str] | None, report: ProblemReport
) -> None:
    """``wirkungsraeume`` (optional): a mapping name -> districts, every district in exactly one."""
    if "wirkungsraeume" not in meta or codes is None:
        return
    line = key_lines(node).get("wirkungsraeume")
    for message in wirkungsraum_problems(meta["wirkungsraeume"], codes):
        report.add(NAME, line, "wirkungsraeume", message)


def wirkungsraum_problems(given: object, codes: Sequence[str]) -> list[str]:
    """What is wrong with a ``wirkungsraeume`` value, given the city's district codes (in order).

    Used by check-data and by the system model (``simulation.abm.inputs.wirkungsraeume``), so the
    two cannot disagree about a city.
    """
    if not isinstance(given, Mapping) or not given:
        return ["expected a mapping of Wirkungsraum names to lists of district codes"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for name, members in given.items():
        if not isinstance(members, list) or not members:
            problems.append(f"Wirkungsraum '{name}': expected a non-empty list of district codes")
            continue
        for code in map(str, members):
            if code not in codes:
                close = difflib.get_close_matches(code, list(codes), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    f"Wirkungsraum '{name}': unknown district '{code}'{hint}; "
                    f"expected one of {list(codes)}"
                )
            elif code in seen:
                problems.append(
                    f"district '{code}' in both '{seen[code]}' and '{name}': expected one each"
                )
            seen.setdefault(code, str(name))
    missing = [c for c in codes if c not in seen]
    if missing:
        problems.append(
            f"districts {missing} in no Wirkungsraum: expected every district in exactly one"
        )
    return problems


def csv_dialect(meta: dict | None) -> tuple[str, str]:
    """(separator, decimal mark) of the city's CSV files: city.yaml's ``csv`` or ``(',', '.')``.

    Call only after ``check_csv_dialect`` found no problem (an unusable value gives the default).
    """
    given = (meta or {}).get("csv")
    if not isinstance(given, dict):
        return ",", "."
    sep, decimal = given.get("sep", ","), given.get("decimal", ".")
    if sep not in CSV_SEPARATORS or decimal not in CSV_DECIMALS or sep == decimal:
        return ",", "."
    return sep, decimal


def check_csv_dialect(meta: dict, node: yaml.Node | None, report: ProblemReport) -> None:
    """``csv: {sep: ';', decimal: ','}`` (optional) declares the CSV files' separator and mark."""
    if "csv" not in meta:
        return
    given, line = meta["csv"], key_lines(node).get("csv")
    seps = ", ".join(f"{s!r} ({n})" for s, n in CSV_SEPARATORS.items())
    expected = f"expected e.g. {GERMAN_CSV_HINT}: sep one of {seps}; decimal '.' or ','"
    if not isinstance(given, dict) or set(given) - {"sep", "decimal"}:
        report.add(NAME, line, "csv", f"value {given!r}: {expected}")
        return
    sep, decimal = given.get("sep", ","), given.get("decimal", ".")
    if sep not in CSV_SEPARATORS or decimal not in CSV_DECIMALS:
        report.add(NAME, line, "csv", f"sep {sep!r}, decimal {decimal!r}: {expected}")
    elif sep == decimal:
        report.add(
            NAME, line, "csv", f"sep and decimal are both {sep!r}: a decimal comma needs sep ';'"
        )
