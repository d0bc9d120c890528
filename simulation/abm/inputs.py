"""What the agent-based model takes from the HzE forecast: incidence, durations, stocks, costs.

``AbmInputs.from_hze`` builds them from a fitted HzE model (``forecast.hze.model.HzeModel``) and
the expected begun cases per population draw (``forecast.hze.forecast.expected_begun``):

* monthly incidence of Hilfeart h in Wirkungsraum w in year y = begun cases of the year / 12,
  summed over the Wirkungsraum's districts; population draw d drives replicate d;
* the duration grid of each Hilfeart (equally likely ``MonthlyDuration`` points; a replicate draws
  one per Hilfeart, as a draw of the HzE forecast does);
* the stock running at 31.12. of the last history year (the steady state where the HzE model
  used the national fallback);
* unit costs and their price development (``forecast.hze.costs.CostAssumptions``).

``AbmInputs.synthetic`` makes inputs of any scale from national rates (tests, benchmark).
Wirkungsräume are groups of districts: city.yaml's optional ``wirkungsraeume`` (name -> list of
district codes) or else the districts' ``sozialraum``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from forecast.hze.catalogue import CATALOGUE
from forecast.hze.costs import CostAssumptions
from forecast.problems import InputDataError, Problem
from forecast.validate_city_keys import wirkungsraum_problems

if TYPE_CHECKING:  # heavy imports (statsmodels, scipy) kept out of the ABM's worker processes
    from forecast.citydata import CityData
    from forecast.hze.model import HzeModel


def wirkungsraeume(city: CityData) -> dict[str, tuple[str, ...]]:
    """Wirkungsraum -> its district codes, in city.yaml order.

    Uses city.yaml's ``wirkungsraeume`` (a mapping name -> list of district codes) when given,
    else groups the districts by their ``sozialraum``.

    Raises:
        InputDataError: ``wirkungsraeume`` is not a mapping of lists, names an unknown district,
            or does not put every district in exactly one Wirkungsraum.
    """
    given = city.meta.get("wirkungsraeume")
    codes = city.district_codes
    if given is None:
        groups: dict[str, list[str]] = {}
        for d in city.districts:
            groups.setdefault(d.sozialraum, []).append(d.code)
        return {k: tuple(v) for k, v in groups.items()}
    # check-data refuses such a city (``forecast.validate_city_keys``); kept for cities built
    # in code, with the same rule.
    problems = wirkungsraum_problems(given, codes)
    if problems:
        line = _key_line(city.path / "city.yaml", "wirkungsraeume")
        raise InputDataError([Problem("city.yaml", line, "wirkungsraeume", m) for m in problems])
    order = {c: i for i, c in enumerate(codes)}
    return {str(k): tuple(sorted(map(str, v), key=order.__getitem__)) for k, v in given.items()}


def _key_line(path, key: str) -> int | None:
    """Line of a top-level key in a YAML file (as an editor shows it), or None."""
    import yaml

    try:
        node = yaml.compose(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError):
        return None
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return k.start_mark.line + 1
    return None


@dataclass(frozen=True)
class AbmInputs:
    """Inputs of the HzE system model.

    Attributes:
        codes: Hilfearten modelled, length H (catalogue order).
        areas: Wirkungsraum codes, length W.
        start_year: calendar year of month 0 (January).
        begun: expected begun cases per year, shape (N, Y, W, H); population draw d -> row d.
        durations: duration pmfs, shape (G, H, K): G equally likely points per Hilfeart.
        stock: cases running at 31.12. before month 0, shape (W, H).
        costs: unit costs (EUR per case-month; per begun case for ``costs.per_case``) and growth.
        notes: where the inputs come from, one sentence each.
        budget_shares: each Wirkungsraum's share of the SRO Planbudget per year, (Y, W) (the
            social stage's need-based split); None = each Wirkungsraum's own expected cost.
    """

    codes: tuple[str, ...]
    areas: tuple[str, ...]
    start_year: int
    begun: np.ndarray
    durations: np.ndarray
    stock: np.ndarray
    costs: CostAssumptions
    notes: tuple[str, ...] = ()
    budget_shares: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_h, n_w = len(self.codes), len(self.areas)
        checks = (
            (self.begun.ndim == 4 and self.begun.shape[2:] == (n_w, n_h), "begun (N, Y, W, H)"),
            (self.durations.ndim == 3 and self.durations.shape[1] == n_h, "durations (G, H, K)"),
            (self.stock.shape == (n_w, n_h), "stock (W, H)"),
        )
        for ok, what in checks:
            if not ok:
                raise ValueError(f"AbmInputs: expected {what} for {n_w} areas and {n_h} Hilfearten")
        if (self.begun < 0).any() or not np.isfinite(self.begun).all():
            raise ValueError("AbmInputs.begun: expected finite non-negative expected cases")
        if (self.stock < 0).any():
            raise ValueError("AbmInputs.stock: expected non-negative counts")
        if not np.allclose(self.durations.sum(-1), 1.0):
            raise ValueError("AbmInputs.durations: every pmf must sum to 1")
        shares = self.budget_shares
        if shares is not None and (
            shares.shape != (self.years, n_w) or not np.allclose(shares.sum(-1), 1.0)
        ):
            raise ValueError(
                f"AbmInputs.budget_shares: expected ({self.years}, {n_w}) summing to 1"
            )
        missing = [h for h in self.codes if h not in self.costs.unit_cost]
        if missing:
            raise ValueError(f"AbmInputs.costs: no unit cost for {missing}")

    @property
    def years(self) -> int:
        return int(self.begun.shape[1])

    @property
    def draws(self) -> int:
        return int(self.begun.shape[0])

    def mask(self, codes: tuple[str, ...] | list[str]) -> np.ndarray:
        """Boolean mask (H,) of the given Hilfearten."""
        return np.array([h in set(codes) for h in self.codes])

    def setting(self) -> np.ndarray:
        """Catalogue setting per Hilfeart (``ambulant``, ``stationär``, ...), shape (H,)."""
        return np.array([CATALOGUE[h].setting for h in self.codes])

    @classmethod
    def from_hze(
        cls,
        model: HzeModel,
        begun: np.ndarray,
        years: np.ndarray,
        groups: Mapping[str, tuple[str, ...]],
        costs: CostAssumptions,
    ) -> AbmInputs:
        """Inputs from a fitted HzE model and its expected begun cases.

        Args:
            model: fitted HzE model (durations, stocks, districts, Hilfearten).
            begun: expected begun cases, shape (N, F, D, H) in ``model.codes`` order
                (``forecast.hze.forecast.expected_begun``).
            years: forecast years, shape (F,); ``years[0]`` must follow ``model.last_year``.
            groups: Wirkungsraum -> district codes (``wirkungsraeume``).
            costs: unit costs and growth.
        """
        if int(years[0]) != model.last_year + 1:
            raise ValueError(
                f"the ABM starts in {model.last_year + 1}, after the last HzE history year; "
                f"got forecast years from {int(years[0])}"
            )
        from forecast.hze.durations import MAX_MONTHS

        codes = model.codes
        district = {d: i for i, d in enumerate(model.districts)}
        member = np.zeros((len(model.districts), len(groups)))
        for w, members in enumerate(groups.values()):
            member[[district[d] for d in members], w] = 1.0
        by_area = np.einsum("nfdh,dw->nfwh", begun, member)
        n_grid = max(len(model.hilfearten[h].durations) for h in codes)
        durations = np.zeros((n_grid, len(codes), MAX_MONTHS))
        stock = np.zeros((len(groups), len(codes)))
        notes = []
        for h, code in enumerate(codes):
            hm = model.hilfearten[code]
            grid = hm.durations
            for g in range(n_grid):  # fewer points than others: repeat evenly
                durations[g, h] = grid[g * len(grid) // n_grid].pmf
            if hm.stock is not None:
                stock[:, h] = np.nan_to_num(hm.stock) @ member
            else:
                mean = float(np.mean([d.mean for d in grid]))
                stock[:, h] = np.round(by_area[:, 0, :, h].mean(0) * (mean - 1.0) / 12.0)
                notes.append(f"{code}: stock at the start is the steady state (no history)")
        return cls(
            codes=codes,
            areas=tuple(groups),
            start_year=int(years[0]),
            begun=by_area,
            durations=durations,
            stock=stock,
            costs=costs,
            notes=tuple(notes),
        )

    @classmethod
    def synthetic(
        cls,
        under21: float | np.ndarray,
        areas: int = 4,
        years: int = 20,
        growth: float = 0.0,
        draws: int = 1,
        start_year: int = 2026,
        price_growth: float | None = None,
        codes: tuple[str, ...] | None = None,
    ) -> AbmInputs:
        """Inputs of a synthetic city with national rates and durations (DOMAIN.md § 6.3).

        Begun cases per year = national Fallzahl rate / (1 + (mean - 1) / 12) x persons under
        21 (the steady state of ``MonthlyDuration.fallzahl_per_begun``); the stock starts in
        that steady state. One duration point per Hilfeart (the catalogue's mean).

        Args:
            under21: persons under 21 per Wirkungsraum (scalar: each area the same).
            areas: number of Wirkungsräume W.
            years: years of incidence Y.
            growth: change of the incidence per year (0.01 = +1 %/yr).
            draws: population draws N (identical copies).
            start_year: calendar year of month 0.
            price_growth: nominal unit-cost growth per year (None: the catalogue's 5 %).
            codes: Hilfearten (default: all with a national rate).
        """
        from forecast.hze.durations import weibull_duration

        codes = codes or tuple(h for h, c in CATALOGUE.items() if c.national_rate is not None)
        pop = np.broadcast_to(np.asarray(under21, float), (areas,))
        durs = [
            weibull_duration(CATALOGUE[h].duration_months, CATALOGUE[h].duration_shape)
            for h in codes
        ]
        per_begun = np.array([d.fallzahl_per_begun() for d in durs])
        rate = np.array([CATALOGUE[h].national_rate for h in codes]) / 1e4 / per_begun
        trend = (1.0 + growth) ** np.arange(years)
        begun = trend[:, None, None] * pop[:, None] * rate[None, None, :]  # (Y, W, H)
        means = np.array([d.mean for d in durs])
        stock = np.round(begun[0] * (means - 1.0) / 12.0)
        costs = CostAssumptions.defaults()
        if price_growth is not None:
            costs = CostAssumptions(
                costs.unit_cost,
                costs.unit_cost_range,
                costs.per_case,
                costs.price_year,
                price_growth,
                (price_growth, price_growth),
                0.0,
                costs.inflation,
            )
        return cls(
            codes=codes,
            areas=tuple(f"w{i + 1}" for i in range(areas)),
            start_year=start_year,
            begun=np.broadcast_to(begun, (draws, *begun.shape)).copy(),
            durations=np.stack([d.pmf for d in durs])[None],
            stock=stock,
            costs=costs,
            notes=("synthetic: national rates and durations (DOMAIN.md § 6.3)",),
        )
