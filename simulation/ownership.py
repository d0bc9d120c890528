"""Who owns a file or folder being written, and cleaning up after writers that died.

A run that is killed (``kill -9``, out of memory, a power cut) cannot remove its partial folder or
temporary files. The next writer removes them, but only when their owner is really gone: a process
id alone does not say so (in a container where jhplan is process 1 every run has the same pid),
so ownership is an ``fcntl.flock`` held for the writer's life. The kernel releases it when the
process ends, however it ends; a lock that can be taken is a lock whose owner is gone.

* A run folder ``<name>`` is owned through the lock file ``.<name>.run-lock`` beside it (holding
  the owner's pid, host and start time, for the message a second run gets). Its partial folder is
  ``.<name>.partial-<pid>-<random token>``. A partial folder whose lock can be taken is stale.
* A temporary file (``.<name>.tmp-<pid>-<token>``, renamed over ``<name>`` when complete) is
  locked itself while it is written.

A lock file is removed by its owner while still holding it. Whoever takes a lock therefore checks
that the path still names the file it locked, and starts again otherwise (the usual protocol for
lock files that are deleted).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".run-lock"
WAIT_FOR_CLEANER_S = 2.0
"""How long to wait for a lock held by someone who has not written an owner record yet (another
run cleaning up, which holds the lock for a moment only)."""


class RunFolderBusy(RuntimeError):
    """Another live jhplan process is writing the same run folder."""


def partial_prefix(name: str) -> str:
    """Prefix of the hidden partial folders of run folder ``name``."""
    return f".{name}.partial-"


def lock_file(final: Path) -> Path:
    """The lock file that owns run folder ``final``."""
    return final.parent / f".{final.name}{LOCK_SUFFIX}"


def new_token() -> str:
    """pid (for people reading a listing) and a random part (pids are reused)."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _take(path: Path, wait: float) -> tuple[int | None, str]:
    """Lock ``path`` (created if missing) without blocking on a live owner.

    Returns:
        ``(fd, "")`` when locked; ``(None, owner record)`` when a live owner holds it.
    """
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 1000, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            if owner or time.monotonic() >= deadline:
                return None, owner
            time.sleep(0.05)
            continue
        if _same_file(fd, path):
            return fd, ""
        os.close(fd)  # removed by its owner after we opened it: take the new one


def _release(fd: int, path: Path) -> None:
    try:
        if _same_file(fd, path):
            path.unlink()
    finally:
        os.close(fd)


@contextmanager
def owned_run_name(final: Path) -> Iterator[str]:
    """Own the run folder name ``final`` for the block; yields a fresh token for its partial folder.

    Raises:
        RunFolderBusy: a live process owns ``final`` already.
    """
    path = lock_file(final)
    fd, owner = _take(path, WAIT_FOR_CLEANER_S)
    if fd is None:
        raise RunFolderBusy(
            f"another jhplan run ({owner or 'owner unknown'}) is writing {final}; "
            "wait for it to finish or choose another folder"
        )
    try:
        token = new_token()
        started = datetime.now().isoformat(timespec="seconds")
        record = f"pid {os.getpid()} on {socket.gethostname()}, started {started}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode("utf-8"), 0)
        yield token
    finally:
        _release(fd, path)


def hold_lock(path: Path) -> int | None:
    """Take the lock file ``path`` without waiting, for as long as this process holds the returned
    descriptor (give it back with ``release_lock``); None if a live process holds it."""
    fd, _ = _take(path, wait=0)
    if fd is not None:
        record = f"pid {os.getpid()} on {socket.gethostname()}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode("utf-8"), 0)
    return fd


def release_lock(fd: int, path: Path) -> None:
    """Give back a lock taken with ``hold_lock`` (the lock file is removed)."""
    _release(fd, path)


def lock_is_held(path: Path) -> bool:
    """Whether a live process holds the lock file ``path`` (it is taken and given back if not)."""
    if not path.exists():
        return False
    fd, _ = _take(path, wait=0)
    if fd is None:
        return True
    _release(fd, path)
    return False


PARTIAL = re.compile(r"\.(?P<name>.+)\.partial-[^/]*")


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove partial folders (and lock files) in ``parent`` whose runs are gone.

    Partial folders of the same run name share that name's lock: when it can be taken, no live run
    writes that name, and every partial folder of it is left over from a run that died.

    Returns:
        The removed partial folders (each also logged).
    """
    if not parent.is_dir():
        return []
    names: dict[str, list[Path]] = {}
    for entry in parent.iterdir():
        match = PARTIAL.fullmatch(entry.name)
        if match and entry.is_dir():
            names.setdefault(match["name"], []).append(entry)
        elif entry.name.startswith(".") and entry.name.endswith(LOCK_SUFFIX):
            names.setdefault(entry.name[1 : -len(LOCK_SUFFIX)], [])
    removed = []
    for name, partials in sorted(names.items()):
        path = lock_file(parent / name)
        fd, _ = _take(path, wait=0)
        if fd is None:  # a live run owns this name; its partial folder is in use
            continue
        try:
            for partial in partials:
                shutil.rmtree(partial, ignore_errors=True)
                log.warning("removed %s, left by an interrupted run", partial)
                removed.append(partial)
        finally:
            _release(fd, path)
    return removed


TEMP = re.compile(r"\..+\.tmp-[^/]*")


@contextmanager
def temporary_file(target: Path) -> Iterator[Path]:
    """A locked temporary path beside ``target``; renamed over ``target`` if the block succeeds.

    Stale temporary files in the folder (their writer gone) are removed first.
    """
    remove_stale_temporaries(target.parent)
    tmp = target.with_name(f".{target.name}.tmp-{new_token()}")
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        # The lock stays on this inode while the writer truncates and fills the file by path.
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield tmp
        os.replace(tmp, target)
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove ``.<name>.tmp-*`` files in ``folder`` that no live writer holds."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if not TEMP.fullmatch(entry.name) or not entry.is_file():
            continue
        try:
            fd = os.open(entry, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            if _same_file(fd, entry):
                entry.unlink()
                log.warning("removed %s, left by an interrupted writer", entry)
                removed.append(entry)
        finally:
            os.close(fd)
    return removed
