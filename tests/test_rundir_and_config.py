"""Run folders are atomic and never overwritten; every configuration variant composes."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from simulation.config import JhplanConfig, population_assumptions, register_configs
from simulation.rundir import RunFolderExists, open_run_folder

CONF = str(Path(__file__).resolve().parent.parent / "conf")


def test_completed_run_appears_whole(tmp_path):
    final = tmp_path / "run1"
    with open_run_folder(final) as folder:
        folder.path("results", "x.txt").write_text("data")
        assert not final.exists() or not any(final.iterdir())  # nothing visible until done
    assert (final / "results" / "x.txt").read_text() == "data"
    assert (final / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["run1"]


def test_failed_run_leaves_nothing(tmp_path):
    final = tmp_path / "run2"
    final.mkdir()  # as Hydra creates it before the job starts
    with pytest.raises(RuntimeError), open_run_folder(final) as folder:
        folder.path("results", "half.parquet").write_text("half")
        raise RuntimeError("killed mid-way")
    assert list(tmp_path.iterdir()) == []


def test_existing_run_is_never_overwritten(tmp_path):
    final = tmp_path / "run3"
    final.mkdir()
    (final / "manifest.json").write_text("{}")
    with pytest.raises(RunFolderExists, match="never overwrites"), open_run_folder(final):
        pass
    assert (final / "manifest.json").read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["run3"]


@pytest.mark.parametrize("group", ["fertility", "mortality", "migration"])
@pytest.mark.parametrize("variant", ["low", "main", "high"])
def test_every_population_variant_composes(group, variant):
    register_configs()
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"population/{group}={variant}"])
    typed = OmegaConf.to_object(cfg)
    assert isinstance(typed, JhplanConfig)
    assert getattr(typed.population, group).variant == variant
    for param in (
        typed.population.fertility.tfr_change,
        typed.population.mortality.e0_gain_per_year,
        typed.population.migration.net_change_per_1000,
    ):
        assert param.unit and param.source  # every parameter says its unit and source
    population_assumptions(typed.population)  # converts to the library's plain dataclass


def test_low_and_high_bracket_main():
    register_configs()
    values = {}
    for variant in ("low", "main", "high"):
        with initialize_config_dir(config_dir=CONF, version_base="1.3"):
            cfg = compose(
                config_name="config",
                overrides=[
                    f"population/fertility={variant}",
                    f"population/mortality={variant}",
                    f"population/migration={variant}",
                ],
            )
        values[variant] = population_assumptions(OmegaConf.to_object(cfg).population)
    lo, mid, hi = values["low"], values["main"], values["high"]
    assert lo.tfr_change < mid.tfr_change < hi.tfr_change
    assert lo.e0_gain_per_year < mid.e0_gain_per_year < hi.e0_gain_per_year
    assert (
        lo.net_migration_change_per_1000
        < mid.net_migration_change_per_1000
        < hi.net_migration_change_per_1000
    )


def test_typo_in_override_fails_clearly():
    register_configs()
    with (
        initialize_config_dir(config_dir=CONF, version_base="1.3"),
        pytest.raises(Exception, match="horizn"),
    ):
        compose(config_name="config", overrides=["horizn=5"])


def test_estimation_parameters_documented_and_reach_the_library():
    """YAML estimation defaults carry unit and source, equal the library defaults, and overrides apply."""
    from forecast.population.estimate import EstimationSettings
    from simulation.config import estimation_settings

    register_configs()
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        cfg = compose(config_name="config")
        changed = compose(
            config_name="config",
            overrides=[
                "population.estimation.migration_schedule.value.mu2=24",
                "population.estimation.district_fertility_prior.value=60",
            ],
        )
    est = OmegaConf.to_object(cfg).population.estimation
    for param in (est.district_fertility_prior, est.migration_schedule):
        assert param.unit and param.source
    assert estimation_settings(OmegaConf.to_object(cfg).population) == EstimationSettings()
    settings = estimation_settings(OmegaConf.to_object(changed).population)
    assert settings.migration_schedule["mu2"] == 24.0 and settings.district_fertility_prior == 60.0
