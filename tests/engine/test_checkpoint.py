"""Checkpoint round trips continue identically; corrupt data raises CheckpointError."""

from __future__ import annotations

import numpy as np
import pytest

from bot.engine import CheckpointError, EngineConfig, NarrativeEngine
from bot.engine.checkpoint import dump, load
from bot.engine.generator import merge, replay

from .scenarios import GHOST_VARIANTS, MEME_START, background


@pytest.fixture(scope="module")
def stream():
    gen, bg = background(11, hours=5)
    meme = gen.meme(
        GHOST_VARIANTS,
        start_minute=MEME_START,
        ramp_minutes=60,
        peak_per_minute=6,
        leader="karpathy",
    )
    return merge(bg, meme)


def _json(alerts):
    return [a.to_json() | {"episode": a.episode} for a in alerts]


def test_restore_continues_identically(stream):
    cut = next(
        i for i, p in enumerate(stream) if p.created_at.hour == 3 and p.created_at.minute >= 30
    )
    straight = NarrativeEngine(leaders=["karpathy"])
    expected = _json(replay(straight, stream))
    assert expected, "scenario must alert for the comparison to mean anything"

    first = NarrativeEngine(leaders=["karpathy"])
    before = _json(replay(first, stream[:cut]))
    restored = load(dump(first), leaders=["karpathy"])
    assert restored.now == first.now
    assert restored.stats()["posts"] == cut
    assert restored.source_since == first.source_since and len(first.source_since) == 6
    assert restored.table.live.tolist() == first.table.live.tolist()  # derived, rebuilt
    assert restored.heard.posts == first.heard.posts > 0  # the latest posts, as word hashes
    keys = np.unique(first.heard.batches[-1].phrase)
    assert restored.heard.said(keys) == first.heard.said(keys)
    after = _json(replay(restored, stream[cut:]))
    assert before + after == expected
    live = restored.table.live.tolist()
    assert live == straight.table.live.tolist() == np.flatnonzero(restored.table.keys).tolist()
    assert [v.key for v in restored.narratives()] == [v.key for v in straight.narratives()]


def test_checkpoint_is_deterministic(stream):
    a, b = NarrativeEngine(), NarrativeEngine()
    replay(a, stream[:3000])
    replay(b, stream[:3000])
    assert dump(a) == dump(b)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d[:20],
        lambda d: b"NOTANENG" + d[8:],
        lambda d: d[:8] + b"\x00\x63" + d[10:],
        lambda d: d[:-1] + bytes([d[-1] ^ 0xFF]),
        lambda d: d[:60] + bytes([d[60] ^ 0x01]) + d[61:],
        lambda d: b"",
    ],
)
def test_corrupt_checkpoint_raises(stream, mangle):
    engine = NarrativeEngine()
    replay(engine, stream[:500])
    with pytest.raises(CheckpointError):
        load(mangle(dump(engine)))


def test_incompatible_config_raises(stream):
    engine = NarrativeEngine()
    replay(engine, stream[:200])
    with pytest.raises(CheckpointError):
        load(dump(engine), EngineConfig(capacity=1024))
