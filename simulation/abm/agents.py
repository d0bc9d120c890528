"""The actors of the HzE system with individual behaviour: ASD teams, providers, lead providers.

Cases are not agents (they are columns of ``simulation.abm.cases.CaseTable``); the agents are
the few organisations whose decisions shape what happens to cases:

* ``AsdTeam`` (Allgemeiner Sozialer Dienst of a Wirkungsraum): its caseworkers' hours go first to
  the reviews of running helps; what remains sets how many new Hilfepläne it can make this month.
* ``Provider`` (Träger): holds places per Hilfeart at its own prices; once a quarter moves its
  places toward the demand it sees (slowly for residential places).
* ``LeadProvider`` (Leitträger of a Wirkungsraum, SRO only): manages the Planbudget; spends a share
  on fallunspezifische/fallübergreifende work (fewer new cases after a lag), offers Maßanzüge
  instead of placements; under budget pressure it cuts prevention and diverts more.

Agents read and write their rows of the model's arrays (places, occupancy, SRO levers), so the
model can treat all cases of a month in one vectorised pass.
"""

from __future__ import annotations

import mesa
import numpy as np


class AsdTeam(mesa.Agent):
    """The ASD of one Wirkungsraum.

    Args:
        model: the ``HzeSystemModel``.
        area: Wirkungsraum index.
        hours: case-work hours available per month, shape (M,) (staffing plan).
    """

    def __init__(self, model: mesa.Model, area: int, hours: np.ndarray) -> None:
        super().__init__(model)
        self.area = area
        self.hours = hours
        self.intake_capacity = 0

    def plan(self) -> None:
        """New Hilfepläne possible this month: hours left after reviews / hours per intake."""
        m = self.model
        p = m.classic
        t = m.steps - 1
        reviews = p.asd_review_hours * float(m.running_asd[self.area])
        self.intake_capacity = max(0, int((self.hours[t] - reviews) // p.asd_intake_hours))
        m.intake_capacity[self.area] = self.intake_capacity


class Provider(mesa.Agent):
    """A Träger in one Wirkungsraum.

    Args:
        model: the ``HzeSystemModel``.
        area: Wirkungsraum index.
        row: its row in the model's ``places`` / ``occupied`` arrays (and the plan's prices).
        share: its share of the Wirkungsraum's places (market share).
        adjust: share of the gap to its target closed per review (quarterly), per Hilfeart,
            shape (H,).
    """

    def __init__(
        self, model: mesa.Model, area: int, row: int, share: float, adjust: np.ndarray
    ) -> None:
        super().__init__(model)
        self.area = area
        self.row = row
        self.share = share
        self.adjust = adjust

    def adapt(self) -> None:
        """Move places toward its share of the demand it sees (planned and waiting)."""
        m = self.model
        places = m.places[self.row]
        places += self.adjust * (self.share * m.place_target[self.area] - places)


class LeadProvider(mesa.Agent):
    """The Leitträger of one Wirkungsraum under Sozialraumorientierung.

    Args:
        model: the ``HzeSystemModel``.
        area: Wirkungsraum index.
        budget: Planbudget per month, EUR (nominal), shape (M,).
    """

    def __init__(self, model: mesa.Model, area: int, budget: np.ndarray) -> None:
        super().__init__(model)
        self.area = area
        self.budget = budget
        months = budget.size
        self.spent = np.zeros(months)
        self.share = np.zeros(months)
        self.pressure = np.zeros(months)
        self._lag = max(1, int(round(model.sro.prevention_lag)))  # this month's share: next month
        # Running sums (plain floats: this runs every month for every Wirkungsraum).
        self._budget12 = self._spent12 = 0.0
        self._shares = [0.0]  # cumulative prevention share, months 0..t-1

    def plan(self) -> None:
        """Set this month's prevention share, diversion of placements and incidence multiplier.

        Pressure = overspending of the last 12 months (spent / budget - 1, at least 0).
        """
        m = self.model
        sro = m.sro
        t = m.steps - 1
        r = float(m.ramp[t])
        b12 = self._budget12
        pressure = max(0.0, self._spent12 / b12 - 1.0) if b12 > 0 else 0.0
        self.pressure[t] = pressure
        share = sro.prevention_share * r * max(0.0, 1.0 - sro.pressure_cut * pressure)
        self.share[t] = share
        m.diversion[self.area] = min(
            0.9, (1.0 - sro.stationary_entry) * r + sro.pressure_diversion * pressure
        )
        # Prevention acts with a lag: the mean share spent in the 12 months up to t - lag.
        end = t - self._lag
        cum = self._shares
        past = cum[end + 1] - cum[max(0, end - 11)] if end >= 0 else 0.0
        m.prevention[self.area] = max(0.2, 1.0 - sro.prevention_yield * past / 12.0)
        cum.append(cum[-1] + share)

    def account(self) -> None:
        """Book this month's spending: case costs in the budget's scope plus prevention."""
        m = self.model
        t = m.steps - 1
        budget = float(self.budget[t])
        prevention = self.share[t] * budget
        spent = float(m.scope_cost[self.area]) + prevention
        self.spent[t] = spent
        self._budget12 += budget
        self._spent12 += spent
        if t >= 12:  # the month leaving the 12-month window
            self._budget12 -= float(self.budget[t - 12])
            self._spent12 -= float(self.spent[t - 12])
        m.out["prevention"][t, self.area] = prevention
