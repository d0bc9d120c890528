"""The numbered source list: what the ``source`` text of a parameter cites, for German readers.

Every default parameter says where its value comes from (``forecast/params.py``): tags ``[Sxx]``
of the domain notes' source list, ``D:`` for a value derived from sourced numbers, ``estimate``,
a section of the domain notes, or a work named by its authors. A report for a council committee
cannot send its readers to the project's notes, so the sources that parameters cite are copied into
``forecast/parameters/sources.yaml`` (with attribution) and numbered 1..n here: the report's
"Literatur/Quellen" list and the workbook's "Annahmen" sheet show the same numbers, and a
parameter's source reads "Quelle [3]", "Schätzung" or "Eigene Ableitung aus Quelle [12]".

The library reads the file with plain pyyaml (no Hydra), like ``forecast.params``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from forecast.params import read_yaml

SOURCES_FILE = Path(__file__).resolve().parent / "parameters" / "sources.yaml"
"""Sources (tags of the domain notes), literature named by authors, and tags per notes section."""

_TAG = re.compile(r"\[(S\d+)\]")
_SECTION = re.compile(r"DOMAIN\.md\s*§\s*(\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Source:
    """One entry of the source list.

    Attributes:
        key: ``S81`` (a tag of the domain notes) or ``L1`` (literature named by its authors).
        number: its number in the report and the workbook, from 1.
        title: author or publisher and title, as in the domain notes.
        url: where to read it (None when there is no public address).
    """

    key: str
    number: int
    title: str
    url: str | None

    def reference(self) -> str:
        """The entry as a line of a source list: ``[3] Title. https://...``."""
        return f"[{self.number}] {self.title}" + (f". {self.url}" if self.url else "")


@cache
def _catalogue() -> dict:
    return read_yaml(SOURCES_FILE)


def load_sources() -> dict[str, Source]:
    """Every source by key, numbered: tags by their number, then literature in file order."""
    data = _catalogue()
    tags = sorted(data["sources"], key=lambda k: int(k[1:]))
    entries = [(k, data["sources"][k]) for k in tags] + list(data["literature"].items())
    return {
        key: Source(key, number, entry["title"], entry.get("url"))
        for number, (key, entry) in enumerate(entries, start=1)
    }


def cited(text: str) -> list[str]:
    """The keys a source text cites, in order of first mention, without repeats.

    Tags ``[Sxx]`` and works named as in ``literature.match``; a section of the domain notes
    (``DOMAIN.md § 1.5``) stands for the tags cited there, but only when the text names no tag
    itself and is not an estimate (an estimate that mentions a section is still an estimate).
    """
    keys = _TAG.findall(text)
    for key, entry in _catalogue()["literature"].items():
        if entry["match"] in text:
            keys.append(key)
    if not _TAG.search(text) and not text.strip().lower().startswith("estimate"):
        sections = _catalogue()["sections"]
        for section in _SECTION.findall(text):
            keys += sections.get(section, [])
    return list(dict.fromkeys(keys))


def source_numbers(text: str) -> list[int]:
    """The list numbers of the sources a text cites (see ``cited``), ascending.

    Raises:
        KeyError: the text cites a tag that is not in the source list.
    """
    sources = load_sources()
    return sorted({sources[key].number for key in cited(text)})


def source_de(text: str) -> str:
    """A parameter's ``source`` text as a German reader sees it, without the notes' wording.

    ``"[S85]; estimate"`` -> ``"Quelle [31], teils geschätzt"``; ``"estimate"`` -> ``"Schätzung"``;
    ``"D: ... [S15]"`` -> ``"Eigene Ableitung aus Quelle [12]"``; ``"none: ..."`` -> ``"entfällt"``.
    """
    stripped = text.strip()
    if stripped.lower().startswith("none"):
        return "entfällt"
    numbers = source_numbers(text)
    refs = ""
    if numbers:
        label = "Quelle" if len(numbers) == 1 else "Quellen"
        refs = f"{label} " + ", ".join(f"[{n}]" for n in numbers)
    if stripped.startswith("D:"):
        return f"Eigene Ableitung aus {refs}" if refs else "Eigene Ableitung"
    if stripped.lower().startswith("estimate"):
        return f"Schätzung, gestützt auf {refs}" if refs else "Schätzung"
    if not refs:
        return "Schätzung"
    return f"{refs}, teils geschätzt" if re.search(r"\bestimate\b", text) else refs


def source_list() -> list[Source]:
    """The whole list in number order, for "Literatur/Quellen" and the workbook's "Annahmen"."""
    return sorted(load_sources().values(), key=lambda s: s.number)
