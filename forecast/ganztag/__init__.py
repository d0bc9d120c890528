"""Ganztag in der Grundschule: all-day care of primary-school children under the GaFöG entitlement.

From the projected population (draw by draw) to primary-school cohorts per school year
(``cohorts``), the entitlement rollout of § 24 Abs. 4 SGB VIII (``entitlement``), demand under a
take-up path (``demand``), places, catchment areas and gaps per school, district and city
(``places``, ``catchments``), and staff and cost (``costs``). Knows nothing of Hydra or run
folders; the stage ``simulation.stage_ganztag`` drives it.

**Year convention.** A school year runs from 1 August t to 31 July t+1 and carries ``year = t``
(2026 = school year 2026/27), like the Kita year (``forecast.kita.cohorts``); its children are
counted from the population at 31.12. of t.
"""
