"""Readers and estimates for the Länder bed: GENESIS exports, sex split, ages 90+, births, deaths.

Part of ``scripts/build_validation_beds.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from beds_common import N_AGE, RAW, F, M
from build_konstanz import integerise, ipf, scale_to_total

from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES

# --- Germany and the Länder ---------------------------------------------------------------------

D_SRC = RAW / "destatis"
L_YEARS = list(range(1990, 2023))  # the new Länder and all of Berlin are in 12411-0012 from 1990
L_EXCLUDE = {
    2011: "first year on the basis of the Zensus 2011: Germany -1.42 M (-1.7 %) on 2010, Berlin "
    "-135 k (-3.9 %), Hamburg -68 k; the 2010->2011 change is a statistical break",
}
LAENDER = (  # code, name as in the GENESIS header, sozialraum (group)
    ("bw", "Baden-Württemberg", "west"),
    ("by", "Bayern", "west"),
    ("be", "Berlin", "berlin"),
    ("bb", "Brandenburg", "ost"),
    ("hb", "Bremen", "west"),
    ("hh", "Hamburg", "west"),
    ("he", "Hessen", "west"),
    ("mv", "Mecklenburg-Vorpommern", "ost"),
    ("ni", "Niedersachsen", "west"),
    ("nw", "Nordrhein-Westfalen", "west"),
    ("rp", "Rheinland-Pfalz", "west"),
    ("sl", "Saarland", "west"),
    ("sn", "Sachsen", "ost"),
    ("st", "Sachsen-Anhalt", "ost"),
    ("sh", "Schleswig-Holstein", "west"),
    ("th", "Thüringen", "ost"),
)
N_L = len(LAENDER)
OPEN_L = 90  # 12411-0012 and -0013 end at "90 Jahre und mehr"
OPEN_DE = 85  # 12411-0006 ends at "85 Jahre und mehr"


def genesis_lines(file: Path, encoding: str, first: str) -> list[list[str]]:
    """Data lines of a GENESIS CSV export (those whose first cell matches ``first``), split."""
    text = file.read_text(encoding=encoding, errors="replace")
    return [line.split(";") for line in text.splitlines() if re.match(first, line)]


def genesis_age(label: str) -> int | None:
    """Age from a GENESIS label: 'unter 1 Jahr' 0, '7-Jährige' 7, '90 Jahre und mehr' 90;
    None for 'Insgesamt'. Parsed from the leading number (one file has lost its umlauts)."""
    if label.startswith("unter 1"):
        return 0
    if label.startswith("Insgesamt"):
        return None
    return int(re.match(r"(\d+)", label).group(1))


def genesis_int(cell: str) -> int:
    """A GENESIS count; '-' is exactly zero."""
    return 0 if cell.strip() == "-" else int(cell)


def read_laender_ages() -> dict[int, np.ndarray]:
    """12411-0012: year -> (Land, age 0..90) both sexes, 90 = 90+; checked against Insgesamt."""
    file = D_SRC / "destatis_12411-0012_bev_laender_alter_1967-2022.csv"
    header = next(line for line in genesis_lines(file, "latin1", r"^;;") if "Bayern" in line)
    assert header[2:] == [name for _, name, _ in LAENDER], "Länder columns"
    out: dict[int, np.ndarray] = {}
    totals: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "latin1", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        if year not in L_YEARS:
            continue
        values = np.array([genesis_int(c) for c in cells[2:18]], dtype=np.int64)
        if age is None:
            totals[year] = values
        else:
            out.setdefault(year, np.zeros((N_L, OPEN_L + 1), np.int64))[:, age] = values
    for y in L_YEARS:
        assert (out[y].sum(axis=1) == totals[y]).all(), f"12411-0012 {y}: ages do not sum"
        assert (out[y] > 0).all(), f"12411-0012 {y}: an empty Land x age cell"
    return out


def read_laender_sex() -> dict[int, np.ndarray]:
    """12411-0013: year -> (Land, sex f/m, age 0..90)."""
    file = D_SRC / "destatis_12411-0013_bev_laender_alter_geschlecht_2015-2021.csv"
    out: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "utf-8", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        if age is None:
            continue
        v = np.array([genesis_int(c) for c in cells[2 : 2 + 3 * N_L]]).reshape(N_L, 3)
        assert (v[:, 0] + v[:, 1] == v[:, 2]).all(), f"12411-0013 {year} {age}: m + w != total"
        arr = out.setdefault(year, np.zeros((N_L, 2, OPEN_L + 1), np.int64))
        arr[:, M, age], arr[:, F, age] = v[:, 0], v[:, 1]
    return out


def read_germany_sex() -> dict[int, np.ndarray]:
    """12411-0006: year -> (sex f/m, age 0..85), 85 = 85+ (before 1990 West Germany only)."""
    file = D_SRC / "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv"
    out: dict[int, np.ndarray] = {}
    totals: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "utf-8", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        m, f = int(cells[2]), int(cells[3])
        if age is None:
            totals[year] = np.array([f, m])
        else:
            out.setdefault(year, np.zeros((2, OPEN_DE + 1), np.int64))[:, age] = (f, m)
    for y in out:
        assert (out[y].sum(axis=1) == totals[y]).all(), f"12411-0006 {y}: ages do not sum"
    return out


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p))."""
    return np.log(p / (1.0 - p))


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse of logit."""
    return 1.0 / (1.0 + np.exp(-x))


def split_national(total: np.ndarray, de: np.ndarray, grad85: np.ndarray) -> np.ndarray:
    """Land x age (0..90) -> Land x sex x age with the national male share by age.

    Ages 0..84: the national share of the same age; the national f/m counts (12411-0006, scaled
    to the Länder sum of that age, which differs by at most 3 persons) are kept exact by
    controlled rounding. Ages 85..90+: the national 85+ share shifted on the logit scale by the
    2015 age gradient inside 85+ (``grad85``, from 12411-0013), fitted by IPF so that the
    Länder's 85+ f/m counts equal the national ones.
    """
    out = np.zeros((N_L, 2, OPEN_L + 1), np.int64)
    for a in range(OPEN_DE):
        rows = total[:, a]
        cols = scale_to_total(de[:, a].astype(float), int(rows.sum()))
        x = rows[:, None] * (cols / cols.sum())[None, :]
        out[:, :, a], _ = integerise(x, rows, cols)
    rows = total[:, OPEN_DE:].reshape(-1)  # Land-major, ages 85..90
    cols = scale_to_total(de[:, OPEN_DE].astype(float), int(rows.sum()))
    p = np.tile(expit(logit(de[M, OPEN_DE] / de[:, OPEN_DE].sum()) + grad85), N_L)
    x, _, _ = ipf(np.stack([rows * (1 - p), rows * p], axis=1), rows, cols)
    counts, _ = integerise(x, rows, cols)
    out[:, :, OPEN_DE:] = counts.reshape(N_L, OPEN_L + 1 - OPEN_DE, 2).transpose(0, 2, 1)
    return out


def spread_open(counts: np.ndarray, year: int, wpp: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Land x sex x (0..90+) -> Land x sex x (0..100+): spread 90+ over 90..100 by sex.

    Shares of ages 90..100+ within 90+ from WPP2022 for Germany at 1 January of ``year`` + 1
    (= 31.12. of ``year``); before 1999 the earliest, 1 January 2000. Largest-remainder rounding
    per Land and sex keeps each Land's 90+ count exact. Returns the array and the WPP year used.
    """
    use = max(year + 1, int(wpp["year"].min()))
    sel = wpp[wpp["year"] == use].set_index("age").reindex(range(OPEN_L, N_AGE))
    shares = {F: sel["Female"].to_numpy(float), M: sel["Male"].to_numpy(float)}
    out = np.zeros((N_L, 2, N_AGE), np.int64)
    out[:, :, :OPEN_L] = counts[:, :, :OPEN_L]
    for i in range(N_L):
        for s in (F, M):
            out[i, s, OPEN_L:] = scale_to_total(shares[s], int(counts[i, s, OPEN_L]))
    return out, use


