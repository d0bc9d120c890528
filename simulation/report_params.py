"""The run's parameters for German readers: name, value, unit, range and source in plain German.

The resolved configuration (manifest ``config``) holds every documented parameter with an English
unit and a source text in the notes' wording (``forecast/params.py``). The report shows each with
a German name and unit, a rounded value (shares in percent) and its source as a number of the
report's source list (``forecast.sources``); configuration keys stay in the technical appendix.
The SRO and classic-system parameters take their German names from the ``label`` of
``forecast/parameters/service_model.yaml``; all others are named here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from forecast.hze.catalogue import CATALOGUE
from forecast.params import group_parameters
from forecast.sources import source_de
from simulation.report_html import parameters

PERCENT = "Prozent"
"""German unit of a share shown in percent (the value is multiplied by 100)."""
POINTS = "Prozentpunkte je Jahr"
"""German unit of a change of a share (the value is multiplied by 100, no % sign)."""
YEAR = "Kita-Jahr"

NAMES: dict[str, tuple[str, str]] = {
    "population.fertility.tfr_change": (
        "Änderung der Geburtenziffer bis zum Zieljahr",
        "Kinder je Frau",
    ),
    "population.fertility.years_to_target": ("Jahre bis zum Zielwert der Geburtenziffer", "Jahre"),
    "population.mortality.e0_gain_per_year": (
        "Zuwachs der Lebenserwartung je Kalenderjahr",
        "Jahre je Jahr",
    ),
    "population.migration.net_change_per_1000": (
        "Änderung des Wanderungssaldos",
        "Personen je 1.000 Einwohner und Jahr",
    ),
    "population.estimation.district_fertility_prior": (
        "Gewicht des gesamtstädtischen Geburtenniveaus bei kleinen Stadtteilen",
        "Geburten",
    ),
    "population.estimation.migration_schedule": (
        "Altersmuster der Wanderungen (Modellwanderungskurve)",
        "Modellparameter",
    ),
    "population.estimation.district_migration.persistence": (
        "Fortbestand der stadtteileigenen Wanderungsabweichung je Jahr",
        PERCENT,
    ),
    "population.housing.occupants_per_dwelling": ("Bewohner je neuer Wohnung", "Personen"),
    "population.housing.from_outside_share": ("Erstbezieher von außerhalb der Stadt", PERCENT),
    "population.housing.first_occupant_profile": ("Alter der Erstbezieher", PERCENT),
    "population.housing.male_share": ("Männeranteil der Erstbezieher", PERCENT),
    "population.stochastic.variance_scale": ("Faktor auf die Zufallsschwankungen", "Faktor"),
    "population.stochastic.default_processes": (
        "Zufallsschwankungen: Beharrung (phi) und Streuung (sigma) je Größe",
        "Modellparameter",
    ),
    "population.assumptions.tfr": ("Geburtenziffer (Vorgabe je Jahr)", "Kinder je Frau"),
    "population.assumptions.e0": ("Lebenserwartung bei Geburt (Vorgabe je Jahr)", "Jahre"),
    "population.assumptions.net_migration": (
        "Wanderungssaldo Deutschlands (Vorgabe je Jahr)",
        "Personen je Jahr",
    ),
    "kita.demand_quota": ("Bedarfsquote: Eltern, die einen Platz wünschen", PERCENT),
    "kita.trend_per_year": ("Trend der Bedarfsquote", POINTS),
    "kita.saturation_target": ("Sättigungsniveau der Bedarfsquote", PERCENT),
    "kita.saturation_rate": ("Geschwindigkeit der Annäherung an die Sättigung", "je Jahr"),
    "kita.tagespflege_share_u3": ("Anteil der Kindertagespflege am U3-Bedarf", PERCENT),
    "kita.booking_hours_mix": ("Buchungszeiten der Kita-Kinder", PERCENT),
    "kita.full_time_hours": ("Stunden eines Ganztagsplatzes", "Stunden je Woche"),
    "kita.school_cutoff": ("Stichtag der Einschulung", "Tag.Monat"),
    "kita.birth_month_shares": ("Geburten je Kalendermonat (Januar bis Dezember)", PERCENT),
    "kita.group_size": ("Gruppengrößen nach Gruppenform", "Kinder je Gruppe"),
    "kita.participation_ue3_age6_weight": (
        "Gewicht der Sechsjährigen in der Ü3-Betreuungsquote",
        PERCENT,
    ),
    "kita.quota_ceiling": ("Obergrenze der Betreuungsquote", PERCENT),
    "kita.quota_regime_start": ("Erstes Kita-Jahr mit Rechtsanspruch", YEAR),
    "hze.rate_change": ("Zusätzliche Änderung der Hilfezugänge je Jahr", PERCENT),
    "hze.damping": ("Dämpfung eines geschätzten Trends je Jahr", "Faktor"),
    "hze.national_cv": ("Streuung der Hilfequoten zwischen Jugendämtern", "Variationskoeffizient"),
    "hze.costs.growth": ("Steigerung der Fallkosten je Jahr (nominal)", PERCENT),
    "hze.costs.growth_noise": ("Schwankung der Kostensteigerung von Jahr zu Jahr", PERCENT),
    "hze.costs.inflation": ("Allgemeine Preissteigerung je Jahr", PERCENT),
    "ganztag.school_cutoff": ("Stichtag der Einschulung nach Bundesland", "Tag.Monat"),
    "ganztag.early_entry": ("Vorzeitige Einschulungen (Kann-Kinder)", PERCENT),
    "ganztag.deferral": ("Zurückstellungen vom Schulbesuch", PERCENT),
    "ganztag.repeat_rate": ("Wiederholer je Klassenstufe", PERCENT),
    "ganztag.rollout": ("Stufenweiser Rechtsanspruch auf Ganztagsbetreuung", "Schuljahr, Stufen"),
    "ganztag.quota_targets": ("Inanspruchnahme in den Ganztagsszenarien", PERCENT),
    "ganztag.status_quo_fallback": ("Ganztagsquote ohne eigene Platzdaten", PERCENT),
    "ganztag.ramp_years": ("Jahre bis zur Ziel-Inanspruchnahme", "Jahre"),
    "ganztag.lunchtime_share": ("Anteil nur Übermittagsbetreuung (bis 14 Uhr)", PERCENT),
    "ganztag.holiday_share": ("Anteil mit Bedarf an Ferienbetreuung", PERCENT),
    "ganztag.east_states": ("Ostdeutsche Länder (Quote, Übermittag)", "Länder"),
    "ganztag.count_planned": ("Geplante Plätze zählen mit", "ja/nein"),
    "ganztag.new_place_form": ("Form neuer Plätze", "Angebotsform"),
    "ganztag.children_per_staff": ("Kinder je Vollzeitkraft", "Kinder"),
    "ganztag.running_cost": ("Laufende Kosten je Platz und Jahr", "Euro"),
    "ganztag.investment_cost": ("Investitionskosten je neuem Platz", "Euro"),
    "ganztag.price_year": ("Preisstand der Ganztagskosten", "Jahr"),
    "ganztag.price_growth": ("Kostensteigerung Ganztag je Jahr", PERCENT),
    "ganztag.funding": ("Finanzierungsanteile von Bund und Land", PERCENT),
    "social.index.weights": ("Gewichte der Sozialindikatoren im Statusindex", "Gewicht"),
    "social.index.signs": (
        "Richtung der Sozialindikatoren (+1: höherer Wert, mehr Bedarf)",
        "Vorzeichen",
    ),
    "social.index.status_cuts": ("Grenzen der vier Statusklassen", "Standardabweichungen"),
    "social.index.dynamics_cut": ("Grenze der Dynamikklassen", "Standardabweichungen"),
    "social.index.dynamics_years": ("Zeitraum der Dynamik", "Jahre"),
    "social.sensitivity_factor": ("Spielraum alternativer Gewichte (Faktor)", "Faktor"),
    "social.budget.beta": ("Bedarfsgewicht je Standardabweichung des Statusindex", "Logarithmus"),
    "social.budget.spread": (
        "Zusatzgewicht im bedürftigsten Stadtteil (Jugendeinwohnerwert)",
        "Faktor",
    ),
}
"""Dotted configuration key -> (German name, German unit) of every parameter not per Hilfeart."""

PER_HILFEART = {
    "hze.national_rates": ("Bundesweite Fallzahlquote", "Fälle je 10.000 unter 21-Jährige"),
    "hze.durations": ("Mittlere Dauer", "Monate"),
    "hze.costs.unit_cost": ("Kosten", "Euro je Hilfemonat"),
}
"""Key prefix of a parameter per Hilfeart -> (German name, unit); the Hilfeart is appended."""

FACTOR = "Faktor"
ABM_UNITS = {
    "classic.asd_hours_per_fte": "Stunden je Monat",
    "classic.asd_intake_hours": "Stunden",
    "classic.asd_review_hours": "Stunden je Monat",
    "classic.providers_per_area": "Träger",
    "classic.price_spread": "Standardabweichung (log)",
    "sro.ramp_years": "Jahre",
    "sro.stationary_entry": FACTOR,
    "sro.escalation": FACTOR,
    "sro.ambulant_duration": FACTOR,
    "sro.ambulant_contacts": FACTOR,
    "sro.prevention_yield": FACTOR,
    "sro.prevention_lag": "Monate",
    "sro.diverted_cost_factor": FACTOR,
    "sro.pressure_cut": FACTOR,
    "sro.pressure_diversion": FACTOR,
    "sro.scope": "Hilfearten",
}
"""German unit of an ABM parameter other than a share in percent; multipliers at full effect
(new placements 0.85 = 15 % fewer) are shown as factors."""

WORDS = {
    "u3": "U3",
    "ue3": "Ü3",
    "under1": "unter 1 Jahr",
    "age1": "1 Jahr",
    "age2": "2 Jahre",
    "f": "Frauen",
    "m": "Männer",
    "h25": "25 Std.",
    "h35": "35 Std.",
    "h45": "45 Std.",
    "I_u3": "I (davon unter 3)",
    "III_45h": "III (45 Std.)",
    "fertility": "Geburten",
    "fertility_district": "Geburten (Stadtteil)",
    "mortality": "Sterblichkeit",
    "immigration": "Zuzüge",
    "immigration_district": "Zuzüge (Stadtteil)",
    "emigration": "Fortzüge",
    "emigration_district": "Fortzüge (Stadtteil)",
    "internal": "Umzüge",
    "internal_district": "Umzüge (Stadtteil)",
    "ogs": "offene Ganztagsschule",
    "hort": "Hort",
    "gebunden": "gebundene Ganztagsschule",
    "tagespflege": "Kindertagespflege",
    "west": "West",
    "east": "Ost",
    "q64": "64-%-Szenario",
    "q73": "73-%-Szenario",
    "q80": "80-%-Szenario",
    "first_school_year": "erstes Schuljahr",
    "grades": "Klassenstufen",
    "investment_federal": "Investitionen Bund",
    "investment_land": "Investitionen Land",
    "running_federal": "Betrieb Bund",
    "running_land": "Betrieb Land",
}
"""Keys inside a parameter's value (age groups, sexes, processes) in German."""


