"""Tortoise models: everything ghostwatch keeps between restarts."""

from __future__ import annotations

import enum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from bot.engine.types import Lifecycle


class AlertStatus(enum.StrEnum):
    """Where an Alert row is in delivery: pending until sent, failed or skipped (all final)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # could not be delivered
    SKIPPED = "skipped"  # deliberately not sent (stale, alerts turned off, hourly cap)


class Leader(Model):
    """A tracked thought leader. `added_in` is null for global (shipped or configured) leaders."""

    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=100, db_index=True)  # lowercase, no "@"
    display_name = fields.CharField(max_length=200, default="")
    x_handle = fields.CharField(max_length=100, null=True)
    bluesky_handle = fields.CharField(max_length=253, null=True)
    bluesky_did = fields.CharField(max_length=100, null=True)
    platform = fields.CharField(max_length=16, null=True)  # chat platform that added it
    added_in = fields.CharField(max_length=64, null=True)  # chat id that added it
    added_by = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "leaders"
        unique_together = (("handle", "platform", "added_in"),)


class Narrative(Model):
    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    label = fields.CharField(max_length=300)
    phrase = fields.CharField(max_length=300)
    phrases: fields.JSONField[list[str]] = fields.JSONField(default=list)
    state = fields.CharEnumField(Lifecycle, max_length=16, default=Lifecycle.QUIET, db_index=True)
    score = fields.FloatField(default=0.0)
    breakdown: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Viral episodes, counted across engine lifetimes: the engine's own count plus
    # `episode_offset`, which grows when the engine's count restarts (a lost or incompatible
    # checkpoint, a narrative dropped and found again), so alert identity never repeats.
    episode = fields.IntField(default=0)
    episode_offset = fields.IntField(default=0)
    authors = fields.IntField(default=0)
    mentions = fields.IntField(default=0)
    sources: fields.JSONField[list[str]] = fields.JSONField(default=list)
    first_seen = fields.DatetimeField()
    seed_leader = fields.CharField(max_length=100, null=True)
    seed_post_id = fields.CharField(max_length=300, null=True)
    seed_post_url = fields.CharField(max_length=1000, null=True)
    seed_post_at = fields.DatetimeField(null=True)
    top_posts: fields.JSONField[list[dict[str, Any]]] = fields.JSONField(default=list)
    series: fields.JSONField[list[list[Any]]] = fields.JSONField(default=list)  # [[iso, n]]
    updated_at = fields.DatetimeField(db_index=True)  # /narrative looks through the newest

    class Meta:
        table = "narratives"


class ScorePoint(Model):
    """One scoring tick of one narrative, for charts and history."""

    id = fields.BigIntField(primary_key=True)
    narrative: fields.ForeignKeyRelation[Narrative] = fields.ForeignKeyField(
        "ghostwatch.Narrative", related_name="history", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    score = fields.FloatField()
    mentions = fields.IntField()
    authors = fields.IntField()

    class Meta:
        table = "score_points"
        indexes = (("narrative_id", "at"),)


class Subscription(Model):
    """Alert settings of one chat (Telegram) or channel (Discord)."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)  # "telegram" | "discord" | "console"
    chat_id = fields.CharField(max_length=64)  # Telegram chat id / Discord channel id
    guild_id = fields.CharField(max_length=64, null=True)  # Discord server
    enabled = fields.BooleanField(default=True)
    threshold = fields.FloatField(default=60.0)
    language = fields.CharField(max_length=8, default="en")
    quiet_leaders: fields.JSONField[list[str]] = fields.JSONField(default=list)
    quiet_phrases: fields.JSONField[list[str]] = fields.JSONField(default=list)
    disabled_reason = fields.CharField(max_length=300, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscriptions"
        unique_together = (("platform", "chat_id"),)


class WatchItem(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    user_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=8)  # "phrase" | "leader" | "token"
    value = fields.CharField(max_length=100)  # canonical form used for matching
    display = fields.CharField(max_length=100)  # what the user typed
    language = fields.CharField(max_length=8, default="en")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "watch_items"
        unique_together = (("platform", "user_id", "kind", "value"),)
        indexes = (("kind", "value"),)


class Alert(Model):
    """One alert to one chat or user, recorded before sending: no loss, no repeat on restart."""

    id = fields.BigIntField(primary_key=True)
    narrative: fields.ForeignKeyRelation[Narrative] = fields.ForeignKeyField(
        "ghostwatch.Narrative", related_name="alerts", on_delete=fields.CASCADE
    )
    episode = fields.IntField()
    platform = fields.CharField(max_length=16)
    target = fields.CharField(max_length=64)  # chat/channel id, or user id for direct messages
    direct = fields.BooleanField(default=False)
    status = fields.CharEnumField(
        AlertStatus, max_length=12, default=AlertStatus.PENDING, db_index=True
    )
    score = fields.FloatField()
    # What the narrative looked like when the alert was due (breakdown, authors, sources, at),
    # so a late delivery explains the wave it is about, not the narrative's later state.
    evidence: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    attempts = fields.IntField(default=0)
    error = fields.CharField(max_length=300, null=True)
    message_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "alerts"
        unique_together = (("narrative_id", "episode", "platform", "target", "direct"),)


class TokenLaunch(Model):
    id = fields.IntField(primary_key=True)
    chain = fields.CharField(max_length=32)
    address = fields.CharField(max_length=128)
    name = fields.CharField(max_length=200, default="")
    symbol = fields.CharField(max_length=64, default="")
    description = fields.TextField(default="")
    source = fields.CharField(max_length=32)
    pair_url = fields.CharField(max_length=500, null=True)
    liquidity_usd = fields.FloatField(null=True)
    boosted = fields.BooleanField(default=False)
    launched_at = fields.DatetimeField(null=True)
    seen_at = fields.DatetimeField()

    class Meta:
        table = "token_launches"
        unique_together = (("chain", "address"),)


class TokenMatch(Model):
    id = fields.IntField(primary_key=True)
    token: fields.ForeignKeyRelation[TokenLaunch] = fields.ForeignKeyField(
        "ghostwatch.TokenLaunch", related_name="matches", on_delete=fields.CASCADE
    )
    narrative: fields.ForeignKeyRelation[Narrative] = fields.ForeignKeyField(
        "ghostwatch.Narrative", related_name="tokens", on_delete=fields.CASCADE
    )
    similarity = fields.FloatField()  # 0..100
    strong = fields.BooleanField(default=True)
    after_seed = fields.BooleanField(null=True)  # null when the narrative has no seed time
    delay_seconds = fields.IntField(null=True)  # launch time minus seed time
    matched_at = fields.DatetimeField()

    class Meta:
        table = "token_matches"
        unique_together = (("token_id", "narrative_id"),)


class SourceCursor(Model):
    source = fields.CharField(max_length=300, primary_key=True)
    cursor = fields.TextField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "source_cursors"


class EngineCheckpoint(Model):
    id = fields.IntField(primary_key=True)
    version = fields.IntField()
    data = fields.BinaryField()
    stream_time = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "engine_checkpoints"


class PostBatch(Model):
    """One event-time minute of posts an ingest process wrote for the scorer to read.

    The posts are compressed JSON Lines (bot/ops/aggregates.py). The first line above is the
    table's description in the migration state. Named PhraseAggregate in migration 0001; the
    table keeps its name, so databases created before the rename work unchanged (0007
    renames the model in the migration state only).
    """

    id = fields.BigIntField(primary_key=True)
    producer = fields.CharField(max_length=100)
    minute = fields.DatetimeField(db_index=True)
    payload = fields.BinaryField()
    consumed = fields.BooleanField(default=False, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "phrase_aggregates"
