"""``HzeSystemModel``: the HzE system of a city month by month, classic or with SRO.

One step is one month t (``self.steps - 1``):

1. the ASD teams plan their intake (hours left after reviews); under SRO the lead providers set
   their prevention share, diversion and the incidence multiplier of their Wirkungsraum;
2. need arises: referrals per Wirkungsraum and Hilfeart (the HzE forecast's begun cases less those
   that arrive by escalation), each with a need level; under SRO scaled by prevention and ambulant
   contacts, and the lowest-need placements get a Maßanzug (flexible help) instead;
3. allocation: the ASD makes Hilfepläne by need (highest first) within its intake; approved
   referrals get a place first come, first served where providers have one; the others wait.
   Erziehungsberatung needs no Hilfeplan (direct access);
4. a begun help gets its duration (ambulant help shortened under SRO) and a provider;
5. accounting: case-months and costs (unit cost x provider price x price index; Erziehungsberatung
   per begun case);
6. helps in their last month end; some escalate into a more intensive help (referred next month);
   a Maßanzug may fail into the placement it replaced;
7. the lead providers book their spending; each quarter, providers adapt their places.

Common random numbers: referrals are a thinned Poisson process. Each month the model draws
candidates at ``DOMINATING`` times the classic rate, each with its own uniform numbers, and keeps a
candidate with probability (scenario rate) / (dominating rate). Two scenarios on the same seed thus
see the same families; they differ only where the service model treats them differently.

With SRO off (or every SRO effect neutral), the expected begun helps, running stock, case-months
and costs per Hilfeart equal the inputs' (``simulation.abm.calibration``).
"""

from __future__ import annotations

import mesa
import numpy as np

from forecast.hze.catalogue import (
    direct_access_codes,
    flexible_code,
    intensity_order,
    stationary_codes,
)
from simulation.abm.agents import AsdTeam, LeadProvider, Provider
from simulation.abm.cases import (
    QUEUE,
    RUNNING,
    CaseTable,
    DurationSampler,
    rank_in_order,
    rank_within,
)
from simulation.abm.inputs import AbmInputs
from simulation.abm.params import ClassicParams, SroParams
from simulation.abm.planning import expected_monthly, make_plan, planbudget, residual_survival

OUTPUTS_WH = ("begun", "ended", "running", "case_months", "waiting", "cost")
"""Monthly outputs per Wirkungsraum and Hilfeart, shape (M, W, H)."""
OUTPUTS_W = ("diverted", "prevention", "transition")
"""Monthly outputs per Wirkungsraum, (M, W): Maßanzüge begun, EUR prevention, EUR transition."""
TRANSITION_MONTHS = 24
"""SRO transition costs fall in years 1-2 (DOMAIN.md § 6.5)."""
DOMINATING = 1.5
"""Candidate referrals per expected classic referral (>= every SRO incidence multiplier)."""


