"""The twin sketches count exactly as two separate decaying count-min sketches would."""

from __future__ import annotations

import numpy as np

from bot.engine.sketch import CountMinSketch, TwinSketch
from bot.engine.tokens import mix64


def test_twin_sketches_count_like_two_separate_ones() -> None:
    rng = np.random.default_rng(2)
    twin = TwinSketch(width_bits=10)
    fast, slow = CountMinSketch(width_bits=10), CountMinSketch(width_bits=10)
    for step in range(40):
        hashes = mix64(rng.zipf(1.3, 500).astype(np.uint64))  # repeats within a batch
        cells = fast.cells(hashes)
        est = twin.add_estimate(cells)
        fast.add(hashes, cells)
        slow.add(hashes, cells)
        assert np.array_equal(est, fast.estimate(hashes, cells))
        for sketch in (twin.fast, fast):
            sketch.decay(0.9)
        for sketch in (twin.slow, slow):
            sketch.decay(0.5 if step % 7 else 1e-3)  # folds the lazy scale in now and then
        assert np.array_equal(twin.fast.table, fast.table) and twin.fast.scale == fast.scale
        assert np.array_equal(twin.slow.table, slow.table) and twin.slow.scale == slow.scale
    assert twin.fast.nbytes == fast.nbytes
