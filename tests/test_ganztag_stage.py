"""The Ganztag stage end to end on Tinycity: rollout, cut-off, catchments, gap, draws."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from forecast.citydata import load_city
from forecast.drawstore import quantiles_first_axis
from forecast.ganztag.cohorts import Careers, cutoff_rules, school_cohorts
from forecast.ganztag.entitlement import Rollout
from forecast.kita.cohorts import share_born_by
from forecast.population.paths import PopulationPaths
from simulation.config import register_configs
from simulation.pipeline import StageContext, run_scenario
from simulation.results import read_results
from simulation.rundir import open_run_folder
from simulation.stage_ganztag import ganztag_stage

ROOT = Path(__file__).resolve().parents[1]
register_configs()
NO_CAREERS = (
    "ganztag.early_entry.value=0",
    "ganztag.deferral.value=0",
    "ganztag.repeat_rate.value=0",
)


def config(*overrides: str):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return OmegaConf.to_object(compose(config_name="config", overrides=list(overrides)))


def wide(r, variable):
    rows = r[r["variable"] == variable]
    return rows.pivot_table(index="year", columns="district", values="value")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tinycity_dir):
    """A deterministic run of population + ganztag on Tinycity to school year 2030/31."""
    cfg = config(
        f"city.data_dir={tinycity_dir}",
        "horizon=8",
        "pipeline.stages=[population,ganztag]",
        "population.figures=false",
    )
    run_dir = tmp_path_factory.mktemp("runs") / "run"
    with open_run_folder(run_dir) as folder:
        run_scenario(cfg, folder, [])
    results = read_results(run_dir)
    return run_dir, results[results["model"] == "ganztag"]


def test_rollout_grade_by_grade(tiny) -> None:
    run_dir, r = tiny
    assert set(r["district"]) == {"a", "b", "c", "school:gs_nord", "school:gs_sued", "_city"}
    entitled = wide(r, "Ganztag|Entitled")
    grades = [wide(r, f"Ganztag|Children|Grade {g}") for g in range(1, 5)]
    assert (entitled.loc[2022:2025] == 0).all().all()  # before 1 August 2026 nobody
    for year, n in ((2026, 1), (2027, 2), (2028, 3), (2029, 4), (2030, 4)):
        np.testing.assert_allclose(entitled.loc[year], sum(g.loc[year] for g in grades[:n]))
    np.testing.assert_allclose(sum(grades), wide(r, "Ganztag|Children|Total"))
    manifest = json.loads((run_dir / "manifest.json").read_text())["ganztag"]
    assert (manifest["school_entry"]["month"], manifest["school_entry"]["day"]) == (9, 30)  # NW
    # Take-up: the observed 2022 participation, then 64 % once all grades are entitled.
    quota = wide(r, "Ganztag|Demand quota")["_city"]
    assert quota.loc[2022] == pytest.approx(manifest["status_quo"], abs=1e-4)
    assert quota.loc[2029] == pytest.approx(0.64)


def test_gap_per_school_district_and_city(tiny) -> None:
    _, r = tiny
    demand, places, gap = (wide(r, f"Ganztag|{v}") for v in ("Demand|Total", "Places|Total", "Gap"))
    np.testing.assert_allclose(gap, demand - places, atol=1e-9)
    schools, districts = ["school:gs_nord", "school:gs_sued"], ["a", "b", "c"]
    for v in ("Demand|Total", "Places|Total", "Gap", "Cost|Running", "Staff", "Entitled"):
        w = wide(r, f"Ganztag|{v}")
        np.testing.assert_allclose(w[schools].sum(axis=1), w["_city"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(w[districts].sum(axis=1), w["_city"], rtol=1e-9, atol=1e-9)
    # gs_nord: 60 OGS + 20 Hort open; the planned 80 OGS count from 2027/28.
    assert places.loc[2026, "school:gs_nord"] == 80 and places.loc[2027, "school:gs_nord"] == 100
    assert wide(r, "Ganztag|Places|tagespflege").loc[2030, "school:gs_sued"] == 8
    # The entitlement opens a gap that the status quo of 2022 did not have at city level.
    assert gap.loc[2022, "_city"] == pytest.approx(0, abs=1e-9) and gap.loc[2029, "_city"] > 20
    invest = wide(r, "Ganztag|Cost|Investment")["_city"]
    assert invest.loc[2022] == 0 and invest.sum() > 0


def synthetic(tinycity_dir: Path, n: int, seed: int = 7) -> PopulationPaths:
    years = np.arange(2022, 2032)
    pop = np.random.default_rng(seed).poisson(20.0, size=(n, years.size, 3, 2, 27))
    return PopulationPaths(years, ("a", "b", "c"), pop.astype(float), stochastic=n > 1)


def run_stage(city_dir: Path, out: Path, paths: PopulationPaths, *overrides: str):
    cfg = config(f"city.data_dir={city_dir}", *overrides)
    with open_run_folder(out) as folder:
        folder.manifest["fallbacks"] = []
        ctx = StageContext(cfg=cfg, city=load_city(city_dir), folder=folder)
        ctx.population = paths
        ganztag_stage(ctx)
    r = read_results(out)
    return r[r["model"] == "ganztag"], json.loads((out / "manifest.json").read_text())


def test_land_cutoff_moves_the_summer_born(tinycity_copy, tmp_path) -> None:
    # The same children in a city of Baden-Württemberg (30 June) and of NRW (30 September):
    # grade 1 differs by the July-September births of two cohorts, (c_NW - c_BW)(P(7) - P(6)).
    paths = synthetic(tinycity_copy, 1)
    nw, _ = run_stage(tinycity_copy, tmp_path / "nw", paths, *NO_CAREERS)
    text = (tinycity_copy / "city.yaml").read_text().replace("state: NW", "state: BW")
    (tinycity_copy / "city.yaml").write_text(text)
    bw, manifest = run_stage(tinycity_copy, tmp_path / "bw", paths, *NO_CAREERS)
    assert (
        manifest["ganztag"]["school_entry"]["month"],
        manifest["ganztag"]["school_entry"]["day"],
    ) == (6, 30)
    shares = np.asarray(config().kita.birth_month_shares.value, dtype=float)
    shares /= shares.sum()
    rules = cutoff_rules()
    dc = share_born_by(rules["NW"], shares) - share_born_by(rules["BW"], shares)
    p = paths.population[0].sum(axis=2)  # (Y, D, A)
    expected = dc * (p[..., 7] - p[..., 6])
    diff = wide(bw, "Ganztag|Children|Grade 1") - wide(nw, "Ganztag|Children|Grade 1")
    np.testing.assert_allclose(diff[["a", "b", "c"]].to_numpy(), expected, atol=1e-9)


def test_draw_d_feeds_draw_d_and_blocks_do_not_matter(tinycity_dir, tmp_path) -> None:
    paths = synthetic(tinycity_dir, 12)
    one, _ = run_stage(tinycity_dir, tmp_path / "one", paths, "population.stochastic.chunk=12")
    many, _ = run_stage(tinycity_dir, tmp_path / "many", paths, "population.stochastic.chunk=5")
    key = ["district", "year", "variable", "quantile"]
    a, b = (x.sort_values(key)["value"].to_numpy() for x in (one, many))
    np.testing.assert_array_equal(a, b)
    rows = one[(one["variable"] == "Ganztag|Entitled") & (one["district"] == "_city")]
    q = rows.pivot_table(index="year", columns="quantile", values="value")
    assert (q[0.1] <= q[0.5]).all() and (q[0.5] <= q[0.9]).all() and (q[0.1] < q[0.9]).any()
    # Each draw's entitled children from its own population, then the quantiles over draws.
    cfg = config()
    shares = np.asarray(cfg.kita.birth_month_shares.value, dtype=float)
    careers = Careers(
        cfg.ganztag.early_entry.value, cfg.ganztag.deferral.value, cfg.ganztag.repeat_rate.value
    )
    cohorts = school_cohorts(
        paths.population,
        paths.years,
        paths.districts,
        shares / shares.sum(),
        cutoff_rules()["NW"],
        careers,
    )
    per_draw = Rollout.default().entitled(cohorts.by_grade, paths.years).sum(axis=-1)  # (N, Y)
    np.testing.assert_allclose(
        q.to_numpy(), quantiles_first_axis(per_draw, (0.1, 0.5, 0.9)).T, rtol=1e-12
    )


def test_report_chapter_and_finance_sheet_show_the_results(tiny, tmp_path) -> None:
    import shutil

    import openpyxl

    from simulation.report import report_run

    run_dir, r = tiny
    copy = Path(shutil.copytree(run_dir, tmp_path / "copy"))
    report_run(copy)
    html = (copy / "report.html").read_text()
    chapter = html[html.index('<section id="ganztag">') :]
    chapter = chapter[: chapter.index("</section>")]
    for name in ("ganztag_ausbau", "ganztag_schulen", "ganztag_kosten"):
        assert f'data-name="{name}"' in chapter
    assert "gs nord" in chapter and "Von der Kita in die Schule" in chapter
    ws = openpyxl.load_workbook(copy / "finance.xlsx")["Ganztag"]
    header = [c.value for c in ws[3]]
    rows = {row[0]: row for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    running = wide(r, "Ganztag|Cost|Running").loc[2029, "_city"]
    assert rows["2029/30"][header.index("Betrieb P50")] == pytest.approx(running)
    # The city's share: what neither the federal (13 %) nor the Land (35 %) share pays.
    assert rows["2029/30"][header.index("Betrieb Kommune (Median)")] == pytest.approx(
        running * (1 - 0.13 - 0.35)
    )


def test_bad_settings_name_their_key() -> None:
    from simulation.config_ganztag import ganztag_settings

    assert ganztag_settings(config("ganztag=q80").ganztag, "BW").target == 0.8
    assert ganztag_settings(config().ganztag, "SN").lunchtime_share == 0.02  # East
    for override, key in (
        ("ganztag.takeup=q99", "ganztag.takeup"),
        ("ganztag.deferral.value=1.5", "ganztag.deferral"),
        ("ganztag.funding.value.running_land=0.9", "running shares exceed 1"),
    ):
        with pytest.raises(ValueError, match=key):
            ganztag_settings(config(override).ganztag, "BW")
