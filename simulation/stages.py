"""The stages of a run: one typed record per stage, in one registry, in pipeline order.

A stage is a function ``run(ctx: StageContext) -> str`` (the summary line of the stage) that reads
what the stages before it left on the context and writes its results into the run folder. Adding a
stage means one new module with its run function, one ``Stage`` entry below and its config group;
the pipeline (``simulation.pipeline``) knows the stages only through this registry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forecast import variables as v

if TYPE_CHECKING:
    from simulation.pipeline import StageContext


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    Attributes:
        name: the name in ``pipeline.stages`` and the ``model`` column of its results.
        entry: ``"module:function"`` of the stage's function, which returns a one-line summary
            (for the manifest). Imported when the stage runs, so that a run imports only the
            stages it runs (Mesa alone takes seconds to import, and the ABM is not in the default
            pipeline).
        requires: stages that must run before this one (e.g. kita needs population).
        seed_key: the fixed spawn key of the stage's seed sequence (``StageContext.seed``); never
            renumber a stage (its results would change); None for a stage without randomness.
        writes: the variables (``forecast.variables`` patterns) the stage writes to results.
        section: the German title of the stage's section in the report (None: no section).
    """

    name: str
    entry: str
    requires: tuple[str, ...] = ()
    seed_key: int | None = None
    writes: tuple[v.Variable, ...] = ()
    section: str | None = None

    def run(self, ctx: StageContext) -> str:
        """Run the stage on ``ctx``; its summary line."""
        module, function = self.entry.split(":")
        return getattr(importlib.import_module(module), function)(ctx)


STAGES: tuple[Stage, ...] = (
    Stage(
        "population",
        "simulation.stage_population:population_stage",
        seed_key=0,
        writes=v.by_model("population"),
        section="Bevölkerung",
    ),
    Stage(
        "kita",
        "simulation.stage_kita:kita_stage",
        requires=("population",),
        seed_key=1,
        writes=v.by_model("kita"),
        section="Kindertagesbetreuung (Kita)",
    ),
    Stage(
        "ganztag",
        "simulation.stage_ganztag:ganztag_stage",
        requires=("population",),  # no randomness of its own: draw d of the population only
        writes=v.by_model("ganztag"),
        section="Ganztag an Grundschulen",
    ),
    Stage(
        "hze",
        "simulation.stage_hze:hze_stage",
        requires=("population",),
        seed_key=2,
        writes=v.by_model("hze"),
        section="Hilfen zur Erziehung (HzE)",
    ),
    Stage(
        "social",
        "simulation.stage_social:social_stage",
        requires=("population",),
        seed_key=18,  # issue 18; keys 4.. left to the stages being added in parallel
        writes=v.by_model("social"),
        section="Sozialraumanalyse",
    ),
    Stage(
        "abm",
        "simulation.stage_abm:abm_stage",
        requires=("population",),
        seed_key=3,
        writes=v.by_model("abm"),
        section="Szenarienvergleich",
    ),
    Stage("report", "simulation.report:report_stage"),  # last: reads what the stages before wrote
)
"""Every stage of this version, in pipeline order."""

STAGE_BY_NAME: dict[str, Stage] = {s.name: s for s in STAGES}


def check_stages(names: list[str]) -> list[Stage]:
    """The stages named in ``pipeline.stages``, in pipeline order.

    Raises:
        ValueError: an unknown stage, an empty list, or a stage without a stage it requires.
    """
    unknown = [s for s in names if s not in STAGE_BY_NAME]
    if unknown:
        raise ValueError(
            f"unknown or not yet available pipeline stage(s) {unknown}; "
            f"available: {list(STAGE_BY_NAME)}"
        )
    if not names:
        raise ValueError("pipeline.stages is empty")
    for name in names:
        missing = [r for r in STAGE_BY_NAME[name].requires if r not in names]
        if missing:
            raise ValueError(f"pipeline stage {name!r} needs stage(s) {missing} in pipeline.stages")
    return [s for s in STAGES if s.name in names]
