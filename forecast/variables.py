"""The results vocabulary: every variable a run writes, with its unit and German label.

In the style of the IAMC/pyam codelists: a variable is a pipe-separated hierarchy; a *pattern*
names its free parts in braces (``Population|{sex}|{age}``, ``HzE|Cases|{hilfeart}``), each part
with the values it may take (``DIMENSIONS``). A unit may hold a part too (``EUR per year, prices of
{price_year}``). Modules that write results build their names and units from here
(``HZE_CASES.name(hilfeart="p34")``) and the report and workbook take their labels from here;
``tests/test_variables.py`` checks every variable of an end-to-end run against this table.

Also here: the quantile levels of the results (``QUANTILES``) and the band the demand models and
the ABM report (``BAND``), so that every table and chart uses the same levels.

References:
    IAMC time-series data format and pyam ``CodeList`` (nomenclature), pyam-iamc.readthedocs.io.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from forecast.social.kennzahlen import KENNZAHLEN

QUANTILES: tuple[float, ...] = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
"""Every quantile level a results table may hold (``statistic = quantile``); the population draws
write all of them."""

BAND: tuple[float, float, float] = (QUANTILES[1], QUANTILES[3], QUANTILES[5])
"""P10, P50, P90: the 80 % band and median that Kita, HzE and the ABM write and the report shows."""

QUANTILE_NAMES: dict[float, str] = {q: f"P{round(100 * q)}" for q in QUANTILES}
"""Quantile level -> column name in tables (0.1 -> ``P10``)."""

HILFEART = r"p[0-9a-z_]+|Total"
DIMENSIONS: dict[str, str] = {
    "sex": "f|m",
    "age": r"\d+",  # single age; 100 = 100 and older
    "age_group": r"\d+-\d+|\d+\+",  # e.g. 0-2, 80+
    "hilfeart": HILFEART,  # a code of forecast.hze.catalogue or Total
    "group": "U3|Ue3",  # Kita age group: under 3, 3 to school entry
    "kita_age": "[0-2]",
    "parameter": "[a-z_]+",  # an ABM parameter of the sensitivity analysis
    "end": "Low|High",
    "cost_part": "Prevention|Transition",  # ABM costs outside the Hilfearten
    "grade": "[1-4]",  # Grundschule grade (Ganztag)
    "ganztag_form": "ogs|hort|gebunden|tagespflege",  # form of a Ganztag place
}
"""Part name -> regular expression of its values; parts not listed take any text without ``|``."""


@dataclass(frozen=True)
class Variable:
    """One variable (or a family of variables given by a pattern) of the results.

    Attributes:
        pattern: the name with free parts in braces, e.g. ``HzE|Cases|{hilfeart}``.
        unit: the unit (may hold a part in braces, e.g. ``{price_year}``).
        label: German label for the report and the workbook; may use the pattern's parts.
        model: the stage that writes it (the ``model`` column).
    """

    pattern: str
    unit: str
    label: str
    model: str
    parts: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(re.findall(r"\{(\w+)\}", self.pattern)))

    def name(self, **parts: object) -> str:
        """The variable's name with its parts filled in: ``HZE_CASES.name(hilfeart="p34")``."""
        return self.pattern.format(**parts)

    def unit_for(self, **parts: object) -> str:
        return self.unit.format(**parts)

    def label_for(self, name: str) -> str:
        """The German label of ``name`` (a variable of this family)."""
        m = self.regex.fullmatch(name)
        return self.label.format(**m.groupdict()) if m else self.label

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern)

    @cached_property
    def unit_regex(self) -> re.Pattern[str]:
        return _compile(self.unit)


def _compile(pattern: str) -> re.Pattern[str]:
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)\}", pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        out.append(f"(?P<{m[1]}>{DIMENSIONS.get(m[1], '[^|]+')})")
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("".join(out))


def _family(model: str, prefix: str, units: dict[str, tuple[str, str]], part: str) -> list:
    return [
        Variable(f"{prefix}|{k}|{{{part}}}", unit, label, model)
        for k, (unit, label) in units.items()
    ]


