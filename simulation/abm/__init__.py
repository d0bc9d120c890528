"""Agent-based model (Mesa 3) of a city's HzE system: classic vs Sozialraumorientierung (SRO).

One idea per module:

* ``params``: the mechanisms of the classic system and of SRO, each with unit, source and range;
* ``inputs``: incidence, durations, stocks and costs from the HzE forecast (or synthetic);
  Wirkungsräume from city.yaml;
* ``planning``: expected case load (Little's law) and what the Jugendamt plans from it: ASD
  staffing, places, the Planbudget;
* ``cases``: cases and referrals as columns of numpy arrays (no Python object per case);
* ``agents``: ASD teams, providers (Träger) and lead providers (Leitträger) as Mesa agents;
* ``model``: ``HzeSystemModel``, the monthly step;
* ``calibration``: the check that the classic model reproduces the HzE forecast;
* ``experiment``: replicates from ``SeedSequence``, scenarios, P10/P50/P90 of the differences;
* ``sensitivity``: one-at-a-time analysis of the SRO parameters (table and tornado data);
* ``tables`` / ``figures``: monthly results in the long format; fan and tornado charts.
"""
