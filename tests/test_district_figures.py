"""Per-district figures drawn from a finished run equal what the stages draw; the CLI's --district.

The stages' plotting functions are replaced by a recorder (writing a 1x1 PNG instead of a chart),
so the tests compare the exact arrays, titles and years each figure is drawn from, fast.
"""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from matplotlib.image import imread
from omegaconf import OmegaConf

from simulation import figures, figures_kita, stage_kita
from simulation.cli import main
from simulation.config import register_configs
from simulation.district_figures import (
    AUTO_LIMIT,
    RUN_ID_KEY,
    draw_district_figures,
    figure_districts,
)
from simulation.pipeline import run_scenario
from simulation.rundir import open_run_folder
from tests.cli import QUICK_MODELS, jhplan

ROOT = Path(__file__).resolve().parents[1]
register_configs()


def png() -> bytes:
    """A valid 1x1 grey PNG (PNG spec: signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


class Recorder:
    """Stands in for the plotting functions: records (kind, file name) -> arguments."""

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str], tuple] = {}

    def patch(self, mp: pytest.MonkeyPatch) -> None:
        for kind, module, name in (
            ("pyramid", figures, "pyramid"),
            ("total", figures, "total_chart"),
            ("kita", figures_kita, "demand_vs_places"),
            ("kita", stage_kita, "demand_vs_places"),  # the stage imported it by name
        ):
            mp.setattr(module, name, self._record(kind))

    def _record(self, kind: str):
        def draw(path, *args):
            self.calls[kind, Path(path).name] = args
            Path(path).write_bytes(png())

        return draw


def run_tiny(run_dir: Path, *overrides: str) -> Recorder:
    """population + kita on Tinycity in this process, the stages' figures recorded."""
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = OmegaConf.to_object(
            compose(
                config_name="config",
                overrides=[
                    f"city.data_dir={ROOT / 'tests' / 'data' / 'tinycity'}",
                    "horizon=6",
                    "pipeline.stages=[population,kita]",
                    "n_jobs=1",  # the figures in this process, where the recorder stands in
                    *QUICK_MODELS,
                    *overrides,
                ],
            )
        )
    recorder = Recorder()
    with pytest.MonkeyPatch.context() as mp:
        recorder.patch(mp)
        with open_run_folder(run_dir) as folder:
            run_scenario(cfg, folder, [])
    return recorder


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """kind -> a finished run (deterministic, or with 8 population draws) and what its stages
    drew; each made once."""
    made = {}

    def get(kind: str) -> tuple[Path, Recorder]:
        if kind not in made:
            run_dir = tmp_path_factory.mktemp(kind) / "run"
            made[kind] = run_dir, run_tiny(run_dir, *(["draws=8"] if kind == "draws" else []))
        return made[kind]

    return get


@pytest.fixture(params=["deterministic", "draws"])
def tiny_run(request, runs) -> tuple[Path, Recorder]:
    return runs(request.param)


def redraw(run_dir: Path, codes: list[str], out_dir: Path, monkeypatch) -> Recorder:
    recorder = Recorder()
    recorder.patch(monkeypatch)
    written = draw_district_figures(run_dir, codes, out_dir)
    assert sorted(p.name for p in written) == sorted(
        f"{k}_{c}.png" for k in ("pyramid", "total", "kita") for c in codes
    )
    return recorder


