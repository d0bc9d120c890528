"""Draws of many cells kept within a memory budget: in memory when they fit, else on disk.

A stochastic run has N draws of every result cell (district x year x variable ...). The stages
compute draws in blocks (draw d always from its own seed, whatever the block), write each block
into a ``DrawStore`` and reduce afterwards one year at a time (quantiles need all N draws of a
cell at once). The store is laid out (year, draw, cell): a year is one contiguous read, a block of
draws one contiguous piece per year. Whether a store lives in memory or in a scratch file is
decided by the run's ``MemoryBudget``; the values are the same either way (same dtype), so a
run's results never depend on its memory budget.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MIB = 2**20


@dataclass
class MemoryBudget:
    """Bytes the run's draw stores may hold in memory; what did not fit is spilled to disk.

    Attributes:
        limit: bytes available to all stores together.
        scratch: folder of the spill files (the run's temporary folder; None = system temp).
        used: bytes granted to the stores currently in memory.
        log: store name -> what happened (size, ``memory`` or ``disk``): for the manifest.
    """

    limit: int
    scratch: Path | None = None
    used: int = 0
    log: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def mib(cls, megabytes: float, scratch: Path | None = None) -> MemoryBudget:
        return cls(int(megabytes * MIB), scratch)

    def grant(self, name: str, nbytes: int) -> bool:
        """Whether a store of ``nbytes`` may live in memory; recorded under ``name``."""
        fits = self.used + nbytes <= self.limit
        if fits:
            self.used += nbytes
        self.log[name] = {"mib": round(nbytes / MIB, 1), "kept": "memory" if fits else "disk"}
        return fits

    def release(self, nbytes: int) -> None:
        self.used = max(self.used - nbytes, 0)

    @property
    def spilled(self) -> list[str]:
        return [name for name, entry in self.log.items() if entry["kept"] == "disk"]

    def to_manifest(self) -> dict:
        return {
            "memory_budget_mb": round(self.limit / MIB),
            "stores": self.log,
            "spilled_to_disk": self.spilled,
        }


class DrawStore:
    """Draws (Y, N, C) of ``dtype``: written by draw block, read by year or by draw block.

    Use as a context manager or call ``close``; the scratch file is removed on close.
    """

    def __init__(
        self,
        name: str,
        years: int,
        draws: int,
        cells: int,
        budget: MemoryBudget,
        dtype: type = np.float64,
    ):
        self.name = name
        self.shape = (years, draws, cells)
        self.dtype = np.dtype(dtype)
        self.nbytes = years * draws * cells * self.dtype.itemsize
        self._budget = budget
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._fd: int | None = None
        self.array: np.ndarray | None = None
        self._mm: mmap.mmap | None = None
        if budget.grant(name, self.nbytes):
            # Shared anonymous memory (zeroed): processes forked to fill blocks of draws in
            # parallel write into the parent's store (``simulation.blockjobs``).
            self._mm = mmap.mmap(-1, max(self.nbytes, 1))
            self.array = np.frombuffer(self._mm, self.dtype, count=int(np.prod(self.shape)))
            self.array = self.array.reshape(self.shape)
        else:
            self._tmp = tempfile.TemporaryDirectory(dir=budget.scratch, prefix=f"jhplan-{name}-")
            path = Path(self._tmp.name) / "draws.bin"
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.ftruncate(self._fd, self.nbytes)

    def __enter__(self) -> DrawStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def spilled(self) -> bool:
        return self.array is None

    def _offset(self, year: int, draw: int) -> int:
        return (year * self.shape[1] + draw) * self.shape[2] * self.dtype.itemsize

    def write(self, year: int, first: int, block: np.ndarray) -> None:
        """Draws ``first .. first + len(block)`` of one year, ``block`` (n, ...) of C cells each."""
        data = np.ascontiguousarray(block, dtype=self.dtype).reshape(block.shape[0], -1)
        if data.shape[1] != self.shape[2]:
            raise ValueError(
                f"{self.name}: {data.shape[1]} cells per draw, expected {self.shape[2]}"
            )
        if self.array is not None:
            self.array[year, first : first + data.shape[0]] = data
        else:
            os.pwrite(self._fd, memoryview(data).cast("B"), self._offset(year, first))

    def write_block(self, first: int, block: np.ndarray) -> None:
        """Draws ``first ..`` of every year, ``block`` (n, Y, ...)."""
        for year in range(self.shape[0]):
            self.write(year, first, block[:, year])

    def read_year(self, year: int) -> np.ndarray:
        """All draws of one year, (N, C)."""
        if self.array is not None:
            return self.array[year]
        return self._read(year, 0, self.shape[1])

    def read_draws(self, first: int, last: int) -> np.ndarray:
        """Draws ``first .. last - 1`` of every year, (n, Y, C)."""
        if self.array is not None:
            return self.array[:, first:last].swapaxes(0, 1)
        out = np.empty((last - first, self.shape[0], self.shape[2]), dtype=self.dtype)
        for year in range(self.shape[0]):
            out[:, year] = self._read(year, first, last)
        return out

    def _read(self, year: int, first: int, last: int) -> np.ndarray:
        count = (last - first) * self.shape[2]
        raw = os.pread(self._fd, count * self.dtype.itemsize, self._offset(year, first))
        return np.frombuffer(raw, dtype=self.dtype).reshape(last - first, self.shape[2])

    def save(self, path: Path) -> None:
        """Write all draws to ``path`` as a ``.npy`` array (Y, N, C), one year at a time."""
        out = np.lib.format.open_memmap(path, mode="w+", dtype=self.dtype, shape=self.shape)
        for year in range(self.shape[0]):
            out[year] = self.read_year(year)
        out.flush()
        del out

    @classmethod
    def joined(
        cls, name: str, files: list[tuple[int, Path]], draws: int, budget: MemoryBudget
    ) -> DrawStore:
        """One store of ``draws`` draws from saved parts: ``(first draw, .npy file (Y, n, C))``.

        The values are copied as they are (same dtype), so reducing the joined store gives what
        one store filled with all draws gives.

        Raises:
            ValueError: the parts differ in years, cells or dtype, or do not fit ``draws``.
        """
        arrays = [(first, np.load(path, mmap_mode="r")) for first, path in files]
        years, _, cells = arrays[0][1].shape
        dtype = arrays[0][1].dtype
        for (first, array), (_, path) in zip(arrays, files, strict=True):
            if array.shape[0] != years or array.shape[2] != cells or array.dtype != dtype:
                raise ValueError(
                    f"{path}: draws of shape {array.shape} ({array.dtype}); expected "
                    f"({years}, n, {cells}) of {dtype} as in {files[0][1]}"
                )
            if first + array.shape[1] > draws:
                raise ValueError(f"{path}: draws {first}..{first + array.shape[1] - 1} > {draws}")
        store = cls(name, years, draws, cells, budget, dtype.type)
        try:
            for year in range(years):
                for first, array in arrays:
                    store.write(year, first, np.asarray(array[year]))
        except BaseException:
            store.close()
            raise
        return store

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        elif self.array is not None:
            self._budget.release(self.nbytes)
            self.array = None
            try:
                self._mm.close()
            except BufferError:  # a view of it is still alive: freed with the last view
                pass
            self._mm = None


def quantiles_first_axis(x: np.ndarray, levels) -> np.ndarray:
    """``np.quantile(x, levels, axis=0)`` (linear rule) to the last bit, by one sort per cell.

    Sorting each cell's draws once and interpolating the order statistics the way numpy does
    (``_lerp``: from below for weights < 0.5, from above otherwise) is several times faster than
    ``np.quantile`` with many cells on a strided axis. A cell with a NaN draw gives NaN, as in
    numpy. Returns (Q, *x.shape[1:]).
    """
    n = x.shape[0]
    flat = np.sort(np.asarray(x, dtype=np.float64).reshape(n, -1).T, axis=1)  # NaN last
    nan = np.isnan(flat[:, -1]) if n else np.zeros(flat.shape[0], bool)
    out = np.empty((len(levels), flat.shape[0]))
    for j, q in enumerate(np.asarray(levels, dtype=np.float64)):
        virtual = (n - 1) * q
        lo = int(np.floor(virtual))
        hi = min(lo + 1, n - 1)
        t = virtual - lo
        a, b = flat[:, lo], flat[:, hi]
        diff = b - a
        out[j] = a + diff * t if t < 0.5 else b - diff * (1 - t)
        out[j, nan] = np.nan
    return out.reshape((len(levels), *x.shape[1:]))


class DrawReducer:
    """Named arrays of blocks of draws, reduced per cell over all draws at the end.

    A stage adds ``{name: array (n, Y, *shape)}`` for draws ``first .. first + n`` block by block;
    ``by_year`` then gives every year's draws of all names, ``quantiles`` the quantiles and means.
    The draws live in one ``DrawStore`` (``dtype`` float64: the values are exactly those of the
    arrays added).
    """

    def __init__(
        self,
        name: str,
        shapes: dict[str, tuple[int, ...]],
        years: int,
        draws: int,
        budget: MemoryBudget,
    ):
        self.shapes = dict(shapes)
        self.sizes = [int(np.prod(shape)) for shape in self.shapes.values()]
        self.draws, self.years = draws, years
        self.store = DrawStore(name, years, draws, sum(self.sizes), budget, np.float64)
        self.added = 0

    @classmethod
    def of_store(cls, store: DrawStore, shapes: dict[str, tuple[int, ...]]) -> DrawReducer:
        """A reducer over a store already holding all draws (e.g. ``DrawStore.joined``)."""
        reducer = cls.__new__(cls)
        reducer.shapes = {name: tuple(shape) for name, shape in shapes.items()}
        reducer.sizes = [int(np.prod(shape)) for shape in reducer.shapes.values()]
        if sum(reducer.sizes) != store.shape[2]:
            raise ValueError(
                f"{store.name}: {store.shape[2]} cells, the shapes give {sum(reducer.sizes)}"
            )
        reducer.years, reducer.draws = store.shape[0], store.shape[1]
        reducer.store, reducer.added = store, store.shape[1]
        return reducer

    def __enter__(self) -> DrawReducer:
        return self

    def __exit__(self, *exc) -> None:
        self.store.close()

    def add(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        """Write and count draws ``first .. first + n`` (``arrays``: name -> (n, Y, *shape))."""
        self.write(first, arrays)
        self.added += next(iter(arrays.values())).shape[0]

    def write(self, first: int, arrays: dict[str, np.ndarray]) -> None:
        """Write without counting (a forked job; the parent counts with ``added``)."""
        n = next(iter(arrays.values())).shape[0]
        for k in range(self.years):
            parts = [
                np.asarray(arrays[name][:, k], dtype=np.float64).reshape(n, -1)
                for name in self.shapes
            ]
            self.store.write(k, first, np.concatenate(parts, axis=1))

    def by_year(self) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
        """``(year index, {name: draws (N, *shape)})`` for every year."""
        if self.added != self.draws:
            raise ValueError(f"{self.store.name}: {self.added} of {self.draws} draws added")
        bounds = np.cumsum([0, *self.sizes])
        for k in range(self.years):
            year = self.store.read_year(k)
            yield (
                k,
                {
                    name: year[:, bounds[i] : bounds[i + 1]].reshape((self.draws, *shape))
                    for i, (name, shape) in enumerate(self.shapes.items())
                },
            )

    def read_draws(self, first: int, last: int) -> dict[str, np.ndarray]:
        """Draws ``first .. last - 1`` of every year as written: name -> (n, Y, *shape)."""
        block = self.store.read_draws(first, last)
        bounds = np.cumsum([0, *self.sizes])
        return {
            name: block[:, :, bounds[i] : bounds[i + 1]].reshape((last - first, self.years, *shape))
            for i, (name, shape) in enumerate(self.shapes.items())
        }

    def quantiles(self, levels) -> dict[str, np.ndarray]:
        """Quantiles (numpy's linear rule) per name, (Q, Y, *shape)."""
        out = {
            name: np.empty((len(levels), self.years, *shape)) for name, shape in self.shapes.items()
        }
        for k, year in self.by_year():
            for name, draws in year.items():
                out[name][:, k] = quantiles_first_axis(draws, levels)
        return out
