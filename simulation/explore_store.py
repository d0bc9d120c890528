"""The population draws a run keeps for ``jhplan explore``: single ages 0..26 of every draw.

The demand models (Kita, HzE) read the population only as ``PopulationPaths`` of ages 0..26
(``forecast.population.paths``). The run's ``results`` hold the draws by age group only, so the
population stage also keeps these young ages, exactly as the demand stages saw them (same dtype:
float32 draws, or the variant path in float64), in ``<run>/draws/young.npy`` with
``draws/young.json`` (years, districts, draws). The explorer recomputes Kita and HzE from them
with the pipeline's own functions and gets the run's figures to the last bit.

``explore_draws_mb`` (default 256) caps the file; a larger one is not written and the manifest
says so (``explore``); the explorer then refuses the run and names the setting.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from forecast.population.paths import PopulationPaths

FOLDER, ARRAY, META = "draws", "young.npy", "young.json"


def keep_young_draws(ctx) -> None:
    """Write the population trajectories of the run (``ctx.population``) for the explorer."""
    paths = ctx.population
    limit = int(getattr(ctx.cfg, "explore_draws_mb", 256))
    first = next(paths.blocks(1))[2].population
    shape = (paths.draws, *first.shape[1:])
    size = int(np.prod(shape)) * first.dtype.itemsize
    entry = {"file": f"{FOLDER}/{ARRAY}", "bytes": size, "dtype": str(first.dtype)}
    if size > limit * 2**20:
        entry = {"file": None, "bytes": size, "note": f"larger than explore_draws_mb={limit}"}
        ctx.folder.manifest["explore"] = entry
        return
    out = np.lib.format.open_memmap(
        ctx.folder.path(FOLDER, ARRAY), mode="w+", dtype=first.dtype, shape=shape
    )
    for start, stop, block in paths.blocks(ctx.block):
        out[start:stop] = block.population
    out.flush()
    del out
    meta = {
        "years": [int(y) for y in paths.years],
        "districts": list(paths.districts),
        "draws": int(paths.draws),
        "stochastic": bool(paths.stochastic),
    }
    ctx.folder.path(FOLDER, META).write_text(json.dumps(meta), encoding="utf-8")
    ctx.folder.manifest["explore"] = entry


def load_young_draws(run_dir: Path) -> PopulationPaths:
    """The population trajectories a run kept (memory-mapped).

    Raises:
        ValueError: the run kept none (an older run, or ``explore_draws_mb`` too small).
    """
    folder = Path(run_dir) / FOLDER
    if not (folder / ARRAY).is_file():
        raise ValueError(
            f"{run_dir}: the run kept no population draws for the explorer (runs before this "
            "version, or draws larger than explore_draws_mb: run again with a larger "
            "explore_draws_mb=N)"
        )
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    population = np.load(folder / ARRAY, mmap_mode="r")
    return PopulationPaths(
        years=np.asarray(meta["years"]),
        districts=tuple(meta["districts"]),
        population=population,
        stochastic=bool(meta["stochastic"]),
    )
