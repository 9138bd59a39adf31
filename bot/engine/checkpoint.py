"""Versioned, checksummed engine snapshots (no code objects: only plain builtins are pickled)."""

from __future__ import annotations

import hashlib
import io
import pickle
import zlib
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.engine.candidates import CO_POSTS, Candidate
from bot.engine.config import STRUCTURAL, EngineConfig
from bot.engine.lifecycle import Narrative
from bot.engine.types import CheckpointError, Lifecycle, SamplePost

if TYPE_CHECKING:
    from bot.engine.engine import NarrativeEngine

MAGIC = b"GWENGINE"
VERSION = 2  # 2: narratives store their anchor slot and seed (leader, post)
_TABLE_ARRAYS = (
    "keys",
    "ring",
    "wsum",
    "ewma",
    "weight",
    "profile",
    "profile_days",
    "hour_max",
    "admitted",
    "last_hit",
    "hot",
)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _arr(a: np.ndarray) -> tuple[str, tuple[int, ...], bytes]:
    return (a.dtype.str, tuple(a.shape), np.ascontiguousarray(a).tobytes())


def _unarr(t: Any) -> np.ndarray:
    dtype, shape, raw = t
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()


def _ts(d: datetime | None) -> float | None:
    return None if d is None else d.timestamp()


def _dt(x: float | None) -> datetime | None:
    return None if x is None else datetime.fromtimestamp(x, tz=UTC)


def _sample(s: SamplePost | None) -> tuple[Any, ...] | None:
    if s is None:
        return None
    return (s.id, s.author, s.source, s.text, s.url, s.created_at.timestamp(), s.engagement)


def _unsample(t: Any) -> SamplePost | None:
    if t is None:
        return None
    i, a, src, text, url, ts, eng = t
    return SamplePost(i, a, src, text, url, datetime.fromtimestamp(ts, tz=UTC), eng)


def dump(engine: NarrativeEngine) -> bytes:
    t = engine.table
    cands = [
        {
            "key": c.key,
            "slot": c.slot,
            "first_seen": _ts(c.first_seen),
            "canonical": c.canonical,
            "n_tokens": c.n_tokens,
            "authors": c.authors,
            "sources": c.sources,
            "engagement": c.engagement,
            "posts": list(c.posts),
            "last_post": c.last_post,
            "surfaces": c.surfaces,
            "surface_hits": c.surface_hits,
            "first_post": _sample(c.first_post),
            "top": [_sample(s) for s in c.top],
            "leader": c.leader,
            "seed_post": _sample(c.seed_post),
            "narrative": c.narrative,
            "score": c.score,
            "promoted": c.promoted,
        }
        for c in engine.by_slot.values()
    ]
    narrs = [
        {
            "key": n.key,
            "first_seen": _ts(n.first_seen),
            "state": str(n.state),
            "episode": n.episode,
            "last_alert": _ts(n.last_alert),
            "below_since": _ts(n.below_since),
            "anchor": n.anchor.slot,
            "members": [c.slot for c in n.members],
            "leader": n.leader,
            "seed_post": _sample(n.seed_post),
        }
        for n in engine.narrs.values()
    ]
    state = {
        "config": engine.cfg.to_dict(),
        "table": {name: _arr(getattr(t, name)) for name in _TABLE_ARRAYS},
        "free": list(t.free),
        "used": t.used,
        "bucket": t.bucket,
        "folded_hour": t.folded_hour,
        "index": (_arr(t.index.keys), _arr(t.index.slots)),
        "sketch": _arr(t.sketch.table),
        "candidates": cands,
        "narratives": narrs,
        "history": dict(engine.history),
        "leader_posts": [
            (lp.ts, lp.bucket, lp.author, _sample(lp.sample), sorted(lp.phrases))
            for lp in engine.leader_posts
        ],
        "start_ts": engine.start_ts,
        "now_ts": engine.now_ts,
        "posts": engine.posts_ingested,
        "occurrences": engine.occurrences,
        "alerts": engine.alerts_fired,
    }
    payload = zlib.compress(pickle.dumps(state, protocol=5), 1)
    header = MAGIC + VERSION.to_bytes(2, "big")
    return header + hashlib.sha256(payload).digest() + payload