def germany_births() -> pd.DataFrame:
    """Live births of Germany as ``_city`` rows: by sex 1990-1991 (12612-0002), by age of mother
    x sex 1992-2022 (12612-0007), unknown ages spread in proportion."""
    monthly = genesis_lines(
        D_SRC / "destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv", "utf-8", r"^\d{4};"
    )
    by_sex: dict[int, np.ndarray] = {}
    for cells in monthly:
        if cells[2] in ("...", "."):
            continue
        y = int(cells[0])
        by_sex.setdefault(y, np.zeros(2, np.int64))
        by_sex[y] += (int(cells[3]), int(cells[2]))  # f, m
    months = pd.Series([int(c[0]) for c in monthly if c[2] not in ("...", ".")]).value_counts()
    complete = {int(y) for y, n in months.items() if n == 12}
    ages = range(15, 50)
    detail: dict[int, np.ndarray] = {}
    unknown: dict[int, np.ndarray] = {}
    for cells in genesis_lines(
        D_SRC / "destatis_12612-0007_lebendgeborene_alter_mutter_1992-2023.csv",
        "latin1",
        r"^\d{4};",
    ):
        y = int(cells[0])
        v = [0 if c.strip() in ("-", ".") else int(c) for c in cells[2:6]]
        m, f = v[0] + v[1], v[2] + v[3]  # married + not married
        if cells[1].startswith("Alter unbekannt"):
            unknown[y] = np.array([f, m])
            continue
        a = 15 if cells[1].startswith("unter 15") else min(genesis_age(cells[1]), 49)
        detail.setdefault(y, np.zeros((2, len(ages)), np.int64))[:, a - 15] += (f, m)
    rows = []
    for y in L_YEARS:
        if y < 1992:
            for s in (F, M):
                rows.append((y, None, SEXES[s], int(by_sex[y][s])))
            continue
        known = detail[y]
        total = by_sex[y] if y in complete else known.sum(axis=1) + unknown.get(y, 0)
        for s in (F, M):
            counts = scale_to_total(known[s].astype(float), int(total[s]))
            rows += [(y, a, SEXES[s], int(c)) for a, c in zip(ages, counts, strict=True)]
    df = pd.DataFrame(rows, columns=["year", "mother_age", "sex", "count"])
    return df.assign(district=CITY_DISTRICT, mother_age=df["mother_age"].astype("Int64"))