# Population (forecast.population.projection, .draws; simulation.stage_population)
PERSONS = "persons"
POPULATION_CELL = Variable("Population|{sex}|{age}", PERSONS, "Einwohner", "population")
POPULATION_GROUP = Variable(
    "Population|{sex}|{age_group}", PERSONS, "Einwohner {age_group} Jahre", "population"
)
POPULATION_TOTAL = Variable("Population|Total", PERSONS, "Einwohner", "population")
POPULATION_FLOWS = {
    "Births": Variable("Population|Births", PERSONS, "Geburten", "population"),
    "Deaths": Variable("Population|Deaths", PERSONS, "Sterbefälle", "population"),
    "Net migration": Variable(
        "Population|Net migration", PERSONS, "Wanderungssaldo über die Stadtgrenze", "population"
    ),
    "Internal net moves": Variable(
        "Population|Internal net moves", PERSONS, "Saldo der Umzüge in der Stadt", "population"
    ),
    "Control adjustment": Variable(
        "Population|Control adjustment", PERSONS, "Anpassung an Eckwerte", "population"
    ),
    "Method adjustment": Variable(
        "Population|Method adjustment", PERSONS, "Ausgleich der Methodenkombination", "population"
    ),
}
EXPECTED_ERROR = Variable(
    "Expected error|{age_group}",
    "percent (mean absolute percentage error in backtests)",
    "Erwarteter Fehler {age_group} Jahre (%)",
    "population",
)
EXPECTED_ERROR_TOTAL = Variable(
    "Expected error|Total", EXPECTED_ERROR.unit, "Erwarteter Fehler insgesamt (%)", "population"
)

# Kita (simulation.stage_kita)
KITA = [
    Variable("Kita|Children|{group}", "children", "Kinder {group}", "kita"),
    Variable("Kita|Children|U3|Age {kita_age}", "children", "Kinder im Alter {kita_age}", "kita"),
    Variable("Kita|Children|School entry", "children", "Kinder im Einschulungsjahrgang", "kita"),
    Variable("Kita|Demand|{group}", "children", "Kita-Bedarf {group}", "kita"),
    Variable("Kita|Demand|U3|Kita", "children", "Kita-Bedarf U3 in Kitas", "kita"),
    Variable("Kita|Demand|U3|Tagespflege", "children", "Bedarf U3 in Kindertagespflege", "kita"),
    Variable("Kita|Demand FTE|U3", "{fte} (Kita)", "Kita-Bedarf U3 in Ganztagsplätzen", "kita"),
    Variable("Kita|Demand FTE|Ue3", "{fte}", "Kita-Bedarf Ü3 in Ganztagsplätzen", "kita"),
    Variable("Kita|Demand quota|{group}", "share", "Bedarfsquote {group}", "kita"),
    Variable("Kita|Places|{group}", "places", "Kita-Plätze {group}", "kita"),
    Variable("Kita|Gap|{group}", "places", "Fehlende Kita-Plätze {group}", "kita"),
    Variable("Kita|Gap groups|{group}", "{groups}", "Fehlende Gruppen {group}", "kita"),
    Variable("Kita|Participation|{group}", "share", "Betreuungsquote {group}", "kita"),
    Variable(
        "Kita|Participation|U3|Age {kita_age}", "share", "Betreuungsquote Alter {kita_age}", "kita"
    ),
    Variable("Kita|Participation|U3|Kita", "share", "Betreuungsquote U3 in Kitas", "kita"),
    Variable(
        "Kita|Participation|U3|Tagespflege", "share", "Betreuungsquote U3 Tagespflege", "kita"
    ),
    Variable("Kita|Participation|Ue3|Kita", "share", "Betreuungsquote Ü3 in Kitas", "kita"),
]

# HzE (forecast.hze.forecast): per year x district x Hilfeart (and Total)
HZE_UNITS: dict[str, tuple[str, str]] = {
    "Begun": ("cases begun during the year", "Begonnene Hilfen"),
    "Ended": ("cases ended during the year", "Beendete Hilfen"),
    "Running": ("cases running at 31.12.", "Laufende Hilfen am 31.12."),
    "Cases": ("Fallzahl (running at 31.12. + ended during the year)", "HzE-Fallzahl"),
    "Case-months": ("case-months during the year", "Hilfemonate"),
    "Cost": ("EUR per year, nominal", "HzE-Kosten (Euro, nominal)"),
    "Real cost": ("EUR per year, prices of {price_year}", "HzE-Kosten (Euro, real)"),
    "Rate": ("Fallzahl per 10,000 persons under 21", "Fallzahl je 10.000 unter 21"),
}
"""HzE measure -> (unit, German label); the result is ``HzE|<measure>|<Hilfeart or Total>``."""
HZE = {k: v for k, v in zip(HZE_UNITS, _family("hze", "HzE", HZE_UNITS, "hilfeart"), strict=True)}

