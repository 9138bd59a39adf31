"""Long-tail structures: a decaying count-min sketch and a vectorised hash -> slot index."""

from __future__ import annotations

import numpy as np

RESCALE_BELOW = 1e-6  # fold the lazy decay into the table before float32 cells grow too large
# Phrase hashes are already mixed (text.mix64), so disjoint bit ranges act as independent hashes.
_ROW_SHIFTS = (0, 21, 42)
_NOBODY = np.iinfo(np.int32).max


def scatter_add(target: np.ndarray, cells: np.ndarray, weight: float = 1.0) -> None:
    """target[cells] += weight with repeats counted.

    ``np.add.at`` has a fast path for 1-D integer indices since numpy 1.25: about 20 times
    faster here than counting with ``np.unique`` (a sort) and linear in the cells.
    """
    if cells.size:
        np.add.at(target, cells, target.dtype.type(weight))


def _bits(hashes: np.ndarray, shift: int, mask: int) -> np.ndarray:
    return (hashes.view(np.int64) >> shift) & mask


class CountMinSketch:
    """Count-min sketch with exponential decay: estimates each phrase's *recent* count."""

    def __init__(
        self, width_bits: int = 20, depth: int = 3, table: np.ndarray | None = None
    ) -> None:
        if not 1 <= depth <= len(_ROW_SHIFTS) or not 8 <= width_bits <= 21:
            raise ValueError("unsupported sketch shape")
        self.width_bits = width_bits
        self.mask = (1 << width_bits) - 1
        # ``table``: where the cells live (a TwinSketch's view), else an array of its own.
        self.table = (
            np.zeros((depth, 1 << width_bits), dtype=np.float32) if table is None else table
        )
        # Decay is lazy: cells hold counts divided by `scale`, so decaying is one multiplication
        # of a float, not of the whole table (idle stream time costs nothing).
        self.scale = 1.0

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes)

    def cells(self, hashes: np.ndarray) -> list[np.ndarray]:
        """Each row's cell per hash; sketches of one shape share them (compute once)."""
        return [_bits(hashes, shift, self.mask) for shift in _ROW_SHIFTS[: len(self.table)]]

    def add(self, hashes: np.ndarray, cells: list[np.ndarray] | None = None) -> None:
        for row, cell in zip(self.table, cells or self.cells(hashes), strict=True):
            scatter_add(row, cell, 1.0 / self.scale)

    def add_estimate(self, hashes: np.ndarray, cells: list[np.ndarray]) -> np.ndarray:
        """``add`` then ``estimate``, row by row: each row is read while it is in cache."""
        est: np.ndarray | None = None
        for row, cell in zip(self.table, cells, strict=True):
            scatter_add(row, cell, 1.0 / self.scale)
            values = row[cell]
            est = values if est is None else np.minimum(est, values, out=est)
        assert est is not None
        return est * np.float32(self.scale)

    def estimate(self, hashes: np.ndarray, cells: list[np.ndarray] | None = None) -> np.ndarray:
        est: np.ndarray | None = None
        for row, cell in zip(self.table, cells or self.cells(hashes), strict=True):
            values = row[cell]
            est = values if est is None else np.minimum(est, values, out=est)
        assert est is not None
        return est * np.float32(self.scale)

    def decay(self, factor: float) -> None:
        self.scale *= factor
        if self.scale < RESCALE_BELOW:
            self.table *= np.float32(self.scale)
            self.scale = 1.0