@dataclass(frozen=True)
class ParameterRow:
    """One parameter as the report shows it."""

    key: str
    name: str
    value: str
    unit: str
    range: str
    source: str


def hilfeart_label(code: str) -> str:
    """``p34`` -> "§ 34 Heimerziehung, sonstige betreute Wohnform" (the catalogue's label)."""
    return CATALOGUE[code].label if code in CATALOGUE else code


def paragraph(code: str) -> str:
    """Hilfeart code -> "§ 27.2"; other keys unchanged."""
    if re.fullmatch(r"p\d+[a-z]?(_\d+)?", str(code)):
        return "§ " + str(code)[1:].replace("_", ".")
    return WORDS.get(str(code), str(code))


def number(value: float, percent: bool = False, unit: str = "") -> str:
    """A rounded number in German notation (three significant digits, at most four decimals);
    shares in percent, changes of shares in points, years without a thousands separator."""
    x = float(value) * (100 if percent or unit == POINTS else 1)
    if not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    if unit == YEAR:
        return str(int(x))
    decimals = max(0, min(4, 2 - int(math.floor(math.log10(abs(x))))))
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text + (" %" if percent else "")


def show(value: object, unit: str = "") -> str:
    """A parameter value (number, mapping or list) as German text, in its German unit."""
    percent = unit == PERCENT
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, int | float):
        return number(value, percent, unit)
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            inner = show(v, unit)
            if isinstance(v, dict) and all(not isinstance(x, dict) for x in v.values()):
                if all(re.fullmatch(r"p\d+[a-z]?(_\d+)?", str(t)) for t in v):
                    parts += [
                        f"{paragraph(k)} → {paragraph(t)}: {show(x, unit)}" for t, x in v.items()
                    ]
                    continue
                inner = f"({inner})"
            parts.append(f"{paragraph(k)}: {inner}")
        return "; ".join(parts)
    if isinstance(value, list | tuple):
        return "; ".join(show(v, unit) if not isinstance(v, str) else paragraph(v) for v in value)
    return paragraph(str(value))


