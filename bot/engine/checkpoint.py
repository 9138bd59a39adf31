"""Versioned, checksummed engine snapshots (no code objects: only plain builtins are pickled)."""

from __future__ import annotations

import hashlib
import io
import pickle
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.engine.baseline import PhraseTable
from bot.engine.candidates import Candidate
from bot.engine.config import STRUCTURAL, EngineConfig
from bot.engine.lifecycle import Narrative
from bot.engine.seeding import LeaderPost
from bot.engine.types import CheckpointError, Lifecycle, SamplePost

if TYPE_CHECKING:
    from bot.engine.engine import NarrativeEngine

MAGIC = b"GWENGINE"
VERSION = 14  # 3: share baselines, adoption evidence, per-network leaders; 4: memory by posts;
# 5: what untracked phrases' adopters were and said (PhraseShelf), buckets by posts;
# 6: the newest bucket the baselines learned (they learn a window of posts late);
# 7: per script, how much of the memory and how much stream time it was written in;
# 8: per source, the stream time seen before its first post; 9: the words beside a phrase;
# 10: per phrase, its independent adoptions per source; 11: frames placed from the phrase's
# start, and which recent adopters were copies; 12: the latest posts (Overheard); 13: their
# words spelled out (a restored phrase counts their spellings); 14: per phrase, the leader posts
# its adopters quoted


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def _arr(a: np.ndarray) -> tuple[str, tuple[int, ...], bytes]:
    return (a.dtype.str, tuple(a.shape), np.ascontiguousarray(a).tobytes())


def _unarr(t: Any) -> np.ndarray:
    dtype, shape, raw = t
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()


def _plain(value: Any) -> Any:
    """Arrays become (dtype, shape, bytes) tuples; everything else must already be plain."""
    if isinstance(value, np.ndarray):
        return ("__array__", _arr(value))
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, tuple):
        if len(value) == 2 and value[0] == "__array__":
            return _unarr(value[1])
        return tuple(_unplain(v) for v in value)
    return value


def _ts(d: datetime | None) -> float | None:
    return None if d is None else d.timestamp()


def _dt(x: float | None) -> datetime | None:
    return None if x is None else datetime.fromtimestamp(x, tz=UTC)


def dump(engine: NarrativeEngine) -> bytes:
    """A versioned, checksummed snapshot of everything the engine has learned."""
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
            "seed_post": SamplePost.pack(n.seed_post),
        }
        for n in engine.narrs.values()
    ]
    state = {
        "config": engine.cfg.to_dict(),
        "table": {k: _plain(v) for k, v in engine.table.to_state().items()},
        "candidates": [c.to_state() for c in engine.by_slot.values()],
        "narratives": narrs,
        "history": dict(engine.stories.history),
        "benched": dict(engine.tracker.benched),
        "shelf": engine.shelf.to_state(),
        "marks": list(engine.marks),
        "heard": [_plain(batch) for batch in engine.heard.to_state()],
        "leader_posts": [
            (lp.ts, lp.bucket, lp.author, SamplePost.pack(lp.sample), sorted(lp.phrases))
            for lp in engine.leader_posts
        ],
        "start_ts": engine.start_ts,
        "now_ts": engine.now_ts,
        "scored_bucket": engine.scored_bucket,
        "retired_bucket": engine.retired_bucket,
        "posts": engine.posts_ingested,
        "occurrences": engine.occurrences,
        "alerts": engine.alerts_fired,
        "skewed": engine.skewed,
        "seen_seconds": engine.seen_seconds,
        "script_seconds": list(engine.script_seconds),
        "source_since": dict(engine.source_since),
        "tokens": engine.tokens,
    }
    payload = zlib.compress(pickle.dumps(state, protocol=5), 1)
    header = MAGIC + VERSION.to_bytes(2, "big")
    return header + hashlib.sha256(payload).digest() + payload


def load(
    data: bytes, config: EngineConfig | None = None, leaders: Iterable[str] = ()
) -> NarrativeEngine:
    """Rebuild an engine from ``dump`` output; CheckpointError if it cannot be trusted."""
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
        return _build(state, config, leaders)
    except CheckpointError:
        raise
    except Exception as exc:  # any malformed structure is reported the same way
        raise CheckpointError(f"unreadable checkpoint: {exc}") from exc


def _build(
    state: dict[str, Any], config: EngineConfig | None, leaders: Iterable[str]
) -> NarrativeEngine:
    from bot.engine.engine import NarrativeEngine

    saved = EngineConfig.from_dict(state["config"])
    cfg = config or saved
    for name in STRUCTURAL:
        if getattr(cfg, name) != getattr(saved, name):
            raise CheckpointError(f"config {name}={getattr(cfg, name)} differs from checkpoint")
    handles = list(leaders)
    engine = NarrativeEngine(cfg, handles)
    table_state = {k: _unplain(v) for k, v in state["table"].items()}
    try:
        engine.tracker.table = PhraseTable.from_state(cfg, table_state)
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    for d in state["candidates"]:
        c = Candidate.from_state(d)
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
        n.leader, n.seed_post = d["leader"], SamplePost.unpack(d["seed_post"])
        engine.narrs[n.key] = n
    engine.stories.history = dict(state["history"])
    engine.tracker.benched = dict(state["benched"])
    engine.shelf.restore(state["shelf"])
    engine.marks.extend((int(b), int(p)) for b, p in state["marks"])
    engine.heard.restore([_unplain(batch) for batch in state["heard"]])
    for ts, bucket, author, sample, phrases in state["leader_posts"]:
        lp_sample = SamplePost.unpack(sample)
        if lp_sample is None:
            raise CheckpointError("leader post without its sample")
        engine.seeds.remember(LeaderPost(ts, bucket, author, lp_sample, frozenset(phrases)))
    engine.set_leaders(handles)  # posts of leaders no longer tracked are forgotten here too
    engine.start_ts, engine.now_ts = state["start_ts"], state["now_ts"]
    engine.scored_bucket, engine.retired_bucket = state["scored_bucket"], state["retired_bucket"]
    engine.posts_ingested, engine.occurrences = state["posts"], state["occurrences"]
    engine.alerts_fired, engine.skewed = state["alerts"], state["skewed"]
    engine.seen_seconds = float(state["seen_seconds"])
    engine.script_seconds = [float(s) for s in state["script_seconds"]]
    engine.source_since = {str(k): float(v) for k, v in state["source_since"].items()}
    engine.tokens = int(state["tokens"])
    return engine
