"""HzE demand and cost forecast per district and Hilfeart (Hilfen zur Erziehung, §§ 27-35a, 41 SGB VIII).

One idea per module:

* ``catalogue``: the Hilfearten with German labels, age profiles, durations, national rates and
  unit costs, each with its source (DOMAIN.md § 1, § 6.3, § 6.4);
* ``history``: a city's ``hze_cases`` as arrays, and the age-weighted population exposure;
* ``durations`` / ``duration_fit``: monthly duration distributions, the stock-flow bookkeeping of
  begun, ended and running cases and case-months, and the estimate of a mean duration;
* ``series`` / ``rate_models``: count regressions of begun cases with population exposure
  (national prior, Gamma-Poisson, Poisson and negative-binomial GLMs), one contract for all;
* ``selection`` / ``reconcile``: rolling-origin backtests that choose a model, and bottom-up or
  non-negative MinT reconciliation of districts with the city;
* ``settings`` / ``model``: fitting a city's model Hilfeart by Hilfeart, with fallbacks;
* ``costs``: unit costs, price growth and its uncertainty, nominal and real costs per budget year;
* ``forecast``: draws combining population draws, parameter uncertainty, count noise, durations
  and costs into quantiles; ``expected_begun`` for the agent-based model;
* ``backtest``: ex-post evaluation from a past base year (for ``backtest.target=hze``);
* ``synthetic`` / ``recovery``: synthetic histories and the recovery and coverage checks.
"""
