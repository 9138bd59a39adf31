"""Engine tuning knobs (all in stream time)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Fields that shape stored arrays; a checkpoint can only be restored with the same values.
STRUCTURAL = ("bucket_seconds", "ring_buckets", "window_buckets", "capacity", "sketch_bits")


@dataclass
class EngineConfig:
    """Tuning for NarrativeEngine; defaults suit a few posts/s up to ~100k posts/s."""

    alert_threshold: float = 60.0  # score at which a narrative turns viral and alerts
    emerging_threshold: float = 30.0  # score at which a quiet narrative becomes "emerging"
    viral_exit: float = 45.0  # hysteresis: a viral narrative cools only below this
    dormant_below: float = 15.0  # cooling narratives under this for dormant_minutes go dormant
    dormant_minutes: int = 60
    realert_margin: float = 10.0  # re-alert needs threshold + margin ...
    realert_acceleration: float = 0.5  # ... and this much acceleration (0..1) ...
    cooldown_minutes: int = 180  # ... and this long since the last alert
    bucket_seconds: int = 300  # counting resolution (5-minute buckets)
    window_buckets: int = 12  # scoring window: 12 x 5 min = 1 hour ...
    window_posts: float = 1_000.0  # ... and its buckets teach baselines only this many posts later
    ring_buckets: int = 48  # history kept per phrase for charts: 4 hours
    warmup_minutes: int = 120  # no alerts until this much stream time has been seen
    capacity: int = 65536  # phrases with exact counts and baselines
    sketch_bits: int = 20  # count-min sketch width 2**bits for the long tail
    admit_count: float = 3.0  # recent sketch count that earns a phrase an exact slot
    # Memories keep at least their half-life in time and at least this many posts, so a sparse
    # stream remembers as many posts as a busy one (bot/engine/baseline.py).
    sketch_half_life_minutes: float = 30.0
    # On a stream of 30 posts/min or more, time governs; on a sparse one the fast memory
    # spans hours and the baselines days.
    sketch_half_life_posts: float = 1_000.0
    baseline_half_life_hours: float = 12.0  # EWMA of the per-bucket *share* of all posts
    baseline_half_life_posts: float = 50_000.0  # five mentions of a phrase at the prior share
    prior_share: float = 1e-4  # share of posts expected of a phrase with no history
    promote_mentions: int = 3  # mentions (window or decayed) before per-author tracking
    promote_ratio: float = 3.0
    promote_z: float = 2.5
    max_candidates: int = 3000  # phrases with per-author tracking
    # The sequential test (bot/engine/evidence.py) and the score built on it.
    evidence_bound: float = 12.0  # nats of evidence for an anonymous phrase at score 60
    min_adopters: float = 6.0  # independent adopters for an anonymous phrase at score 60
    leader_bound_factor: float = 0.5  # a tracked leader's fresh coinage needs this much ...
    leader_min_adopters: float = 4.0  # ... and this many adopters
    ordinary_factor: float = 2.0  # a plain word the stream uses routinely needs this much more
    common_share: float = 1e-3  # ... "routinely": in at least one post in a thousand
    tolerance: float = 2.0  # the null allows a phrase twice its baseline share
    max_window_hours: float = 48.0  # longest window the scan considers
    author_memory: int = 4096  # authors remembered per phrase (a repeat is not an adoption)
    ring_weight: float = 0.02  # a (near-)copy of an earlier adopter's post counts this much
    leader_lookback_hours: float = 48.0
    fresh_share: float = 3e-4  # a leader seeds only phrases rarer than this before they spread
    max_leader_posts: int = 5000
    max_lead_minutes: float = 60.0  # posts dated further ahead of the stream are skipped

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
