"""Prometheus metrics, one registry per process, shared by every part of the bot."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

POSTS_INGESTED = Counter(
    "ghostwatch_posts_ingested", "Posts read from a source", ["source"], registry=REGISTRY
)
PAYLOADS_SKIPPED = Counter(
    "ghostwatch_payloads_skipped",
    "Malformed upstream payloads or items skipped",
    ["source", "reason"],
    registry=REGISTRY,
)
POSTS_DROPPED = Counter(
    "ghostwatch_posts_dropped",
    "Posts dropped because the scoring buffer was full (scoring fell behind)",
    registry=REGISTRY,
)
POSTS_SKEWED = Counter(
    "ghostwatch_posts_skewed",
    "Posts whose claimed time was implausible: clamped to a trusted clock or dropped",
    ["source", "action"],
    registry=REGISTRY,
)
SOURCE_ERRORS = Counter(
    "ghostwatch_source_errors", "Failed polls or stream drops", ["source"], registry=REGISTRY
)
BREAKER_OPEN = Gauge(
    "ghostwatch_source_breaker_open",
    "1 while a source's circuit breaker is open",
    ["source"],
    registry=REGISTRY,
)
RATE_LIMIT_WAITS = Counter(
    "ghostwatch_rate_limit_waits",
    "Waits caused by rate limits (429 or local limiter)",
    ["target"],
    registry=REGISTRY,
)
COMMANDS_LIMITED = Counter(
    "ghostwatch_commands_limited",
    "Chat commands refused by the per-user/per-chat rate limits",
    ["platform"],
    registry=REGISTRY,
)
TICK_SECONDS = Histogram(
    "ghostwatch_scoring_tick_seconds",
    "Duration of one scoring tick",
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
NARRATIVES = Gauge(
    "ghostwatch_narratives", "Tracked narratives by lifecycle state", ["state"], registry=REGISTRY
)
ALERTS_SENT = Counter(
    "ghostwatch_alerts_sent", "Alerts delivered", ["platform", "kind"], registry=REGISTRY
)
ALERTS_FAILED = Counter(
    "ghostwatch_alerts_failed",
    "Alerts that could not be delivered",
    ["platform", "reason"],
    registry=REGISTRY,
)
TOKENS_SEEN = Counter(
    "ghostwatch_token_launches", "Token launches read", ["source"], registry=REGISTRY
)
X_LEADERS_UNSEARCHED = Gauge(
    "ghostwatch_x_leaders_unsearched",
    "Leader handles left out of the last X leader search (its 512-character query was full)",
    registry=REGISTRY,
)
X_POSTS_READ = Counter(
    "ghostwatch_x_posts_read", "Posts read from the paid X API (cost tracking)", registry=REGISTRY
)