def germany_deaths() -> pd.DataFrame:
    """Deaths of Germany as ``_city`` rows by sex x age 0..100+ (12613-0003), 1990-2021; deaths
    of unknown age spread in proportion within the sex."""
    file = D_SRC / "destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv"
    header = next(c for c in genesis_lines(file, "utf-8", r"^;;\d{4}"))
    years = [int(c) for c in header[2:] if c.strip()]
    known = {s: np.zeros((len(years), N_AGE), np.int64) for s in (F, M)}
    total = {s: np.zeros(len(years), np.int64) for s in (F, M)}
    for cells in genesis_lines(file, "utf-8", r"^(m|w)\S*;"):
        s = M if cells[0].startswith("m") else F
        values = np.array([genesis_int(c) for c in cells[2 : 2 + len(years)]])
        if cells[1].startswith("Insgesamt"):
            total[s] = values
        elif not cells[1].startswith("Alter unbekannt"):
            known[s][:, min(genesis_age(cells[1]), MAX_AGE)] += values
    rows = []
    for j, y in enumerate(years):
        if y not in L_YEARS:
            continue
        for s in (F, M):
            counts = scale_to_total(known[s][j].astype(float), int(total[s][j]))
            rows += [(y, SEXES[s], a, int(c)) for a, c in enumerate(counts)]
    df = pd.DataFrame(rows, columns=["year", "sex", "age", "count"])
    return df.assign(district=CITY_DISTRICT)


def sex_split_check(total: dict, sex13: dict, de: dict, grad85: np.ndarray) -> list[str]:
    """How far the national-ratio split is from the published Land x sex counts, 2015-2021."""
    groups = [(0, 17), (18, 29), (30, 49), (50, 64), (65, 90)]
    lines = ["| year | " + " | ".join(f"{a}-{b}" if b < 90 else f"{a}+" for a, b in groups)
             + " | worst Land x group |", "|---:|" + "---:|" * (len(groups) + 1)]  # fmt: skip
    for y in sorted(sex13):
        est = split_national(total[y], de[y], grad85)
        errs, worst = [], (0.0, "")
        for a, b in groups:
            e = est[:, M, a : b + 1].sum(1) - sex13[y][:, M, a : b + 1].sum(1)
            rel = 100 * e / sex13[y][:, M, a : b + 1].sum(1)
            errs.append(np.abs(rel).mean())
            i = int(np.argmax(np.abs(rel)))
            if abs(rel[i]) > abs(worst[0]):
                worst = (rel[i], f"{LAENDER[i][0]} {a}-{b}")
        lines.append(f"| {y} | " + " | ".join(f"{e:.2f}" for e in errs)
                     + f" | {worst[1]} {worst[0]:+.1f} % |")  # fmt: skip
    return lines
