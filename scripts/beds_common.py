"""Shared pieces of the validation-bed builders: raw inputs, contract tables, city.yaml.

Part of ``scripts/build_validation_beds.py`` (its docstring says what the beds are).
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from buildlib import REPO  # first: puts the repository on sys.path

from forecast.contract import CITY_YAML_KEYS, MAX_AGE, SEXES

OUT = REPO / "validation" / "data"
RAW = OUT / "raw"
N_AGE = MAX_AGE + 1
F, M = SEXES.index("f"), SEXES.index("m")

RAW_FILES = {  # path under raw/ (= path under the shared data folder) -> sha256 of its bytes
    "konstanz/bev_historisch_nach_stadtteilen.csv": "e33dde5491bdc97ac3ff9d01ae0044b3e98241da6557338a1d5fa00492f8b6af",
    "konstanz/bev_historisch_nach_stadtteilen.md": "1e7be91005938e438dc63c3fb714593072b960f2598a24ad1b14fd19954b29cd",
    "konstanz/konstanz_bevoelkerung_einzelalter_long_1983-2025.csv": "90e3ec63edbc78049f9285fb8398d296d50f92920d7372199900b21dae6cf3ba",
    "konstanz/bev_natuerliche_entwicklung.csv": "1cdc99d0635748816ebffcb51c5765ce83447f1ad94e20d99fa99c502eb99166",
    "konstanz/bev_zu_und_wegzug.csv": "1434bd442c8bff2af4ddd6c9a502d3867f80575fba4194b4555c85c9298e4560",
    "konstanz/bev_meldestatus.csv": "f978f1e7ba14de8b8e4a3cd7a3485d024dac0a593b5ed66c224a8df7d4052f96",
    "destatis/destatis_12411-0012_bev_laender_alter_1967-2022.csv": "38f924db7e0695cf419ff2acc9eefa08f17abbda8ac2515e790e6e9e13718f98",
    "destatis/destatis_12411-0013_bev_laender_alter_geschlecht_2015-2021.csv": "834dd1f07e06a1a6f850c2e8d1b9a1edbe36b997356aa9afdb9b95a47508f469",
    "destatis/destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv": "a6898a3b3d1631ab2e5b63e0976d871c4b95d2f6c0548f033e43c58ec4919f15",
    "destatis/destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv": "6b158836b87e40ae90b24eb6369bb7808d89c1e305ddf2a6b846c8ee9e0e6479",
    "destatis/destatis_12612-0007_lebendgeborene_alter_mutter_1992-2023.csv": "4d38cb31a2c4082f29b875f4343b68413de66efeb5a79f64233277e3718abb39",
    "destatis/destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv": "466d9e116cafde43e0127188c206930f092a51ac7ffed510a9e9304b624498a7",
}  # fmt: skip
WPP_SHARED = "wpp/wpp2022_DE_pop_single_age_sex_and_asfr_2000-2030_via_deficit65.csv"
WPP_RAW = "wpp/wpp2022_DE_pop_jan1_ages90plus_2000-2023.csv"  # derived: the rows ages 90..100


# --- raw inputs ---------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh_raw(shared: Path) -> None:
    """Copy the raw inputs byte for byte from ``shared``; extract the WPP rows of ages 90+."""
    for rel, digest in RAW_FILES.items():
        src, dst = shared / rel, RAW / rel
        assert sha256(src) == digest, f"{src}: not the file this script was written for"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    wpp = pd.read_csv(shared / WPP_SHARED)
    wpp = wpp[wpp["population_source"].str.startswith("wpp_popjan1st") & (wpp["AgeGrpStart"] >= 90)]
    wpp = wpp.assign(year=wpp["Time"].astype(int), age=wpp["AgeGrpStart"].astype(int))
    wpp = wpp[wpp["year"] <= 2023][["year", "age", "population_source", "Female", "Male"]]
    (RAW / WPP_RAW).parent.mkdir(parents=True, exist_ok=True)
    wpp.to_csv(RAW / WPP_RAW, index=False, lineterminator="\n")
    print(f"copied {len(RAW_FILES)} files and {WPP_RAW} into {RAW.relative_to(REPO)}")


def check_raw() -> None:
    """Stop if a raw input is missing or differs from the file the script was written for."""
    for rel, digest in RAW_FILES.items():
        assert (RAW / rel).is_file(), f"missing {RAW / rel}: run with --refresh-raw PATH"
        assert sha256(RAW / rel) == digest, f"{RAW / rel} differs from the documented file"
    assert (RAW / WPP_RAW).is_file(), f"missing {RAW / WPP_RAW}: run with --refresh-raw PATH"


def population_frame(year: int, codes: list[str], counts: np.ndarray) -> pd.DataFrame:
    """Long population rows of one year from a (district, sex, age) count array."""
    idx = pd.MultiIndex.from_product(
        [[year], codes, SEXES, range(N_AGE)], names=["year", "district", "sex", "age"]
    )
    return pd.DataFrame({"count": counts.reshape(-1).astype(np.int64)}, index=idx).reset_index()


def write_city_yaml(folder: Path, text: str) -> None:
    """Write city.yaml after checking it parses and has the required keys."""
    assert set(CITY_YAML_KEYS) <= set(yaml.safe_load(text)), "city.yaml lacks a required key"
    (folder / "city.yaml").write_text(text, encoding="utf-8", newline="\n")
