"""One scenario's draws split into part runs (``draws_part=K/N``) and joined by ``jhplan merge``:
the merged run's results are one job's to the last bit (every draw has its own seed; the merge
reduces the joined draws with the stages' own functions), and parts that do not make one run are
refused with the reason."""

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.blockjobs import DrawPart
from simulation.config import JhplanConfig
from simulation.merge import merge_command
from simulation.pipeline import draws_part
from simulation.results import read_results
from tests.cli import QUICK_MODELS, TINY, jhplan

SORT = ["model", "variant", "district", "year", "month", "variable", "statistic", "quantile"]
SPLIT = "pipeline.stages=[population,kita,ganztag,hze]"


def _sweep(run_root: Path, *overrides: str) -> dict[tuple[bool, str | None], Path]:
    """``jhplan run -m`` on the tiny city; job folders by (widening on, ``draws_part``)."""
    res = jhplan(
        "run",
        "-m",
        f"city.data_dir={TINY}",
        f"run_root={run_root}",
        "horizon=6",
        "scenario=tiny",
        "district_figures=none",
        *QUICK_MODELS,
        *overrides,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    (sweep,) = run_root.glob("*_sweep")
    jobs = {}
    for folder in sweep.iterdir():
        if (folder / "manifest.json").is_file():
            config = json.loads((folder / "manifest.json").read_text())["config"]
            widen = config["population"]["stochastic"]["widen_to_backtests"]
            jobs[(widen, config["draws_part"])] = folder
    return jobs


def _merge(*args) -> tuple[int, str]:
    """``jhplan merge ARGS`` in this process (the command itself runs in ``split_run``)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = merge_command([str(a) for a in args])
    return code, out.getvalue() + err.getvalue()


def _assert_same_results(one: Path, merged: Path) -> None:
    a, b = (read_results(p).drop(columns="run_id") for p in (one, merged))
    assert set(a["model"]) == set(b["model"])
    for model in sorted(set(a["model"])):
        x, y = (
            t[t["model"] == model]
            .sort_values([*SORT, "replicate"], na_position="first")
            .reset_index(drop=True)
            for t in (a, b)
        )
        pd.testing.assert_frame_equal(x, y, check_exact=True)


@pytest.fixture(scope="module")
def split_run(tmp_path_factory):
    """One job of 7 draws and 2 parts (3 + 4 draws, blocks of 2 draws, so that the second part
    starts inside a block of the whole run), launched as jobs of the joblib launcher; without
    and with the population's widening to backtest errors. The parts without widening are
    joined by the ``jhplan merge`` command."""
    root = tmp_path_factory.mktemp("split")
    jobs = _sweep(
        root / "runs",
        SPLIT,
        "draws=7",
        "population.stochastic.chunk=2",
        "population.stochastic.widen_to_backtests=false,true",
        "draws_part=null,0/2,1/2",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
    )
    merged = root / "merged"
    res = jhplan(
        "merge", str(jobs[(False, "0/2")]), str(jobs[(False, "1/2")]), "--name", str(merged)
    )
    assert res.returncode == 0, res.stderr
    assert f"run folder: {merged}" in res.stdout
    return {part: job for (widen, part), job in jobs.items() if not widen}, merged, jobs


def test_merged_parts_equal_one_job_exactly(split_run):
    jobs, merged, _ = split_run
    _assert_same_results(jobs[None], merged)
    one = json.loads((jobs[None] / "manifest.json").read_text())
    joined = json.loads((merged / "manifest.json").read_text())
    assert joined["summary"] == one["summary"]  # the summary lines quote quantiles
    for stage in ("population", "kita", "ganztag", "hze", "explore"):
        assert joined[stage] == one[stage]
    assert joined["config"]["draws_part"] is None and joined["draws"] == 7
    assert [p["draws"] for p in joined["merged_from"]] == [[0, 2], [3, 6]]
    # The explorer's population draws: the whole run's, in draw order.
    young = [np.load(p / "draws" / "young.npy") for p in (jobs[None], merged)]
    np.testing.assert_array_equal(*young)
    # A part keeps its draws for the merge, not quantiles of its own draws.
    assert "population_draws" not in {p.stem for p in (jobs["0/2"] / "results").rglob("*")}
    assert (jobs["0/2"] / "part_draws" / "population_draws.npy").is_file()


def test_widened_population_is_computed_whole_in_every_part(split_run, tmp_path):
    """With the widening to backtest errors (the default), a part computes every population
    draw (the widening needs the median of all draws) and the demand stages are split."""
    _, _, jobs = split_run
    manifest = json.loads((jobs[(True, "0/2")] / "manifest.json").read_text())
    assert manifest["draws_part"]["population"].startswith("whole")
    assert manifest["population"]["stochastic"]["widened_to_backtest_errors"] is not None
    code, out = _merge(jobs[(True, "1/2")], jobs[(True, "0/2")], "--name", tmp_path / "merged")
    assert code == 0, out
    _assert_same_results(jobs[(True, None)], tmp_path / "merged")


def _edited_copy(part: Path, target: Path, edit) -> Path:
    shutil.copytree(part, target)
    manifest = json.loads((target / "manifest.json").read_text())
    edit(manifest)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.mark.parametrize(
    "case, expected",
    [
        ("missing", "draws 3..6 of 7 are in none of the parts"),
        ("overlap", "overlaps"),
        ("config", "different configurations: horizon: 6 vs 7"),
        ("inputs", "differ in input_sha256: population.csv"),
        ("whole", "not a part run"),
        ("exists", "already exists"),
    ],
)
def test_merge_refuses_parts_that_do_not_make_one_run(split_run, tmp_path, case, expected):
    jobs, merged, _ = split_run
    p0, p1 = jobs["0/2"], jobs["1/2"]
    edits = {
        "config": lambda m: m["config"].update(horizon=7),
        "inputs": lambda m: m["input_sha256"].update({"population.csv": "0"}),
    }
    parts = {"missing": [p0], "overlap": [p0, p1, p0], "whole": [jobs[None], p1]}.get(case)
    if case in edits:
        parts = [p0, _edited_copy(p1, tmp_path / "p1", edits[case])]
    parts = parts or [p0, p1]
    target = merged if case == "exists" else tmp_path / "out"
    before = sorted(p.name for p in merged.rglob("*"))
    code, out = _merge(*parts, "--name", target)
    assert code == 1 and expected in out, out
    assert "nothing was written" in out
    assert case == "exists" or not target.exists()
    assert sorted(p.name for p in merged.rglob("*")) == before  # never overwritten


def test_parts_are_disjoint_and_cover_every_draw():
    for draws in (2, 7, 100, 1001):
        for parts in range(1, min(draws, 9) + 1):
            bounds = [DrawPart.parse(f"{k}/{parts}", draws) for k in range(parts)]
            assert bounds[0].first == 0 and bounds[-1].last == draws
            assert all(a.last == b.first for a, b in zip(bounds, bounds[1:], strict=False))
            assert min(b.size for b in bounds) >= 1


@pytest.mark.parametrize(
    "value, draws, stages, message",
    [
        ("2/2", 10, ["population"], "K must be 0 .. 1"),
        ("1-2", 10, ["population"], "expected K/N"),
        ("0/4", 3, ["population"], "cannot be split into 4 parts"),
        ("0/2", 0, ["population"], "needs stochastic draws"),
        ("0/2", 10, ["population", "hze", "abm", "report"], "abm (its replicates"),
    ],
)
def test_part_runs_refuse_bad_parts_and_stages_before_any_work(value, draws, stages, message):
    cfg = JhplanConfig(draws=draws, draws_part=value)
    cfg.pipeline.stages = stages
    with pytest.raises(ValueError, match="draws_part") as err:
        draws_part(cfg)
    assert message in str(err.value)
