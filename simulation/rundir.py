"""Run folders: written under a temporary name and renamed when complete; never overwritten.

A run folder holds ``manifest.json``, the ``results/`` Parquet dataset and figures. While a run is
in progress everything goes to a hidden sibling ``.<name>.partial-<pid>-<token>``; only a run
that finishes is renamed to its final name, so a folder with the final name is always whole. A
run that fails (or is interrupted with Ctrl-C / SIGTERM) removes its partial folder; one that is
killed outright leaves it, and the next run into the same parent folder removes it
(``simulation.ownership``: a run owns its folder name through a lock held for its life, so a
second run into the same folder is refused up front).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from simulation.ownership import (
    owned_run_name,
    partial_prefix,
    remove_stale_partials,
)

PACKAGES = (
    "jhplan",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyarrow",
    "hydra-core",
    "mesa",
    "matplotlib",
)


class RunFolderExists(FileExistsError):
    """The target run folder already holds a run; jhplan never overwrites one."""


@dataclass
class RunFolder:
    """A run folder being written.

    Attributes:
        final: where the run will be once complete.
        work: where files are written meanwhile.
        manifest: the manifest being assembled; written last.
    """

    final: Path
    work: Path
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return self.final.name

    def path(self, *parts: str) -> Path:
        """A path inside the (work) folder; parent folders are created."""
        target = self.work.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a pipeline stage into the manifest (wall seconds) with the process's peak
        resident memory so far (MiB; the stage where it grows is the one that needed it)."""
        t0 = time.perf_counter()
        yield
        self.manifest.setdefault("wall_time_s", {})[name] = round(time.perf_counter() - t0, 3)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        self.manifest.setdefault("peak_rss_mib", {})[name] = round(peak)


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


@contextmanager
def open_run_folder(final: Path) -> Iterator[RunFolder]:
    """Create a run folder atomically, owning its name for the run's life.

    Partial folders of runs that died (``kill -9``, a crash of the machine) are removed first.
    The final folder is created by the rename only.

    Args:
        final: the run folder's final path. It may exist only as an empty folder.

    Raises:
        RunFolderExists: when ``final`` exists and is not empty.
        RunFolderBusy: when another live run is writing ``final``.
    """
    final = Path(final).resolve()
    if final.exists() and not _is_empty_dir(final):
        raise RunFolderExists(
            f"run folder {final} already exists and is not empty; jhplan never overwrites a run"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum, frame):  # turn SIGTERM into an exception so the cleanup below runs
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _terminate)
    try:
        with owned_run_name(final) as token:
            remove_stale_partials(final.parent)
            work = final.parent / f"{partial_prefix(final.name)}{token}"
            work.mkdir()
            folder = RunFolder(final=final, work=work)
            try:
                yield folder
                write_json(folder.path("manifest.json"), folder.manifest)
                if final.exists() and not _is_empty_dir(final):  # written meanwhile by hand
                    raise RunFolderExists(
                        f"run folder {final} appeared while the run was written; jhplan never "
                        "overwrites a run"
                    )
                if _is_empty_dir(final):
                    final.rmdir()
                os.rename(work, final)  # atomic on one file system
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                if _is_empty_dir(final):
                    final.rmdir()
                raise
    finally:
        signal.signal(signal.SIGTERM, previous)


def write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )


def sha256_files(files: dict[str, Path]) -> dict[str, str]:
    """sha256 of every input file, keyed by file name."""
    out = {}
    for _, path in sorted(files.items()):
        out[Path(path).name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


def git_revision(root: Path) -> str:
    """The project's git commit (with ``-dirty`` if the work tree has changes), or ``unknown``."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
