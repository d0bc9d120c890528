"""Nominal and real euros in ``finance.xlsx``: the price basis of a run and the deflation.

Real (price-adjusted) amounts are in prices of the parameter ``hze.costs.price_year``, deflated by
general price inflation (``hze.costs.inflation`` of ``forecast/parameters/hze.yaml``), exactly as
the HzE forecast writes ``HzE|Real cost``: real[t] = nominal[t] / (1 + inflation) ** (t -
price_year) (``forecast.hze.costs.CostAssumptions.deflator``). One factor per year for every draw,
so the quantiles of a real amount are the deflated quantiles of the nominal amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.hze.costs import CostAssumptions
from forecast.params import default_value


@dataclass(frozen=True)
class PriceBasis:
    """The prices real amounts are in.

    Attributes:
        price_year: the year whose prices real amounts are in.
        inflation: general price inflation per year, fraction.
    """

    price_year: int
    inflation: float

    @classmethod
    def of(cls, manifest: dict) -> PriceBasis:
        """The run's price basis (its configuration's ``hze.costs``; the defaults without)."""
        costs = manifest.get("config", {}).get("hze", {}).get("costs", {})
        year = costs.get("price_year", default_value("hze.costs.price_year"))
        inflation = costs.get("inflation", {}).get("value", default_value("hze.costs.inflation"))
        return cls(int(year), float(inflation))

    def deflator(self, years) -> np.ndarray:
        """General price level relative to ``price_year``, per year (1 in the price year)."""
        years = np.asarray(years, dtype=float)
        return CostAssumptions(
            {}, {}, price_year=self.price_year, inflation=self.inflation
        ).deflator(years)

    def real(self, frame: pd.DataFrame, columns: list[str], year: str = "year") -> pd.DataFrame:
        """A copy of ``frame`` with ``columns`` (nominal EUR) in prices of ``price_year``."""
        out = frame.copy()
        factor = self.deflator(out[year].to_numpy())
        for c in columns:
            out[c] = out[c].to_numpy(float) / factor
        return out

    def label(self) -> str:
        """German: which prices real amounts are in."""
        rate = f"{100 * self.inflation:.1f}".replace(".", ",")
        return (
            f"Euro real, in Preisen von {self.price_year} (bereinigt um eine allgemeine "
            f"Preissteigerung von {rate} % je Jahr)"
        )