def assert_same(a, b, where: str) -> None:
    """Equal nested arguments: arrays element by element (NaN = NaN), the rest by ==."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        # The results hold the stage's float64 numbers: equal, not merely close.
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)
    else:
        assert a == b, where


def test_figures_from_the_results_equal_the_stages_figures(tiny_run, tmp_path, monkeypatch):
    run_dir, stage = tiny_run
    again = redraw(run_dir, ["b", "_city"], tmp_path, monkeypatch)
    assert set(again.calls) <= set(stage.calls)
    for key, args in again.calls.items():
        assert_same(stage.calls[key], args, str(key))
    drawn = json.loads((run_dir / "manifest.json").read_text())["draws"] > 0
    bands = stage.calls["total", "total_b.png"][3]
    assert (bands is not None) == drawn  # the comparison covers the bands of a run with draws
    kita = stage.calls["kita", "kita_b.png"][2]["u3"]
    assert (kita[0] < kita[2]).any() == drawn and np.isfinite(kita).all()


def test_without_the_city_folder_the_total_chart_has_no_history_and_says_so(
    tiny_run, tmp_path, monkeypatch
):
    run_dir, stage = tiny_run
    copy = Path(shutil.copytree(run_dir, tmp_path / "run"))
    manifest = json.loads((copy / "manifest.json").read_text())
    for change, note in (
        ({"city": {**manifest["city"], "data_dir": str(tmp_path / "gone")}}, "nicht gefunden"),
        ({"input_sha256": {**manifest["input_sha256"], "population.csv": "0" * 64}}, "geändert"),
    ):
        (copy / "manifest.json").write_text(json.dumps(manifest | change))
        again = redraw(copy, ["b"], tmp_path / "out", monkeypatch)
        title, history, projection, bands = again.calls["total", "total_b.png"]
        assert history == {} and note in title
        assert_same(stage.calls["total", "total_b.png"][2:], (projection, bands), "projection")


def test_figure_districts_rules():
    few = ["a", "b", "c"]
    many = [f"d{i:04d}" for i in range(AUTO_LIMIT + 1)]
    assert figure_districts("auto", few) == [*few, "_city"]
    assert figure_districts("auto", many[:AUTO_LIMIT]) == [*many[:AUTO_LIMIT], "_city"]
    assert figure_districts("auto", many) == ["_city"]
    assert figure_districts("all", many) == [*many, "_city"]
    assert figure_districts("none", many) == []
    assert figure_districts(["c", "a", "c", "_city"], few) == ["c", "a", "_city"]
    with pytest.raises(ValueError, match="'x'.*'y'.*a, b, c, _city"):
        figure_districts(["a", "x", "y"], few)
    with pytest.raises(ValueError, match="'some'"):
        figure_districts("some", few)


def test_unknown_code_names_it_and_writes_nothing(runs, tmp_path):
    run_dir, _ = runs("deterministic")
    with pytest.raises(ValueError, match="'zz'.*a, b, c, _city"):
        draw_district_figures(run_dir, ["a", "zz"], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_figure_of_another_run_is_not_replaced(runs, tmp_path, monkeypatch):
    run_dir, _ = runs("deterministic")
    Recorder().patch(monkeypatch)
    out = tmp_path / "shared"
    first = draw_district_figures(run_dir, ["a"], out)
    before = {p: p.read_bytes() for p in first}
    assert draw_district_figures(run_dir, ["a"], out) == first  # the same run's: replaced
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    manifest = json.loads((other / "manifest.json").read_text())
    (other / "manifest.json").write_text(json.dumps(manifest | {"run_id": "another"}))
    with pytest.raises(ValueError, match="another run: pyramid_a.png, total_a.png, kita_a.png"):
        draw_district_figures(other, ["a", "b"], out)
    assert {p: p.read_bytes() for p in first} == before
    assert not (out / "pyramid_b.png").exists()


def test_cli_district_draws_exactly_the_asked_figures(runs, tmp_path, capsys):
    run = Path(shutil.copytree(runs("deterministic")[0], tmp_path / "run"))
    shutil.rmtree(run / "figures")
    assert main(["report", str(run), "--district", "a", "--district", "zz"]) == 1
    assert "'zz'" in capsys.readouterr().err
    assert not (run / "figures").exists()
    res = jhplan("report", str(run), "--district", "b")
    assert res.returncode == 0, res.stderr
    asked = {run / "figures" / f"{k}_b.png" for k in ("pyramid", "total", "kita")}
    assert {Path(line.removeprefix("wrote ")) for line in res.stdout.splitlines()} == asked
    assert set((run / "figures").iterdir()) == asked
    run_id = json.loads((run / "manifest.json").read_text())["run_id"]
    for path in asked:  # real charts, still valid PNGs, with the run's id in a text chunk
        assert imread(path).shape[1] > 500
        assert RUN_ID_KEY + b"\0" + run_id.encode() in path.read_bytes()


def test_cli_district_all_draws_every_district_and_the_city(runs, tmp_path, monkeypatch, capsys):
    run = Path(shutil.copytree(runs("deterministic")[0], tmp_path / "run"))
    shutil.rmtree(run / "figures")
    Recorder().patch(monkeypatch)
    assert main(["report", str(run), "--district", "all"]) == 0
    codes = ["a", "b", "c", "_city"]
    drawn = {f"{k}_{c}.png" for k in ("pyramid", "total", "kita") for c in codes}
    assert {p.name for p in (run / "figures").iterdir()} == drawn
    assert len(capsys.readouterr().out.splitlines()) == len(drawn)
    assert main(["report", str(run), "--district", "all", "--district", "zz"]) == 1
