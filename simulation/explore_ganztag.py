"""The Ganztag part of ``jhplan explore``: the ganztag stage's rows under a changed take-up.

The city's inputs (school areas, places, observed participation) are read once, as the stage
reads them (``simulation.stage_ganztag.ganztag_inputs``); each take-up path or target is then
projected with the stage's own ``ganztag_setup`` and ``ganztag_rows`` over the run's kept
population draws, so the run's own take-up gives the run's rows bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from simulation.config_ganztag import ganztag_settings
from simulation.config_kita import kita_settings
from simulation.stage_ganztag import ganztag_inputs, ganztag_rows, ganztag_setup

if TYPE_CHECKING:
    from simulation.explore_model import Assumptions, Explorer

TAKEUP_PATHS = ("status_quo", "q64", "q73", "q80")
"""Take-up paths the explorer offers (``history`` too when the city has a participation
series: two or more past school years of ``ganztag_places``)."""


class GanztagPart:
    """The run's Ganztag inputs, read once; ``rows`` projects one set of assumptions."""

    def __init__(self, explorer: Explorer):
        self.ex = explorer
        state = explorer.city.meta.get("state")
        settings = ganztag_settings(explorer.cfg.ganztag, state)
        month_shares = kita_settings(explorer.cfg.kita, state).month_shares
        self.inputs = ganztag_inputs(explorer.city, explorer.paths, settings, month_shares, [])
        history = len(self.inputs.observed) >= 2 or settings.takeup == "history"
        self.paths_offered = TAKEUP_PATHS + (("history",) if history else ())

    def rows(self, assumptions: Assumptions) -> pd.DataFrame:
        cfg = assumptions.apply(self.ex.cfg)
        settings = ganztag_settings(cfg.ganztag, self.ex.city.meta.get("state"))
        setup, _ = ganztag_setup(settings, self.inputs, self.ex.paths, [])
        return ganztag_rows(self.ex.ctx, self.ex.paths, setup)[1]
