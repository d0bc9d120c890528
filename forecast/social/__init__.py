"""Sozialraumanalyse: social index and classes of the districts (``index``), the need-based
budget split between the Wirkungsräume (``budget``), the HzE Kennzahlen (``kennzahlen``) and the
Wirkungsmonitor (``monitor``). Knows nothing of Hydra or run folders."""
