"""What Sozialraumorientierung does in the model: direction of each effect, ramp, budget, OAT."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.abm.experiment import run_experiment
from simulation.abm.inputs import AbmInputs
from simulation.abm.model import TRANSITION_MONTHS
from simulation.abm.params import ClassicParams, SroParams
from simulation.abm.sensitivity import one_at_a_time, tornado_data

FAST = {"ramp_years": 1.0, "prevention_lag": 3.0}  # full effect early: short test runs


@pytest.fixture(scope="module")
def city() -> AbmInputs:
    return AbmInputs.synthetic(under21=15_000, areas=2, years=6)


@pytest.fixture(scope="module")
def experiment(city):
    base = SroParams(**FAST)
    scenarios = {
        "sro": base,
        "only_stationary": SroParams.neutral(stationary_entry=0.7, **FAST),
        "only_transition": SroParams.neutral(transition_cost=0.03, **FAST),
        "only_prevention": SroParams.neutral(prevention_share=0.05, prevention_yield=2.0, **FAST),
        "only_duration": SroParams.neutral(ambulant_duration=0.85, **FAST),
    }
    return run_experiment(city, ClassicParams(), scenarios, 6, np.random.SeedSequence(42))


def city_sum(runs, key, codes=None, months=slice(36, None)):
    a = runs.arrays[key][:, months]
    if codes is not None:
        a = a[..., [runs.codes.index(c) for c in codes]]
    return a.sum(axis=tuple(range(1, a.ndim))).mean()


def test_sro_lowers_placements_and_raises_flexible_help(experiment) -> None:
    sro, classic = experiment.runs["sro"], experiment.classic
    assert city_sum(sro, "running", ("p33", "p34")) < 0.95 * city_sum(
        classic, "running", ("p33", "p34")
    )
    assert city_sum(sro, "begun", ("p27_2",)) > 1.1 * city_sum(classic, "begun", ("p27_2",))
    assert sro.arrays["diverted"].sum() > 0 and classic.arrays["diverted"].sum() == 0
    # Helps outside the budget's scope (Erziehungsberatung) are untouched at the start.
    first = slice(0, 1)
    assert city_sum(sro, "begun", ("p28",), first) == city_sum(classic, "begun", ("p28",), first)


def test_each_effect_moves_cost_in_its_direction(experiment) -> None:
    classic = experiment.classic.total_cost().sum(-1)  # (R, M)
    for name, sign in (("only_stationary", -1), ("only_prevention", -1), ("only_duration", -1)):
        diff = experiment.runs[name].total_cost().sum(-1)[:, 36:].sum() - classic[:, 36:].sum()
        assert np.sign(diff) == sign, name


def test_transition_cost_is_a_share_of_the_planbudget_in_years_1_2(experiment) -> None:
    runs = experiment.runs["only_transition"]
    transition = runs.arrays["transition"]
    assert (transition[:, TRANSITION_MONTHS:] == 0).all()
    assert (transition[:, :TRANSITION_MONTHS] > 0).all()
    # Neutral otherwise: the difference to classic is exactly the transition cost.
    diff = experiment.cost_difference("only_transition", cumulative=False)
    np.testing.assert_allclose(diff, transition, rtol=1e-9, atol=1e-6)
    scope = [c in SroParams().scope for c in runs.codes]
    cost = experiment.classic.arrays["cost"][..., scope].sum((0, 2, 3))[:TRANSITION_MONTHS]
    share = transition.sum((0, 2))[:TRANSITION_MONTHS] / cost
    assert share.mean() == pytest.approx(0.03, rel=0.05)  # 3 % of the expected classic cost


def test_ramp_is_logistic_from_zero_to_full_effect() -> None:
    sro = SroParams(ramp_years=4.0)
    r = sro.ramp(np.arange(0, 240))
    assert r[0] < 0.01 and np.all(np.diff(r) >= 0) and r[-1] == pytest.approx(1.0, abs=1e-3)
    assert sro.ramp(4 * 12) == pytest.approx(0.947, abs=0.01)  # 95 % of the logistic at 4 years
    assert sro.ramp(2 * 12) == pytest.approx(0.5, abs=0.03)  # midpoint at 2 years
    slow, fast = SroParams(ramp_years=8.0).ramp(36), SroParams(ramp_years=2.0).ramp(36)
    assert slow < sro.ramp(36) < fast


def test_budget_pressure_cuts_prevention(city) -> None:
    """Maßanzüge far dearer than planned overspend the Planbudget: prevention is cut."""
    calm = SroParams(**FAST)
    pressed = SroParams(**FAST, diverted_cost_factor=10.0, stationary_entry=0.6)
    ex = run_experiment(
        city, ClassicParams(), {"calm": calm, "pressed": pressed}, 2, np.random.SeedSequence(3)
    )
    prevention = {k: ex.runs[k].arrays["prevention"][:, 24:].sum() for k in ("calm", "pressed")}
    assert prevention["pressed"] < 0.8 * prevention["calm"]


def test_one_at_a_time_table_and_tornado(city) -> None:
    table = one_at_a_time(
        city,
        ClassicParams(),
        SroParams(**FAST),
        replicates=2,
        seed=np.random.SeedSequence(5),
        months=48,
        parameters=("stationary_entry", "transition_cost"),
    )
    assert list(table["parameter"]) == sorted(
        ["stationary_entry", "transition_cost"],
        key=lambda p: -float(table.set_index("parameter").loc[p, "swing"]),
    )
    row = table.set_index("parameter").loc["transition_cost"]
    # More transition cost, more cost: exactly the extra 0.05 - 0 of two years' Planbudget.
    assert row["outcome_high"] > row["outcome_base"] > row["outcome_low"]
    stat = table.set_index("parameter").loc["stationary_entry"]
    assert stat["outcome_high"] > stat["outcome_low"]  # fewer placements diverted: dearer
    bars = tornado_data(table)
    np.testing.assert_allclose(bars["high_delta"] + table["outcome_base"], table["outcome_high"])
    with pytest.raises(ValueError, match="cannot vary"):
        one_at_a_time(city, ClassicParams(), SroParams(), 1, np.random.SeedSequence(0), 12, ("x",))


def test_shortage_makes_referrals_wait_lowest_need_first(city) -> None:
    """More ambulant referrals than the ASD was staffed for: low-need referrals wait, and the
    highest need (placements) goes first; with the classic load nobody waits for long."""
    tight = ClassicParams(asd_slack=0.0, provider_slack=0.0)
    surge = SroParams.neutral(ambulant_contacts=1.45, ramp_years=0.5)
    ex = run_experiment(city, tight, {"surge": surge}, 3, np.random.SeedSequence(9), months=36)
    waiting = ex.runs["surge"].arrays["waiting"][:, 12:].sum((0, 1, 2))  # per Hilfeart
    codes = ex.classic.codes
    ambulant = waiting[[codes.index(h) for h in ("p29", "p30", "p31", "p27_2")]].sum()
    placements = waiting[[codes.index(h) for h in ("p33", "p34")]].sum()
    assert ambulant > 50 * max(placements, 1.0)
    assert ex.classic.arrays["waiting"][:, 12:].sum() < 0.1 * waiting.sum()
    # Waiting delays begins but loses no one: they are begun later.
    begun = ex.runs["surge"].arrays["begun"].sum()
    assert begun > ex.classic.arrays["begun"].sum()