# ABM (simulation.abm.tables, simulation.stage_abm): monthly per Wirkungsraum
ABM_UNITS: dict[str, tuple[str, str]] = {
    "Begun": ("helps begun in the month", "Begonnene Hilfen je Monat"),
    "Running": ("helps running at the end of the month", "Laufende Hilfen am Monatsende"),
    "Waiting": ("referrals waiting at the end of the month", "Wartende Fälle am Monatsende"),
    "Cost": ("EUR per month, nominal", "Kosten je Monat (Euro, nominal)"),
}
"""ABM measure by Hilfeart (and Total) -> (unit, German label): ``ABM|<measure>|<Hilfeart>``."""
ABM = {k: v for k, v in zip(ABM_UNITS, _family("abm", "ABM", ABM_UNITS, "hilfeart"), strict=True)}
ABM_ENDED = Variable("ABM|Ended|Total", "helps ended in the month", "Beendete Hilfen", "abm")
ABM_CASE_MONTHS = Variable(
    "ABM|Case-months|Total", "months of help in the month", "Hilfemonate", "abm"
)
ABM_COST_PARTS = Variable(
    "ABM|Cost|{cost_part}", ABM_UNITS["Cost"][0], "Kosten {cost_part} je Monat (Euro)", "abm"
)
ABM_STATIONARY = Variable(
    "ABM|Stationary share",
    "share of running helps other than § 28 in §§ 33, 34",
    "Anteil stationärer Hilfen",
    "abm",
)
ABM_DIVERTED = Variable(
    "ABM|Diverted",
    "placements replaced by a Maßanzug, begun in the month",
    "Durch Maßanzug ersetzte Unterbringungen",
    "abm",
)
ABM_DIFFERENCE = Variable(
    "ABM|Cost difference|Total",
    "EUR cumulative since month 1, SRO - classic, nominal",
    "Kumulierte Kostendifferenz Sozialraum – klassisch (Euro)",
    "abm",
)
ABM_DIFFERENCE_PERCENT = Variable(
    "ABM|Cost difference|Percent",
    "percent of the classic cumulative cost",
    "Kumulierte Kostendifferenz (% der klassischen Kosten)",
    "abm",
)
SENSITIVITY_UNIT = "EUR cumulative city cost difference SRO - classic after {months} months (mean)"
ABM_SENSITIVITY_BASE = Variable(
    "ABM|Sensitivity|Base", SENSITIVITY_UNIT, "Kostendifferenz, Grundannahmen", "abm"
)
ABM_SENSITIVITY = Variable(
    "ABM|Sensitivity|{parameter}|{end}",
    SENSITIVITY_UNIT,
    "Kostendifferenz mit {parameter} ({end})",
    "abm",
)

