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

A killed sweep resumes: the same ``jhplan run -m ...`` command again finds the newest sweep
folder beside its own whose manifest has the same overrides, is not ``complete`` and whose
launching process is gone (it holds ``.sweep.owner-lock`` for its life), and runs into that folder
instead of a new one (``resumable_sweep``). Each job computes its identity (``job_identity``:
sha256 of the task, the resolved configuration with seed and draws, the sha256 of every input
file and the git revision) and, where its run folder holds a finished run of the same identity,
skips it with a message (``finished_job``); the job record says so. Unfinished jobs run again
(their partial folders are cleaned first, ``simulation.ownership``). A folder holding a finished
run of another identity is never overwritten: that job fails with a message.

Launchers (``hydra/launcher=...``): ``basic`` (one job after another), ``joblib`` (local
processes), ``submitit_local`` / ``submitit_slurm`` (hydra-submitit-launcher; SLURM on a cluster)
and ``ray`` (hydra-ray-launcher, optional extra ``jhplan[ray]``: it pins ``cloudpickle<3``, which
conflicts with joblib 1.6, so install it in its own environment).

References:
    Hydra 1.3, "Callbacks" (hydra.cc/docs/experimental/callbacks) and "Launcher plugins".
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hydra.core.utils import JobReturn, JobStatus
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from forecast.validate import input_files
from simulation.hydra_run import derived_scenario, job_run_dir
from simulation.ownership import hold_lock, lock_is_held, release_lock, temporary_file
from simulation.rundir import git_revision, now_iso

log = logging.getLogger(__name__)

MANIFEST = "sweep_manifest.json"
JOBS = ".jobs"
OWNER_LOCK = ".sweep.owner-lock"
"""Held by a sweep's launching process for its life: a sweep whose lock can be taken is not
running any more and may be resumed."""
_SKIPPED: set[str] = set()
"""Run folders whose finished run a job of this process found and skipped (for its record)."""


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


def job_identity(cfg: Any, task: str) -> str:
    """The identity of a job: what makes two runs give the same results.

    sha256 of the task, the resolved configuration (as in the run manifest's ``config``: scenario,
    seed, draws, horizon, every parameter and setting), the sha256 of every input file (the city
    folder's city.yaml and contract files, ``city.housing_plan`` and
    ``population.assumptions_file``) and the code's git revision.

    Args:
        cfg: the job's typed configuration (``simulation.config.JhplanConfig``).
        task: ``run`` or ``backtest``.
    """
    from simulation.config import PROJECT_ROOT, resolve_data_dir  # hydra-free; heavy imports

    config = OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
    files = {
        name: str(path) for name, path in input_files(resolve_data_dir(cfg.city.data_dir)).items()
    }
    for extra in (cfg.city.housing_plan, cfg.population.assumptions_file):
        if extra:
            path = resolve_data_dir(extra)
            files[str(path)] = str(path)
    digests = {}
    for name, path in sorted(files.items()):
        try:
            digests[name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            digests[name] = "unreadable"  # the job itself says why
    identity = {
        "task": task,
        "config": config,
        "inputs": digests,
        "git_revision": git_revision(PROJECT_ROOT),
    }
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def finished_job(run_dir: Path, identity: str) -> str | None:
    """A message if ``run_dir`` holds the finished run of a job with this identity, else None.

    Raises:
        ValueError: ``run_dir`` holds a finished run of another identity (another configuration,
            seed, input data or code), which is never overwritten.
    """
    manifest = Path(run_dir) / "manifest.json"
    if not manifest.is_file():  # no run, or only what a killed job left (cleaned by the job)
        return None
    try:
        found = json.loads(manifest.read_text("utf-8")).get("job_identity")
    except (OSError, ValueError):
        found = None
    if found == identity:
        _SKIPPED.add(str(Path(run_dir).resolve()))
        return (
            f"{Path(run_dir).name}: finished run found with the same configuration, seed and "
            f"input data (job identity {identity[:12]}), skipped"
        )
    raise ValueError(
        f"run folder {run_dir} holds a finished run of another configuration, seed, input data "
        f"or code version (job identity {str(found)[:12]}, this job {identity[:12]}); jhplan "
        "never overwrites a run: start the sweep in a new folder"
    )


def resumable_sweep(parent: Path, overrides: list[str]) -> Path | None:
    """The newest sweep folder in ``parent`` that the same command left unfinished, if any.

    Unfinished: its manifest has the same overrides and no status ``complete``, and no live
    process holds its ``OWNER_LOCK`` (a sweep running now is never joined).
    """
    found = []
    for manifest in Path(parent).glob(f"*/{MANIFEST}"):
        try:
            header = json.loads(manifest.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if header.get("status") == "complete" or header.get("overrides") != overrides:
            continue
        if not lock_is_held(manifest.parent / OWNER_LOCK):
            found.append((str(header.get("created_at", "")), manifest.parent))
    return max(found)[1] if found else None


def _sweep_dir_given(hydra: DictConfig) -> bool:
    return any(str(o).startswith("hydra.sweep.dir=") for o in hydra.overrides.hydra)


class SweepManifest(Callback):
    """Hydra callback writing ``sweep_manifest.json`` (see the module docstring)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        hydra = config.hydra
        overrides = list(OmegaConf.to_container(hydra.overrides.task, resolve=False))
        sweep_dir = Path(str(hydra.sweep.dir)).resolve()
        old = None if _sweep_dir_given(hydra) else resumable_sweep(sweep_dir.parent, overrides)
        if old is not None and "'" not in str(old):
            # Every job's configuration is composed again from the hydra overrides.
            with read_write(config), open_dict(config):
                hydra.sweep.dir = str(old)
                hydra.overrides.hydra.append(f"hydra.sweep.dir='{old}'")
            sweep_dir = old
            print(f"resuming the unfinished sweep in {old}: finished jobs are skipped")
        sweep_dir.mkdir(parents=True, exist_ok=True)
        self._owner = hold_lock(sweep_dir / OWNER_LOCK)
        (sweep_dir / JOBS).mkdir(exist_ok=True)
        header = {
            "task": "sweep",
            "sweep_dir": str(sweep_dir),
            "created_at": now_iso(),
            "status": "running",
            "overrides": overrides,
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
        if str(run_dir) in _SKIPPED:
            record["skipped"] = "finished run of the same job identity found; not run again"
            if target.exists():  # keep the record of the run that exists, note the resumption
                old = json.loads(target.read_text("utf-8"))
                if old["status"] == "completed":
                    old.setdefault("skipped_at", []).append(record["finished_at"])
                    record = old
        elif failed and target.exists():
            # A restarted sweep finds the job's run folder already there (runs are never
            # overwritten): keep the record of the run that exists, note the failed attempt.
            old = json.loads(target.read_text("utf-8"))
            if old["status"] == "completed" and Path(old["run_dir"]).is_dir():
                old["later_attempt_failed"] = record["error"]
                record = old
        _write_atomic(target, record)
        rebuild(sweep_dir)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
        rebuild(sweep_dir, status="complete")
        if getattr(self, "_owner", None) is not None:
            release_lock(self._owner, sweep_dir / OWNER_LOCK)
            self._owner = None
