"""The input data contract of a city folder, as data.

One place says which files a city folder may hold, which columns each has, what type and range each
column takes and which columns form the key. Validation (`forecast.validate`), the loader, the
templates in ``data/templates/`` and ``data/README.md`` all follow this table.

Conventions (see ``data/README.md``):

* ``year`` is the Stichtag 31.12. of that year for stocks (population, running cases) and the
  calendar year for flows (births, deaths, migration, moves, completions).
* ``district`` is the city's district code as a string, one of the codes in ``city.yaml``. Flow files
  (births, deaths, migration) and ``kita_children`` may also use ``_city`` for figures known only
  for the whole city.
* ``sex`` is ``f`` or ``m``. In flow files it may be empty: both sexes together.
* ``age`` is completed years 0..100, where 100 means 100 and over. In flow files it may be empty: all
  ages together. ``mother_age`` is 15..49 (births to younger/older mothers are counted at 15/49).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forecast.params import HILFEARTEN_FILE, read_yaml

CITY_DISTRICT = "_city"
"""District code of whole-city rows (inputs) and whole-city totals (outputs)."""

SEXES = ("f", "m")
MAX_AGE = 100
"""Open age group: 100 means 100 years and over."""

FERTILE_AGES = (15, 49)

HILFEARTEN: tuple[str, ...] = tuple(read_yaml(HILFEARTEN_FILE)["hilfearten"])
"""``hze_cases.hilfeart``: the codes of the Hilfeart catalogue ``forecast/hze/hilfearten.yaml``, in
its order (all attributes of a Hilfeart are there: ``forecast.hze.catalogue``)."""

ASSUMPTION_QUANTITIES = (
    "tfr",
    "mean_age_birth",
    "e0",
    "net_migration",
    "in_migration",
    "out_migration",
)
"""``assumptions.quantity``: total fertility rate (children per woman), mean age of mothers at birth
(years), life expectancy at birth (years), net migration, in-migration and out-migration across the
city boundary (persons per year)."""

KITA_AGE_GROUPS = ("u3", "ue3")
"""``kita_children.age_group``: ``u3`` = under 3, ``ue3`` = 3 to school entry (at 1 March)."""

GANZTAG_FORMS = ("ogs", "hort", "gebunden", "tagespflege")
"""``ganztag_places.form``: offene Ganztagsschule, Hort (Kindertageseinrichtung), gebundene
Ganztagsschule, Kindertagespflege for school children."""

KITA_SETTINGS = ("kita", "tagespflege")
"""``kita_children.setting``: Kindertageseinrichtung (incl. Spielgruppen counted with them) or
Kindertagespflege; an empty cell means both together."""


@dataclass(frozen=True)
class Column:
    """One column of a contract file.

    Attributes:
        name: column name in the header row.
        kind: ``int`` (whole number), ``count`` (whole number >= 0), ``float``, ``rate`` (0..1),
            ``str``, ``sex``, ``district``, ``age``, ``mother_age``, ``direction``, ``hilfeart``,
            ``quantity`` (an assumption quantity), ``year``.
        nullable: an empty cell is allowed (meaning "all" for sex/age, "unknown" otherwise).
        minimum: inclusive lower bound for numeric kinds, if any beyond the kind's own.
        maximum: inclusive upper bound for numeric kinds, if any beyond the kind's own.
    """

    name: str
    kind: str
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class FileSpec:
    """One tabular file of the contract (CSV or Parquet with the same stem).

    Attributes:
        stem: file name without extension.
        columns: the columns, in template order.
        key: columns that identify a row; no two rows may share a key.
        required: the city folder must contain this file.
        allow_city_rows: rows with district ``_city`` are allowed (whole-city flows).
        year_gaps_allowed: years need not be consecutive (planned housing, sparse surveys).
        description: one line for ``data/README.md``.
    """

    stem: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = False
    allow_city_rows: bool = False
    year_gaps_allowed: bool = False
    description: str = ""
    column_docs: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


YEAR = Column("year", "year")
DISTRICT = Column("district", "district")
SEX, AGE, COUNT = Column("sex", "sex"), Column("age", "age"), Column("count", "count")
SEX_OR_ALL = Column("sex", "sex", nullable=True)  # empty = both sexes
AGE_OR_ALL = Column("age", "age", nullable=True)  # empty = all ages

CONTRACT: dict[str, FileSpec] = {
    spec.stem: spec
    for spec in (
        FileSpec(
            "population",
            (YEAR, DISTRICT, SEX, AGE, COUNT),
            key=("year", "district", "sex", "age"),
            required=True,
            description="Population with main residence at 31.12. by district, sex, single age.",
        ),
        FileSpec(
            "births",
            (YEAR, DISTRICT, Column("mother_age", "mother_age", nullable=True), SEX_OR_ALL, COUNT),
            key=("year", "district", "mother_age", "sex"),
            allow_city_rows=True,
            description="Live births during the year by district of the mother's residence.",
        ),
        FileSpec(
            "deaths",
            (YEAR, DISTRICT, SEX_OR_ALL, AGE_OR_ALL, COUNT),
            key=("year", "district", "sex", "age"),
            allow_city_rows=True,
            description="Deaths during the year by district, sex and age at death.",
        ),
        FileSpec(
            "migration",
            (YEAR, DISTRICT, SEX_OR_ALL, AGE_OR_ALL, Column("direction", "direction"), COUNT),
            key=("year", "district", "sex", "age", "direction"),
            allow_city_rows=True,
            description="Moves across the city boundary during the year (in = arrivals).",
        ),
        FileSpec(
            "moves",
            (
                YEAR,
                Column("from_district", "district"),
                Column("to_district", "district"),
                SEX,
                AGE,
                COUNT,
            ),
            key=("year", "from_district", "to_district", "sex", "age"),
            description="Moves between districts inside the city during the year.",
        ),
        FileSpec(
            "housing",
            (YEAR, DISTRICT, Column("dwellings", "count")),
            key=("year", "district"),
            year_gaps_allowed=True,
            description="Dwellings completed (past) or planned (future) per district and year.",
        ),
        FileSpec(
            "control_totals",
            (
                YEAR,
                Column("age_from", "age", nullable=True),
                Column("age_to", "age", nullable=True),
                COUNT,
            ),
            key=("year", "age_from", "age_to"),
            year_gaps_allowed=True,
            description=(
                "External total population of the whole city (Eckwerte, e.g. an official "
                "projection) per year, optionally by age group; districts are scaled to it."
            ),
        ),
        FileSpec(
            "assumptions",
            (YEAR, DISTRICT, SEX_OR_ALL, Column("quantity", "quantity"), Column("value", "float")),
            key=("year", "district", "sex", "quantity"),
            allow_city_rows=True,
            year_gaps_allowed=True,
            description=(
                "Absolute assumption paths (e.g. an official projection's TFR, e0 by sex, net "
                "migration by year), interpolated linearly between the years given and held after "
                "the last; each quantity given replaces the variant's relative knob."
            ),
        ),
        FileSpec(
            "kita_children",
            (
                YEAR,
                DISTRICT,
                Column("age", "age", nullable=True, maximum=7),
                Column("age_group", "str", nullable=True),
                Column("setting", "str", nullable=True),
                COUNT,
            ),
            key=("year", "district", "age", "age_group", "setting"),
            allow_city_rows=True,
            description=(
                "Children in day care at 1 March by single age or age group (u3, ue3) and "
                "setting (kita, tagespflege; empty = both)."
            ),
        ),
        FileSpec(
            "kita_places",
            (YEAR, DISTRICT, Column("places_u3", "count"), Column("places_ue3", "count")),
            key=("year", "district"),
            year_gaps_allowed=True,
            description="Approved Kita places per district and Kita year (incl. planned).",
        ),
        FileSpec(
            "hze_cases",
            (
                YEAR,
                DISTRICT,
                Column("hilfeart", "hilfeart"),
                Column("begun", "count"),
                Column("ended", "count"),
                Column("running", "count"),
            ),
            key=("year", "district", "hilfeart"),
            description="Hilfen zur Erziehung: begun and ended during the year, running at 31.12.",
        ),
        FileSpec(
            "life_table",
            (
                SEX,
                AGE,
                Column("qx", "rate"),
                Column("lx", "float", minimum=0.0),
                Column("Lx", "float", minimum=0.0),
            ),
            key=("sex", "age"),
            description=(
                "Period life table for the city (radix l0 = 100000; age 100 is the open group, "
                "its Lx is T(100)). Replaces the national reference table when present."
            ),
        ),
        FileSpec(
            "fertility",
            (Column("mother_age", "mother_age"), Column("asfr", "rate")),
            key=("mother_age",),
            description=(
                "Age-specific fertility rates (births per woman per year) of a reference period. "
                "Replaces the national reference schedule when present."
            ),
        ),
        FileSpec(
            "social",
            (YEAR, DISTRICT, Column("indicator", "str"), Column("value", "float")),
            key=("year", "district", "indicator"),
            description="Social indicators per district (e.g. sgb2_rate_u15, a share in 0..1).",
        ),
        FileSpec(
            "school_districts",
            (Column("school", "str"), DISTRICT, Column("share", "rate")),
            key=("school", "district"),
            description=(
                "Grundschule catchment areas: the share of a district's primary-school children "
                "at each school (a district's shares sum to 1; without the file every district "
                "is one area, its code the school code)."
            ),
        ),
        FileSpec(
            "ganztag_places",
            (
                YEAR,
                Column("school", "str"),
                Column("form", "ganztag_form"),
                Column("places", "count"),
                Column("planned", "int", nullable=True, minimum=0, maximum=1),
            ),
            key=("year", "school", "form"),
            year_gaps_allowed=True,
            description=(
                "Ganztag places for primary-school children per school year (1 August), school "
                "and form (ogs, hort, gebunden, tagespflege) from that year on; planned = 1 for "
                "places decided but not yet open."
            ),
        ),
        FileSpec(
            "peers",
            (
                YEAR,
                Column("jugendamt", "str"),
                Column("kennzahl", "str"),
                Column("value", "float", minimum=0.0),
            ),
            key=("year", "jugendamt", "kennzahl"),
            year_gaps_allowed=True,
            description=(
                "Other Jugendämter's yearly Kennzahlen (kennzahl as in the results without "
                "'Kennzahl|', e.g. Eckwert|Stationary), for the Wirkungsmonitor's "
                "difference-in-differences."
            ),
        ),
    )
}

CITY_YAML_KEYS = ("name", "ags", "districts", "sources", "licence")
"""Required keys of ``city.yaml``; each entry of ``districts`` has ``code``, ``name``, ``sozialraum``."""

LAENDER = (
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH",
)  # fmt: skip
"""``state`` in city.yaml: the 16 Bundesländer by their two-letter codes (ISO 3166-2:DE)."""

CITY_YAML_OPTIONAL = {
    "exclude_years": "register years not to use for estimating rates (e.g. a suspect register year)",
    "state": "Bundesland code (e.g. BW, NW), for Land-specific rules",
    "wirkungsraeume": "groups of districts for Sozialraumorientierung",
    "accept_warnings": "plausibility warnings known to be right for this city (by name)",
    "csv": "separator and decimal mark of the CSV files, e.g. {sep: ';', decimal: ','} for a "
    "German Excel export; default {sep: ',', decimal: '.'}",
    "map_layout": "schematic map where no districts.geojson exists: tiles: {code: [row, column]} "
    "(row 0 at the top), labelled as schematic wherever shown",
}