# Ganztag (forecast.ganztag, simulation.stage_ganztag): per school year x district, school, city
GANZTAG_EUR = "EUR per school year, nominal"
GANZTAG = [
    Variable("Ganztag|Children|Grade {grade}", "children", "Kinder in Klasse {grade}", "ganztag"),
    Variable("Ganztag|Children|Total", "children", "Grundschulkinder (Klassen 1-4)", "ganztag"),
    Variable("Ganztag|Entitled", "children", "Kinder mit Rechtsanspruch", "ganztag"),
    Variable("Ganztag|Demand|Total", "children", "Ganztagsbedarf", "ganztag"),
    Variable("Ganztag|Demand|Full day", "children", "Bedarf ganztags (8 Stunden)", "ganztag"),
    Variable("Ganztag|Demand|Lunchtime", "children", "Bedarf Übermittag (bis 14 Uhr)", "ganztag"),
    Variable("Ganztag|Demand|Holiday", "children", "Bedarf Ferienbetreuung", "ganztag"),
    Variable("Ganztag|Demand quota", "share", "Inanspruchnahmequote", "ganztag"),
    Variable("Ganztag|Places|{ganztag_form}", "places", "Ganztagsplätze {ganztag_form}", "ganztag"),
    Variable("Ganztag|Places|Total", "places", "Ganztagsplätze insgesamt", "ganztag"),
    Variable("Ganztag|Gap", "places", "Fehlende Ganztagsplätze", "ganztag"),
    Variable("Ganztag|New places", "places", "Neu zu schaffende Plätze", "ganztag"),
    Variable("Ganztag|Staff", "full-time staff", "Personalbedarf (Vollzeitkräfte)", "ganztag"),
    Variable("Ganztag|Cost|Running", GANZTAG_EUR, "Laufende Kosten Ganztag (Euro)", "ganztag"),
    Variable("Ganztag|Cost|Investment", GANZTAG_EUR, "Investitionen Ganztag (Euro)", "ganztag"),
    Variable("Ganztag|Participation", "share", "Beobachtete Ganztagsquote", "ganztag"),
]
# Sozialraumanalyse (simulation.stage_social): index and classes per district, budget split per
# Wirkungsraum, Kennzahlen per district, Wirkungsraum and city (defined in forecast.social.kennzahlen)
SOCIAL = {
    "Status index": Variable(
        "Social|Status index", "standard deviations (higher = more need)", "Statusindex", "social"
    ),
    "Status class": Variable(
        "Social|Status class", "class 1..4 (1 hoch, 4 sehr niedrig)", "Statusklasse", "social"
    ),
    "Dynamics index": Variable(
        "Social|Dynamics index",
        "standard deviations (higher = need rising faster)",
        "Dynamikindex",
        "social",
    ),
    "Dynamics class": Variable(
        "Social|Dynamics class", "class 1..3 (1 positiv, 3 negativ)", "Dynamikklasse", "social"
    ),
    "Class change": Variable(
        "Social|Class change",
        "share of alternative weightings",
        "Anteil alternativer Gewichtungen mit anderer Statusklasse",
        "social",
    ),
    "Need weight": Variable(
        "Social|Need weight", "weight (mean 1 over the districts)", "Bedarfsgewicht", "social"
    ),
    "Budget share": Variable(
        "Social|Budget share", "share", "Anteil am Sozialraumbudget", "social"
    ),
    "Planbudget": Variable(
        "Social|Planbudget", "EUR per year, nominal", "Planbudget (Sozialraumbudget)", "social"
    ),
}
KENNZAHL = {
    k.key: Variable(f"Kennzahl|{k.key}", k.unit, k.label, "social") for k in KENNZAHLEN.values()
}

VARIABLES: tuple[Variable, ...] = (
    POPULATION_CELL,
    POPULATION_GROUP,
    POPULATION_TOTAL,
    *POPULATION_FLOWS.values(),
    EXPECTED_ERROR,
    EXPECTED_ERROR_TOTAL,
    *KITA,
    *HZE.values(),
    *ABM.values(),
    ABM_ENDED,
    ABM_CASE_MONTHS,
    ABM_COST_PARTS,
    ABM_STATIONARY,
    ABM_DIVERTED,
    ABM_DIFFERENCE,
    ABM_DIFFERENCE_PERCENT,
    ABM_SENSITIVITY_BASE,
    ABM_SENSITIVITY,
    *GANZTAG,
    *SOCIAL.values(),
    *KENNZAHL.values(),
)
"""The whole vocabulary."""


def by_model(model: str) -> tuple[Variable, ...]:
    """The variables the stage ``model`` writes."""
    return tuple(v for v in VARIABLES if v.model == model)


def lookup(name: str, model: str | None = None) -> Variable:
    """The vocabulary entry of the variable ``name`` (the first pattern that matches).

    Raises:
        KeyError: ``name`` is not in the vocabulary.
    """
    for v in VARIABLES:
        if (model is None or v.model == model) and v.regex.fullmatch(name):
            return v
    raise KeyError(f"variable {name!r} is not in forecast.variables")


def label(name: str) -> str:
    """German label of a variable (the name itself if it is not in the vocabulary)."""
    try:
        return lookup(name).label_for(name)
    except KeyError:
        return name


def unknown_variables(rows: list[tuple[str, str, str]]) -> list[str]:
    """Problems of ``(model, variable, unit)`` triples: not in the vocabulary or another unit."""
    out = []
    for model, name, unit in rows:
        try:
            v = lookup(name, model)
        except KeyError:
            out.append(f"{model}: {name!r} is not in the vocabulary")
            continue
        if not v.unit_regex.fullmatch(unit):
            out.append(f"{model}: {name!r} has unit {unit!r}, the vocabulary {v.unit!r}")
    return out