def _abm_labels() -> dict[str, str]:
    return {k: p["label"] for k, p in group_parameters("service_model").items() if "label" in p}


def german_name(key: str) -> tuple[str, str]:
    """(German name, German unit) of a parameter by configuration key.

    Raises:
        KeyError: the parameter has no German name (a test checks that every one has).
    """
    if key in NAMES:
        return NAMES[key]
    prefix, _, last = key.rpartition(".")
    if prefix in PER_HILFEART:
        name, unit = PER_HILFEART[prefix]
        if prefix == "hze.costs.unit_cost" and last == "p28":
            unit = "Euro je begonnener Hilfe"
        return f"{name} {hilfeart_label(last)}", unit
    if key.startswith("abm."):
        local = key.removeprefix("abm.")
        labels = _abm_labels()
        if local in labels:
            return labels[local], ABM_UNITS.get(local, PERCENT)
    raise KeyError(f"no German name for parameter {key!r}")


def parameter_row(key: str, param: dict) -> ParameterRow:
    """One parameter in German; an unnamed one is shown as "weiterer Modellparameter"."""
    try:
        name, unit = german_name(key)
    except KeyError:
        name, unit = "Weiterer Modellparameter", "–"
    value = param.get("value")
    if key == "kita.school_cutoff":
        text = "nach Bundesland" if value is None else f"{value[1]}.{value[0]}."
    elif key == "ganztag.school_cutoff":
        text = "; ".join(f"{state} {d}.{m}." for state, (m, d) in dict(value).items())
    elif key == "ganztag.rollout":
        first = int(value["first_school_year"])
        text = f"ab {first}/{(first + 1) % 100:02d}, bis {int(value['grades'])} Klassenstufen"
    elif key == "ganztag.price_year":
        text = str(int(value))
    elif value is None:
        text = "entfällt"
    else:
        text = show(value, unit)
    return ParameterRow(
        key,
        name,
        text,
        unit,
        span(param.get("range"), unit),
        source_de(str(param.get("source", ""))),
    )


def span(low_high: object, unit: str) -> str:
    """A parameter's plausible range, "0,6 bis 1" (per key for mappings); "–" without one."""
    if not (isinstance(low_high, list | tuple) and len(low_high) == 2):
        return "–"
    low, high = low_high
    if isinstance(low, dict) and isinstance(high, dict):
        return "; ".join(f"{paragraph(k)}: {span([low[k], high.get(k)], unit)}" for k in low)
    return f"{show(low, unit)} bis {show(high, unit)}"


def parameter_rows(config: dict, group: str) -> list[ParameterRow]:
    """The German rows of every parameter of one configuration group (population, kita, ...)."""
    return [parameter_row(k, p) for k, p in parameters(config.get(group) or {}, group)]