class HzeSystemModel(mesa.Model):
    """The HzE system of a city: referrals, ASD, providers, cases; optionally SRO.

    Args:
        inputs: incidence, durations, stock and costs (``AbmInputs``).
        classic: parameters of the classic system.
        sro: SRO parameters, or None for the classic service model.
        draw: population draw of the inputs this replicate uses.
        months: months to simulate (default: all years of the inputs).
        rng: seed or generator (Mesa 3); the replicate's own ``SeedSequence``.

    Attributes:
        out: monthly outputs, ``OUTPUTS_WH`` (M, W, H) and ``OUTPUTS_W`` (M, W).
        pmf: the duration pmf drawn per Hilfeart, (H, K).
        unit: unit cost drawn per Hilfeart, EUR at prices of the price year, (H,).
        price_index: nominal price index per month, (M,).
        plan: ASD staffing, places and providers (``planning.Plan``).
        notes: adjustments made to the inputs, one sentence each.
    """

    def __init__(
        self,
        inputs: AbmInputs,
        classic: ClassicParams | None = None,
        sro: SroParams | None = None,
        draw: int = 0,
        months: int | None = None,
        rng=None,
    ) -> None:
        super().__init__(rng=rng)
        self.inputs, self.classic, self.sro = inputs, classic or ClassicParams(), sro
        months = 12 * inputs.years if months is None else int(months)
        if not 1 <= months <= 12 * inputs.years:
            raise ValueError(f"months={months}: expected 1..{12 * inputs.years} (inputs' years)")
        if not 0 <= draw < inputs.draws:
            raise ValueError(f"draw={draw}: the inputs hold {inputs.draws} population draws")
        self.months = months
        self.n_areas, self.n_h = len(inputs.areas), len(inputs.codes)
        self.notes: list[str] = []
        rng = self.rng
        # Replicate-level draws, in a fixed order: the same in every scenario.
        pick = rng.integers(inputs.durations.shape[0], size=self.n_h)
        self.pmf = inputs.durations[pick, np.arange(self.n_h)]
        self.unit = inputs.costs.level(inputs.codes, rng)
        year_of = np.arange(months) // 12
        years = inputs.start_year + np.arange(int(year_of[-1]) + 1)
        self.price_index = inputs.costs.price_index(years, rng)[year_of]
        self.incidence = inputs.begun[draw][year_of] / 12.0  # (M, W, H)
        streams = rng.integers(2**63, size=2)
        self.rng_referral = np.random.default_rng(streams[0])  # candidate referrals
        self.rng_follow = np.random.default_rng(streams[1])  # referrals after an ending
        self._setup_catalogue()
        cm, _ = expected_monthly(self.incidence, self.pmf, inputs.stock)
        self.plan = make_plan(self.classic, self.incidence, cm, self.needs_asd, rng)
        self._setup_agents(cm)
        self.out = {k: np.zeros((months, self.n_areas, self.n_h)) for k in OUTPUTS_WH}
        self.out.update({k: np.zeros((months, self.n_areas)) for k in OUTPUTS_W})
        self.cases = CaseTable(RUNNING, capacity=int(2 * inputs.stock.sum()) + 1024)
        self.queue = CaseTable(QUEUE, capacity=1024)
        self._place_stock(rng)

    def _setup_catalogue(self) -> None:
        inputs, sro, codes = self.inputs, self.sro, self.inputs.codes
        order = intensity_order()  # need bands of the standard catalogue, least intensive first
        self.rank = np.array([order.index(h) for h in codes], float)
        self.per_case = inputs.mask(tuple(inputs.costs.per_case))
        self.needs_asd = ~inputs.mask(direct_access_codes())  # Erziehungsberatung
        self.nonresidential = np.isin(inputs.setting(), ("ambulant", "teilstationär"))
        self.stationary = inputs.mask(stationary_codes())
        self.scope = inputs.mask(sro.scope) if sro is not None else np.zeros(len(codes), bool)
        flexible = flexible_code()
        self.flex = codes.index(flexible) if flexible in codes else -1
        if sro is not None and self.flex < 0:
            raise ValueError(f"SRO needs the flexible Hilfeart {flexible} among the modelled ones")
        self.dominating = max(DOMINATING, sro.ambulant_contacts if sro is not None else 1.0)
        self.duration = DurationSampler(self.pmf)
        res = np.array([residual_survival(p) for p in self.pmf])  # P(R >= k)
        self.residual = np.maximum(res - np.roll(res, -1, axis=1), 0.0)  # P(R = k)
        self.escalation, notes = self.classic.escalation_matrix(codes)
        self.notes += notes
        self.ramp = sro.ramp(np.arange(self.months)) if sro is not None else np.zeros(self.months)
        # Escalation per month: under SRO less often from ambulant help into §§ 33/34.
        e = np.broadcast_to(self.escalation, (self.months, *self.escalation.shape)).copy()
        if sro is not None:
            rows = np.flatnonzero(self.scope & self.nonresidential)[:, None]
            mult = 1.0 - (1.0 - sro.escalation) * self.ramp
            e[:, rows, np.flatnonzero(self.stationary)] *= mult[:, None, None]
        self.esc_total, self.esc_cum = e.sum(2), np.cumsum(e, axis=2)  # (M, H), (M, H, H)
        # Referrals from outside = begun helps less those expected to arrive by escalation.
        fresh = self.incidence - np.einsum("mwg,gh->mwh", self.incidence, self.escalation)
        if (fresh < 0).any():
            self.notes.append(
                "escalation into some Hilfearten exceeds their begun cases: fresh referrals "
                "floored at 0, so the model begins more of them than the forecast"
            )
        self.fresh = np.maximum(fresh, 0.0)

    def _setup_agents(self, case_months: np.ndarray) -> None:
        p, plan, n_w, n_h = self.classic, self.plan, self.n_areas, self.n_h
        for w in range(n_w):
            AsdTeam(self, w, plan.asd_fte[:, w] * p.asd_hours_per_fte)
        self.intake_capacity = np.zeros(n_w, np.int64)
        n_p = p.providers_per_area
        self.place_target = plan.places[0].copy()
        self.places = (plan.shares[..., None] * self.place_target[:, None, :]).reshape(-1, n_h)
        self.occupied = np.zeros((n_w * n_p, n_h))
        monthly = np.where(self.stationary, p.provider_adjust_stationary, p.provider_adjust)
        adjust = 1.0 - (1.0 - monthly) ** 3  # reviewed once a quarter
        for w in range(n_w):
            for j in range(n_p):
                Provider(self, w, w * n_p + j, float(plan.shares[w, j]), adjust)
        self.rate_sum = np.zeros((n_w * n_p, n_h))  # EUR per month of the running helps
        self.diversion = np.zeros(n_w)
        self.prevention = np.ones(n_w)
        if self.sro is not None:
            shares = self.inputs.budget_shares  # need-based split of the social stage
            if shares is not None:
                shares = shares[np.arange(self.months) // 12]
            self.budget = planbudget(case_months, self.unit, self.scope, self.price_index, shares)
            for w in range(n_w):
                LeadProvider(self, w, self.budget[:, w])

    def _place_stock(self, rng: np.random.Generator) -> None:
        """The stock running before month 0, with equilibrium residual durations."""
        counts = np.round(self.inputs.stock).astype(np.int64)
        area, h = np.divmod(np.repeat(np.arange(counts.size), counts.ravel()), self.n_h)
        u, v, x, e = rng.random((4, h.size))
        remaining = DurationSampler(self.residual, grid=1024)(h, v)
        cum = np.cumsum(self.plan.shares, axis=1)[area]  # provider by market share
        j = np.minimum((cum <= x[:, None]).sum(1), cum.shape[1] - 1)
        provider = area * self.classic.providers_per_area + j
        self._start(area, h, self.rank[h] + u, -1, remaining - 1, provider, np.full(h.size, -1), e)

    # ---------------------------------------------------------------- the month

    def step(self) -> None:
        t = self.steps - 1
        self.running_asd = self.by_area(self.occupied)[:, self.needs_asd].sum(1)
        self.agents_by_type[AsdTeam].do("plan")
        if self.sro is not None:
            self.agents_by_type[LeadProvider].do("plan")
        self._refer(t)
        self._allocate(t)
        self._end(t)
        if self.sro is not None:
            self.scope_cost = self.out["cost"][t][:, self.scope].sum(1)
            self.agents_by_type[LeadProvider].do("account")
            if t < TRANSITION_MONTHS:
                self.out["transition"][t] = self.sro.transition_cost * self.budget[t]
        if t % 3 == 2:  # providers review their places once a quarter
            self._plan_places(t)
            self.agents_by_type[Provider].do("adapt")  # each its own row: order is irrelevant
        if t % 12 == 11:  # drop ended helps once a year (marked by last < t)
            self.cases.keep(self.cases["last"] > t)
        if t + 1 >= self.months:
            self.running = False  # Mesa's flag: the run is complete

    def run(self) -> dict[str, np.ndarray]:
        """Run all months; returns ``out``."""
        while self.running:
            self.step()
        return self.out

    def _refer(self, t: int) -> None:
        """New referrals of month t into the queue (thinned candidates)."""
        n_h, sro, dom = self.n_h, self.sro, self.dominating
        counts = self.rng_referral.poisson(self.fresh[t] * dom)
        area, h = np.divmod(np.repeat(np.arange(counts.size), counts.ravel()), n_h)
        accept, u, u_dur, u_round, u_esc, u_prov = self.rng_referral.random((6, h.size))
        keep = np.full(self.n_areas * n_h, 1.0 / dom)
        if sro is not None:  # prevention in the budget's scope, more ambulant contacts
            contacts = 1.0 + (sro.ambulant_contacts - 1.0) * self.ramp[t]
            mult = np.where(self.scope, self.prevention[:, None], 1.0) * np.where(
                self.scope & self.nonresidential, contacts, 1.0
            )
            keep = mult.ravel() / dom
        ok = accept < keep[area * n_h + h]
        area, h, u = area[ok], h[ok], u[ok]
        need = self.rank[h] + u
        origin = np.full(h.size, -1)
        if sro is not None:
            # The lowest-need placements in the budget get a Maßanzug instead.
            div = self.stationary[h] & self.scope[h] & (u < self.diversion[area])
            origin[div] = h[div]
            h = np.where(div, self.flex, h)
            self.out["diverted"][t] = np.bincount(area[div], minlength=self.n_areas)
        self.queue.append(
            area=area,
            hilfeart=h,
            need=need,
            arrival=t,
            origin=origin,
            approved=~self.needs_asd[h],
            u_dur=u_dur[ok],
            u_round=u_round[ok],
            u_esc=u_esc[ok],
            u_prov=u_prov[ok],
        )

    def _allocate(self, t: int) -> None:
        """ASD Hilfepläne by need, then places first come first served; the rest waits."""
        q, n_h, n_w = self.queue, self.n_h, self.n_areas
        area, h, need, approved = q["area"], q["hilfeart"], q["need"], q["approved"]
        todo = np.flatnonzero(~approved)
        if todo.size:
            at = area[todo]
            if (np.bincount(at, minlength=n_w) > self.intake_capacity).any():
                rank = rank_within(at, -need[todo], q["arrival"][todo])  # highest need first
                approved[todo[rank < self.intake_capacity[at]]] = True
            else:
                approved[todo] = True
        ready = np.flatnonzero(approved)
        group = area[ready] * n_h + h[ready]
        n_p = self.classic.providers_per_area
        free = np.maximum(self.places - self.occupied, 0.0).reshape(n_w, n_p, n_h)
        cum = np.cumsum(free, axis=1)  # (W, P, H)
        places = np.floor(cum[:, -1, :].ravel() + 1e-9)
        if (np.bincount(group, minlength=places.size) <= places).all():
            idx = ready  # every approved referral finds a place
        else:
            rank = rank_in_order(group, places.size)  # queue order = first come first served
            idx = ready[rank < places[group]]
        a, hh = area[idx], h[idx]
        # A provider with a free place, chosen with probability proportional to its free places
        # (capacity is soft: a provider may go a fraction of a place over its places).
        flat, base = cum.ravel(), a * (n_p * n_h) + hh  # cum[a, j, hh] = flat[base + j * n_h]
        x = q["u_prov"][idx] * flat[base + (n_p - 1) * n_h]
        j = np.zeros(idx.size, np.int64)
        for k in range(n_p - 1):  # a few providers: one comparison each
            j += flat[base + k * n_h] <= x
        provider = a * n_p + j
        months = self.duration(hh, q["u_dur"][idx])
        if self.sro is not None:
            short = 1.0 - (1.0 - self.sro.ambulant_duration) * self.ramp[t]
            factor = np.where(self.scope & self.nonresidential, short, 1.0)[hh]
            months = np.maximum(np.floor(months * factor + q["u_round"][idx]), 1).astype(int)
        begun = (need[idx], q["origin"][idx], q["u_esc"][idx])
        keep = np.ones(len(q), bool)
        keep[idx] = False
        q.keep(keep)  # the queue's columns move: read above, before this line
        rate = self._start(a, hh, begun[0], t, t + months - 1, provider, begun[1], begun[2])
        size = n_w * n_h
        cells = a * n_h + hh
        left = self.queue
        self.out["waiting"][t] = np.bincount(
            left["area"] * n_h + left["hilfeart"], minlength=size
        ).reshape(n_w, n_h)
        self.out["begun"][t] = np.bincount(cells, minlength=size).reshape(n_w, n_h)
        first = self.per_case[hh]  # paid per begun help (Erziehungsberatung)
        paid = np.bincount(cells[first], weights=rate[first], minlength=size).reshape(n_w, n_h)
        self.out["case_months"][t] = self.by_area(self.occupied)
        self.out["cost"][t] = (self.by_area(self.rate_sum) + paid) * self.price_index[t]

    def _start(self, area, h, need, start, last, provider, origin, u_esc) -> np.ndarray:
        """Begin helps: add them to the cases and the counters.

        Returns:
            The price of each help: EUR per case-month, or per help where paid per begun help.
        """
        price = self.unit[h] * self.plan.price_factor[provider, h]
        if self.sro is not None:  # a Maßanzug instead of a placement costs more than § 27.2
            price = np.where(origin >= 0, price * self.sro.diverted_cost_factor, price)
        rate = np.where(self.per_case[h], 0.0, price)
        self.cases.append(
            area=area,
            hilfeart=h,
            need=need,
            start=start,
            last=last,
            provider=provider,
            rate=rate,
            origin=origin,
            u_esc=u_esc,
        )
        self._count(h, provider, rate, +1)
        return price

    def _count(self, h, provider, rate, sign: int) -> None:
        """Add (sign +1) or remove (-1) helps from the providers' counters."""
        cells = provider * self.n_h + h
        size = self.occupied.size
        self.occupied += sign * np.bincount(cells, minlength=size).reshape(self.occupied.shape)
        weights = np.bincount(cells, weights=rate, minlength=size)
        self.rate_sum += sign * weights.reshape(self.occupied.shape)

    def by_area(self, per_provider: np.ndarray) -> np.ndarray:
        """Sum a (W * P, H) provider array over each Wirkungsraum's providers: (W, H)."""
        return per_provider.reshape(self.n_areas, -1, self.n_h).sum(1)

    def _end(self, t: int) -> None:
        """Helps whose last month was t end; escalations are referred for month t+1."""
        run, n_h = self.cases, self.n_h
        idx = np.flatnonzero(run["last"] == t)
        area, h = run["area"][idx], run["hilfeart"][idx]
        need, origin, v = run["need"][idx], run["origin"][idx], run["u_esc"][idx]
        self._count(h, run["provider"][idx], run["rate"][idx], -1)
        size = self.n_areas * n_h
        self.out["ended"][t] = np.bincount(area * n_h + h, minlength=size).reshape(-1, n_h)
        self.out["running"][t] = self.by_area(self.occupied)
        # Escalation: probability E[h, .] x 2u (u = place in the need band, mean 1/2); under
        # SRO less often from ambulant help into §§ 33/34; a Maßanzug fails into its placement.
        total, cum = self.esc_total[t], self.esc_cum[t]
        p = np.minimum(total[h] * 2.0 * (need - np.floor(need)), 1.0)
        failed = origin >= 0
        if self.sro is not None:
            p = np.where(failed, self.sro.diversion_failure, p)
        go = np.flatnonzero(v < p)
        h, failed = h[go], failed[go]
        # v / p is uniform on [0, 1) given escalation: it also picks the target.
        pick = (cum[h] <= (v[go] / p[go] * total[h])[:, None]).sum(1)
        target = np.where(failed, origin[go], np.minimum(pick, n_h - 1))
        u, u_dur, u_round, u_esc, u_prov = self.rng_follow.random((5, target.size))
        self.queue.append(
            area=area[go],
            hilfeart=target,
            need=self.rank[target] + u,
            arrival=t + 1,
            origin=-1,
            approved=~self.needs_asd[target],
            u_dur=u_dur,
            u_round=u_round,
            u_esc=u_esc,
            u_prov=u_prov,
        )

    def _plan_places(self, t: int) -> None:
        """Demand providers see: the plan for next month, or more when cases wait."""
        p = self.classic
        demand = self.by_area(self.occupied) + self.out["waiting"][t]
        want = (1.0 + p.provider_slack) * demand + 2.0 * np.sqrt(demand) + 1.0
        self.place_target = np.maximum(self.plan.places[min(t + 1, self.months - 1)], want)