class TwinSketch:
    """A fast and a slow decaying sketch of one shape whose cells for a hash sit side by side.

    Both count every long-tail occurrence in the same cells; the sketches are far larger
    than the CPU caches, so counting an occurrence in both costs one trip to memory per row
    instead of two when each pair of cells shares a cache line.
    """

    def __init__(self, width_bits: int = 20, depth: int = 3) -> None:
        self.pairs = np.zeros((depth, 1 << width_bits, 2), dtype=np.float32)
        self.fast = CountMinSketch(width_bits, depth, self.pairs[:, :, 0])
        self.slow = CountMinSketch(width_bits, depth, self.pairs[:, :, 1])

    def add_estimate(self, cells: list[np.ndarray]) -> np.ndarray:
        """Count one occurrence per cell in both; the fast sketch's estimate after it."""
        fast = np.float32(1.0 / self.fast.scale)
        slow = np.float32(1.0 / self.slow.scale)
        est: np.ndarray | None = None
        for row, cell in zip(self.pairs, cells, strict=True):
            flat = row.reshape(-1)  # fast, slow, fast, slow, ...
            at = cell * 2
            if at.size:
                np.add.at(flat, at, fast)
            values = flat[at]
            est = values if est is None else np.minimum(est, values, out=est)
            at += 1
            if at.size:
                np.add.at(flat, at, slow)
        assert est is not None
        return est * np.float32(self.fast.scale)


class SlotIndex:
    """Open table mapping phrase hash -> slot id with two candidate cells per key.

    Lookups are two numpy gathers; a key whose both cells are taken is simply not admitted
    (at the default load factor of a few percent this almost never happens).
    """

    def __init__(self, bits: int = 20) -> None:
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.slots = np.full(1 << bits, -1, dtype=np.int64)
        self._owner: np.ndarray | None = None  # scratch for insert_many, all _NOBODY between calls

    def _cells(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _bits(hashes, 8, self.mask), _bits(hashes, 36, self.mask)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Slot per hash, -1 when absent."""
        # Slots are gathered only where the key matched, and second cells only for the keys
        # not in their first: most phrases of a batch are in neither (the long tail).
        c1 = _bits(hashes, 8, self.mask)
        hit = self.keys[c1] == hashes
        out = np.full(hashes.size, -1, dtype=np.int64)
        found = np.flatnonzero(hit)
        out[found] = self.slots[c1[found]]
        miss = np.flatnonzero(~hit)
        if miss.size:
            c2 = _bits(hashes[miss], 36, self.mask)
            hit2 = self.keys[c2] == hashes[miss]
            out[miss[hit2]] = self.slots[c2[hit2]]
        return out

    def insert_many(self, keys: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Insert distinct absent keys with their slots; True where a key found a cell.

        Each key takes its first cell if empty, else its second; of keys wanting the same
        empty cell the first in order wins, and a key left without a cell is not admitted.
        """
        placed = np.zeros(keys.size, dtype=bool)
        for cells in self._cells(keys):
            todo = np.flatnonzero(~placed)
            want = cells[todo]
            empty = self.keys[want] == 0
            todo, want = todo[empty], want[empty]
            if todo.size == 0:
                continue
            won = self._first_per_cell(want)
            todo, want = todo[won], want[won]
            self.keys[want] = keys[todo]
            self.slots[want] = slots[todo]
            placed[todo] = True
        return placed

    def _first_per_cell(self, cells: np.ndarray) -> np.ndarray:
        """True for the first of the entries wanting each cell (a scatter, not a sort)."""
        if self._owner is None:
            self._owner = np.full(self.keys.size, _NOBODY, dtype=np.int32)
        order = np.arange(cells.size, dtype=np.int32)
        np.minimum.at(self._owner, cells, order)
        won = self._owner[cells] == order
        self._owner[cells] = _NOBODY
        return won

    def remove(self, keys: np.ndarray) -> None:
        if keys.size == 0:
            return
        c1, c2 = self._cells(keys)
        for cells in (c1, c2):
            hit = self.keys[cells] == keys
            self.keys[cells[hit]] = 0
            self.slots[cells[hit]] = -1

    def rebuild(self, slot_keys: np.ndarray) -> None:
        """Re-create the index from a slot -> key array (used by restore)."""
        self.keys[:] = 0
        self.slots[:] = -1
        slots = np.flatnonzero(slot_keys)
        self.insert_many(slot_keys[slots], slots)