def load(
    cls: type[NarrativeEngine], data: bytes, config: EngineConfig | None, leaders: Iterable[str]
) -> NarrativeEngine:
    if not isinstance(data, bytes | bytearray) or len(data) < len(MAGIC) + 34:
        raise CheckpointError("checkpoint too short")
    if data[: len(MAGIC)] != MAGIC:
        raise CheckpointError("not a ghostwatch engine checkpoint")
    version = int.from_bytes(data[len(MAGIC) : len(MAGIC) + 2], "big")
    if version != VERSION:
        raise CheckpointError(f"checkpoint version {version}, expected {VERSION}")
    digest, payload = data[len(MAGIC) + 2 : len(MAGIC) + 34], data[len(MAGIC) + 34 :]
    if hashlib.sha256(payload).digest() != digest:
        raise CheckpointError("checkpoint checksum mismatch (corrupt)")
    try:
        state = _PlainUnpickler(io.BytesIO(zlib.decompress(payload))).load()
        return _build(cls, state, config, leaders)
    except CheckpointError:
        raise
    except Exception as exc:  # any malformed structure is reported the same way
        raise CheckpointError(f"unreadable checkpoint: {exc}") from exc


def _build(
    cls: type[NarrativeEngine],
    state: dict[str, Any],
    config: EngineConfig | None,
    leaders: Iterable[str],
) -> NarrativeEngine:
    saved = EngineConfig.from_dict(state["config"])
    cfg = config or saved
    for name in STRUCTURAL:
        if getattr(cfg, name) != getattr(saved, name):
            raise CheckpointError(f"config {name}={getattr(cfg, name)} differs from checkpoint")
    handles = list(leaders)
    engine = cls(cfg, handles)
    t = engine.table
    for name in _TABLE_ARRAYS:
        arr = _unarr(state["table"][name])
        if arr.shape != getattr(t, name).shape:
            raise CheckpointError(f"array {name} has shape {arr.shape}")
        setattr(t, name, arr)
    t.free = list(state["free"])
    t.used = int(state["used"])
    t.bucket = state["bucket"]
    t.folded_hour = state["folded_hour"]
    t.index.keys, t.index.slots = (_unarr(x) for x in state["index"])
    t.sketch.table = _unarr(state["sketch"])
    for d in state["candidates"]:
        c = Candidate(d["key"], d["slot"], _dt(d["first_seen"]) or datetime.now(UTC))
        c.canonical, c.n_tokens = d["canonical"], d["n_tokens"]
        c.authors, c.sources, c.engagement = d["authors"], d["sources"], d["engagement"]
        c.posts = deque(d["posts"], maxlen=CO_POSTS)
        c.last_post, c.surfaces, c.surface_hits = d["last_post"], d["surfaces"], d["surface_hits"]
        c.first_post = _unsample(d["first_post"])
        c.top = [s for s in (_unsample(x) for x in d["top"]) if s is not None]
        c.leader, c.seed_post = d["leader"], _unsample(d["seed_post"])
        c.narrative, c.score, c.promoted = d["narrative"], d["score"], d["promoted"]
        engine.by_slot[c.slot] = c
    for d in state["narratives"]:
        anchor = engine.by_slot[d["anchor"]]
        first_seen = _dt(d["first_seen"]) or datetime.now(UTC)
        n = Narrative(d["key"], first_seen, anchor, d["episode"])
        n.state = Lifecycle(d["state"])
        n.last_alert, n.below_since = _dt(d["last_alert"]), _dt(d["below_since"])
        n.members = [engine.by_slot[s] for s in d["members"]]
        if anchor not in n.members or anchor.narrative != n.key:
            raise CheckpointError(f"narrative {n.key!r} does not hold its anchor phrase")
        n.leader, n.seed_post = d["leader"], _unsample(d["seed_post"])
        engine.narrs[n.key] = n
    engine.history = dict(state["history"])
    from bot.engine.engine import LeaderPost

    for ts, bucket, author, sample, phrases in state["leader_posts"]:
        lp_sample = _unsample(sample)
        assert lp_sample is not None
        engine.leader_posts.append(LeaderPost(ts, bucket, author, lp_sample, frozenset(phrases)))
    engine.set_leaders(handles)  # posts of leaders no longer tracked are forgotten here too
    engine.start_ts, engine.now_ts = state["start_ts"], state["now_ts"]
    engine.posts_ingested, engine.occurrences = state["posts"], state["occurrences"]
    engine.alerts_fired = state["alerts"]
    return engine
