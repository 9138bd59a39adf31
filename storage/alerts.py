"""Queries on the alert log (Alert rows): record before sending, mark after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from storage.models import Alert, AlertStatus

ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class AlertKey:
    narrative_id: int
    episode: int
    platform: str
    target: str
    direct: bool


async def existing(narrative_ids: list[int], episodes: set[int]) -> set[AlertKey]:
    """Keys already recorded for these narratives and episodes (any status)."""
    if not narrative_ids:
        return set()
    rows = await Alert.filter(narrative_id__in=narrative_ids, episode__in=sorted(episodes)).values(
        "narrative_id", "episode", "platform", "target", "direct"
    )
    return {
        AlertKey(r["narrative_id"], r["episode"], r["platform"], r["target"], bool(r["direct"]))
        for r in rows
    }


async def record(
    key: AlertKey, score: float, evidence: dict[str, Any] | None = None
) -> Alert | None:
    """Insert a pending alert; None when this key was recorded before (idempotent)."""
    try:
        return await Alert.create(
            narrative_id=key.narrative_id,
            episode=key.episode,
            platform=key.platform,
            target=key.target,
            direct=key.direct,
            score=score,
            evidence=evidence or {},
            status=AlertStatus.PENDING,
        )
    except IntegrityError:
        return None


async def pending(platforms: list[str], limit: int = 500, after_id: int = 0) -> list[Alert]:
    """Recorded but not yet delivered, oldest first, one page (ids above `after_id`)."""
    return (
        await Alert.filter(status=AlertStatus.PENDING, platform__in=platforms, id__gt=after_id)
        .order_by("id")
        .limit(limit)
        .prefetch_related("narrative")
    )


async def count_pending() -> int:
    return await Alert.filter(status=AlertStatus.PENDING).count()


async def attempt(alert: Alert, error: str | None = None) -> None:
    """Count one delivery attempt (saved before the platform call)."""
    alert.attempts += 1
    if error is not None:
        alert.error = error[:ERROR_CHARS]
    await alert.save(update_fields=["attempts", "error"])


async def note_error(alert: Alert, error: str) -> None:
    """A transient failure; the alert stays pending."""
    alert.error = error[:ERROR_CHARS]
    await alert.save(update_fields=["error"])


async def mark_sent(alert: Alert, message_id: str | None) -> None:
    alert.status = AlertStatus.SENT
    alert.message_id = message_id[:64] if message_id else None
    alert.sent_at = datetime.now(UTC)
    alert.error = None
    await alert.save(update_fields=["status", "message_id", "sent_at", "error"])


async def mark_final(alert: Alert, status: AlertStatus, error: str) -> None:
    """FAILED (could not deliver) or SKIPPED (deliberately not sent)."""
    alert.status = status
    alert.error = error[:ERROR_CHARS]
    await alert.save(update_fields=["status", "error"])


async def sent_since(platform: str, target: str, since: datetime) -> int:
    return await Alert.filter(
        platform=platform, target=target, status=AlertStatus.SENT, sent_at__gte=since
    ).count()
