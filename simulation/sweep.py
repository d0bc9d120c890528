"""Sweeps (``jhplan run -m``): a manifest of the sweep beside its run folders.

One job = one run folder (``${run_root}/<timestamp>_sweep/<job number>_<scenario>``, written
atomically like every run). ``SweepManifest`` is a Hydra callback (``hydra.callbacks`` in
``conf/config.yaml``) that keeps ``sweep_manifest.json`` in the sweep folder:

* at the start of the sweep (launching process): the sweep's overrides, launcher, sweeper,
  created_at, status ``running``;
* after each job (in the process that ran it: the launching process for the basic launcher, a
  worker for joblib, submitit or Ray): the job's record (number, overrides, run folder, status,
  error) in ``.jobs/<run folder>.json``, then the manifest is rebuilt from all records under a file
  lock, so that jobs finishing at the same time on a shared file system lose nothing;
* at the end (launching process): status ``complete``; a sweep whose jobs failed ends with
  ``failed`` jobs listed and Hydra's error, the manifest keeps status ``running``.

Launchers (``hydra/launcher=...``): ``basic`` (one job after another), ``joblib`` (local
processes), ``submitit_local`` / ``submitit_slurm`` (hydra-submitit-launcher; SLURM on a cluster)
and ``ray`` (hydra-ray-launcher, optional extra ``jhplan[ray]``: it pins ``cloudpickle<3``, which
conflicts with joblib 1.6, so install it in its own environment).

References:
    Hydra 1.3, "Callbacks" (hydra.cc/docs/experimental/callbacks) and "Launcher plugins".
"""

from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from simulation.hydra_run import derived_scenario, job_run_dir
from simulation.ownership import temporary_file
from simulation.rundir import now_iso

MANIFEST = "sweep_manifest.json"
JOBS = ".jobs"


class JobFailed(RuntimeError):
    """A job of a sweep failed on bad input or settings; the sweep goes on with the others."""


def _write_atomic(path: Path, data: Any) -> None:
    with temporary_file(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


@contextmanager
def _locked(sweep_dir: Path):
    with open(sweep_dir / ".sweep_manifest.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_sweep_manifest(sweep_dir: Path) -> dict:
    """The sweep manifest of ``sweep_dir``."""
    return json.loads((Path(sweep_dir) / MANIFEST).read_text(encoding="utf-8"))


def rebuild(sweep_dir: Path, status: str | None = None) -> dict:
    """Rebuild ``sweep_manifest.json`` from its header and the job records (under the lock)."""
    sweep_dir = Path(sweep_dir)
    with _locked(sweep_dir):
        path = sweep_dir / MANIFEST
        manifest = json.loads(path.read_text("utf-8")) if path.exists() else {}
        jobs = []
        for record in sorted((sweep_dir / JOBS).glob("*.json")):
            jobs.append(json.loads(record.read_text("utf-8")))
        jobs.sort(key=lambda j: (j["num"], j["run_dir"]))
        manifest["jobs"] = jobs
        manifest["jobs_completed"] = sum(j["status"] == "completed" for j in jobs)
        manifest["jobs_failed"] = sum(j["status"] == "failed" for j in jobs)
        if status is not None:
            manifest["status"] = status
            manifest[f"{status}_at"] = now_iso()
        _write_atomic(path, manifest)
    return manifest


class SweepManifest(Callback):
    """Hydra callback writing ``sweep_manifest.json`` (see the module docstring)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        hydra = config.hydra
        sweep_dir = Path(str(hydra.sweep.dir)).resolve()
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / JOBS).mkdir(exist_ok=True)
        header = {
            "task": "sweep",
            "sweep_dir": str(sweep_dir),
            "created_at": now_iso(),
            "status": "running",
            "overrides": list(OmegaConf.to_container(hydra.overrides.task, resolve=False)),
            "launcher": str(OmegaConf.select(hydra, "launcher._target_", default="")),
            "sweeper": str(OmegaConf.select(hydra, "sweeper._target_", default="")),
            "subdir": str(OmegaConf.to_container(hydra.sweep, resolve=False).get("subdir", "")),
            "jobs": [],
        }
        with _locked(sweep_dir):
            path = sweep_dir / MANIFEST
            if path.exists():  # a sweep started again in the same folder: keep its history
                old = json.loads(path.read_text("utf-8"))
                old.setdefault("restarts", []).append(
                    {"created_at": header["created_at"], "overrides": header["overrides"]}
                )
                old["status"] = "running"
                header = old
            _write_atomic(path, header)

    def on_job_end(self, config: DictConfig, job_return: JobReturn, **kwargs: Any) -> None:
        hydra = config.hydra
        if hydra.mode != RunMode.MULTIRUN:
            return
        sweep_dir = Path(str(hydra.sweep.dir)).resolve()
        bundle = str(config.get("scenario", ""))
        run_dir = job_run_dir(hydra, bundle).resolve()  # named as the job named it
        scenario = derived_scenario(list(hydra.overrides.task), bundle) or bundle
        failed = job_return.status != JobStatus.COMPLETED
        record = {
            "num": int(hydra.job.num),
            "overrides": list(job_return.overrides or []),
            "run_dir": str(run_dir),
            "run_folder_complete": (run_dir / "manifest.json").is_file(),
            "scenario": scenario,
            "seed": config.get("seed"),
            "status": "failed" if failed else "completed",
            "error": str(job_return._return_value) if failed else None,
            "finished_at": now_iso(),
        }
        (sweep_dir / JOBS).mkdir(parents=True, exist_ok=True)
        target = sweep_dir / JOBS / f"{run_dir.name}.json"  # one record per run folder
        if failed and target.exists():
            # A restarted sweep finds the job's run folder already there (runs are never
            # overwritten): keep the record of the run that exists, note the failed attempt.
            old = json.loads(target.read_text("utf-8"))
            if old["status"] == "completed" and Path(old["run_dir"]).is_dir():
                old["later_attempt_failed"] = record["error"]
                record = old
        _write_atomic(target, record)
        rebuild(sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        rebuild(Path(str(config.hydra.sweep.dir)).resolve(), status="complete")
