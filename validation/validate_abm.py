"""Validation of the HzE system model (ABM): calibration and SRO effects against DOMAIN.md § 6.5.

Prints, for a synthetic city with the national rates and durations of DOMAIN.md § 6.3 (4
Wirkungsräume of 25,000 persons under 21, 20 years, constant incidence):

1. calibration: the classic model against the HzE bookkeeping (begun, running at 31.12.,
   case-months, cost per Hilfeart; the issue's criterion is 5 %);
2. the emergent full-effect multipliers (years 16-20, SRO / classic, mean over replicates) of
   every service-model scenario of ``conf/service_model`` against the ranges of DOMAIN.md § 6.5:
   total cost 0.93 (0.81-1.05), stationary entries 0.85 (0.60-1.00), ambulant begun 1.10
   (1.00-1.25);
3. how fast the cost effect comes: the first year in which half of the year-20 effect is reached.

Run (about a minute on the 2-core machine):

    .venv/bin/python validation/validate_abm.py [--replicates 8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from simulation.abm.calibration import calibration_table
from simulation.abm.experiment import run_experiment
from simulation.abm.inputs import AbmInputs
from simulation.config import register_configs
from simulation.config_abm import classic_params, sro_params

CONF = Path(__file__).resolve().parents[1] / "conf"
SCENARIOS = ("sozialraum", "sozialraum_weak", "sozialraum_strong", "sozialraum_slow")
SCENARIOS += ("sozialraum_fast",)


def scenario_params(name: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = OmegaConf.to_object(
            compose(config_name="config", overrides=[f"service_model={name}"])
        )
    return classic_params(cfg.abm), sro_params(cfg.abm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=8)
    args = parser.parse_args()
    register_configs()
    inputs = AbmInputs.synthetic(under21=25_000, areas=4, years=20)
    classic, _ = scenario_params("classic")
    scenarios = {name: scenario_params(name)[1] for name in SCENARIOS}
    ex = run_experiment(
        inputs, classic, scenarios, args.replicates, np.random.SeedSequence(6), n_jobs=2
    )

    table = calibration_table(ex.classic, inputs)
    wide = table.pivot(index="hilfeart", columns="variable", values="rel_error")
    print("1. Calibration, classic model vs HzE bookkeeping (relative error, criterion 5 %):")
    print((100 * wide).round(2).to_string())
    print(f"   largest |error|: {100 * table['rel_error'].abs().max():.2f} %")

    codes = inputs.codes
    stationary = [codes.index(h) for h in ("p33", "p34")]
    ambulant = [codes.index(h) for h in ("p27_2", "p29", "p30", "p31", "p32", "p35")]
    late = slice(15 * 12, 20 * 12)

    def mean(runs, key, cols=None):
        a = runs.arrays[key][:, late]
        return (a[..., cols] if cols is not None else a).sum() / runs.replicates

    c = ex.classic
    print(
        "\n2. Full-effect multipliers SRO / classic, years 16-20; DOMAIN.md § 6.5 default (range):"
    )
    print(
        "   total cost 0.93 (0.81-1.05); stationary entries 0.85 (0.60-1.00); ambulant 1.10 (1.00-1.25)"
    )
    head = ("scenario", "total cost", "case cost", "stat. begun", "stat. running", "amb. begun")
    print("   " + f"{head[0]:18s}" + "".join(f"{h:>14s}" for h in head[1:]) + "   half effect")
    base = c.total_cost().sum(-1).mean(0).reshape(20, 12).sum(1)
    for name in SCENARIOS:
        r = ex.runs[name]
        ratio = r.total_cost().sum(-1).mean(0).reshape(20, 12).sum(1) / base - 1.0
        half = f"year {int(np.argmax(ratio <= 0.5 * ratio[-1])) + 1}" if ratio[-1] < 0 else "none"
        values = (
            r.total_cost()[:, late].sum() / c.total_cost()[:, late].sum(),
            mean(r, "cost") / mean(c, "cost"),
            mean(r, "begun", stationary) / mean(c, "begun", stationary),
            mean(r, "running", stationary) / mean(c, "running", stationary),
            mean(r, "begun", ambulant) / mean(c, "begun", ambulant),
        )
        print("   " + f"{name:18s}" + "".join(f"{v:14.3f}" for v in values) + f"   {half}")
    print("   total cost = helps + fallunspezifische work + transition; case cost = helps only;")
    print("   half effect = first year with half of the year-20 cost difference")


if __name__ == "__main__":
    main()
