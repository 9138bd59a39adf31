"""Who gets an alert: plan the chats and watchers due for a narrative and record them as pending.

What is due is judged per tick: a narrative that fired is planned as it was when it fired (the
AlertEvent's snapshot), so a tick spanning hours of stream time loses nothing. Recording is
idempotent per (narrative, episode, platform, target, direct); the delivery worker
(bot/alerts/delivery.py) sends what is recorded.

A watch item matches a narrative by one rule, `matches(item, facts)`, used both when planning
(after a SQL pre-selection of candidate items) and again at delivery time (the user may have
removed the item since).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.alerts.cards import evidence
from bot.engine import AlertEvent, Breakdown, Lifecycle, NarrativeView
from bot.leaders import normalize_handle
from bot.service.inputs import word_grams
from storage import alerts as alert_store
from storage import narrative_queries as nq
from storage import subscriptions as sub_store
from storage import watchlist as watch_store
from storage.alerts import AlertKey
from storage.models import Narrative, Subscription, WatchItem
from storage.narratives import KEY_CHARS

log = logging.getLogger(__name__)

ALERTING_STATES = (Lifecycle.EMERGING, Lifecycle.VIRAL)


@dataclass(frozen=True, slots=True)
class Due:
    """A narrative due for alerting: its row, the alert episode and the score it was due at."""

    row: Narrative
    episode: int  # in the row's (stored) numbering, see `Narrative.episode_offset`
    score: float
    evidence: dict[str, Any]  # the narrative as it was when due (see `Alert.evidence`)


@dataclass(frozen=True, slots=True)
class NarrativeFacts:
    """What watch items and mutes are matched against: one narrative's words, seed and tokens."""

    grams: frozenset[str]  # every word run of its phrases
    leader: str  # the seed leader's normalised handle, "" when none
    tags: frozenset[str]  # upper-case symbols: "$ghost" phrases and matched token launches


@dataclass(frozen=True, slots=True)
class Planned:
    key: AlertKey
    score: float
    evidence: dict[str, Any]


def facts_of(row: Narrative, token_symbols: Iterable[str] = ()) -> NarrativeFacts:
    return NarrativeFacts(
        grams=frozenset(narrative_grams(row)),
        leader=normalize_handle(row.seed_leader or ""),
        tags=frozenset(cashtags(row) | {s.upper() for s in token_symbols if s}),
    )


def matches(item: WatchItem, facts: NarrativeFacts) -> bool:
    """Whether a watch item is about this narrative (the one definition of a match)."""
    if item.kind == "phrase":
        return item.value in facts.grams
    if item.kind == "leader":
        return bool(facts.leader) and item.value == facts.leader
    if item.kind == "token":
        return item.value in facts.tags
    return False


def muted(sub: Subscription, facts: NarrativeFacts) -> bool:
    """Whether a chat muted this narrative's seed leader or one of its phrases."""
    if facts.leader and facts.leader in set(sub.quiet_leaders or ()):
        return True
    return bool(set(sub.quiet_phrases or ()) & facts.grams)


def alert_episode(state: Lifecycle, episode: int) -> int:
    """The viral episode an alert belongs to.

    An emerging narrative is heading for its next viral episode (the engine increments the
    counter when it turns viral), so a low-threshold chat alerted while it was emerging is not
    alerted again when the same wave turns viral.
    """
    return episode + 1 if state == Lifecycle.EMERGING else max(episode, 1)


class AlertPlanner:
    """Records, as pending Alert rows, every alert due after a tick."""

    def __init__(self, platforms: Collection[str], *, dm_threshold: float = 60.0) -> None:
        self.platforms = list(platforms)
        self.dm_threshold = dm_threshold

    async def record(
        self, views: Sequence[NarrativeView], alerts: Sequence[AlertEvent] = ()
    ) -> list[AlertKey]:
        """Record every alert now due; returns the keys recorded by this call.

        A narrative that fired in this tick is planned as it was when it fired (the event's
        state, score and episode), not as the persisted row left it at the end of the tick: one
        tick may span hours of stream time, in which a wave can turn viral and cool down again,
        or even fire twice. Besides that, every narrative in an alerting state at the end of the
        tick is planned (low-threshold chats hear about an emerging one; a chat whose threshold
        the score has only now reached).
        """
        if not self.platforms:
            return []
        ending = [v.key[:KEY_CHARS] for v in views if v.state in ALERTING_STATES]
        keys = list(dict.fromkeys([e.narrative.key[:KEY_CHARS] for e in alerts] + ending))
        if not keys:
            return []
        rows = {r.key: r for r in await nq.by_keys(keys)}
        if len(rows) < len(keys):
            missing = len(keys) - len(rows)
            log.warning("alerts skipped for %d narrative(s) not persisted yet", missing)
        due: list[Due] = []
        for event in alerts:
            row = rows.get(event.narrative.key[:KEY_CHARS])
            if row is not None:  # an event is the viral episode it opened
                view = event.narrative
                seen = evidence(view.breakdown, view.authors, len(view.sources), event.fired_at)
                # The engine counts episodes of its own lifetime; the row continues the count
                # across lost checkpoints (see storage/narratives.py).
                episode = event.episode + int(row.episode_offset)
                due.append(Due(row, episode, float(view.score), seen))
        for row in rows.values():
            if row.state in ALERTING_STATES:  # the end-of-tick state, as persisted
                seen = evidence(
                    Breakdown.from_json(row.breakdown),
                    row.authors,
                    len(row.sources or ()),
                    row.updated_at,
                )
                episode = alert_episode(row.state, row.episode)
                due.append(Due(row, episode, float(row.score), seen))
        recorded = []
        for planned in await self._plan(due):
            if await alert_store.record(planned.key, planned.score, planned.evidence) is not None:
                recorded.append(planned.key)
        return recorded

    async def _plan(self, due: list[Due]) -> list[Planned]:
        """Alerts (with the score and evidence they were due at) not recorded before, in
        `due` order."""
        if not due:
            return []
        subs = await sub_store.enabled(self.platforms)
        ids = list(dict.fromkeys(d.row.id for d in due))
        token_rows = await nq.tokens(ids)
        facts = {
            d.row.id: facts_of(d.row, (launch.symbol for _, launch in token_rows[d.row.id]))
            for d in due
        }
        watchers: dict[int, list[WatchItem]] = {}
        planned: list[tuple[AlertKey, Due]] = []
        for d in due:
            row, these = d.row, facts[d.row.id]
            for sub in subs:
                if d.score >= sub.threshold and not muted(sub, these):
                    planned.append(
                        (AlertKey(row.id, d.episode, sub.platform, sub.chat_id, False), d)
                    )
            if d.score >= self.dm_threshold:
                if row.id not in watchers:
                    watchers[row.id] = await self._watchers(these)
                for item in watchers[row.id]:
                    key = AlertKey(row.id, d.episode, item.platform, item.user_id, True)
                    planned.append((key, d))
        done = await alert_store.existing(ids, {k.episode for k, _ in planned})
        unique: dict[AlertKey, Due] = {}
        for key, d in planned:
            if key not in done:
                unique.setdefault(key, d)  # the first (fire-time) score and evidence win
        return [Planned(key, d.score, d.evidence) for key, d in unique.items()]

    async def _watchers(self, facts: NarrativeFacts) -> list[WatchItem]:
        """Users whose watch items match the narrative, one item per user and platform."""
        # SQL narrows the candidates by value; `matches` is the rule that decides.
        items = await watch_store.matching("phrase", facts.grams)
        if facts.leader:
            items += await watch_store.matching("leader", [facts.leader])
        items += await watch_store.matching("token", facts.tags)
        chosen: dict[tuple[str, str], WatchItem] = {}
        for item in items:
            if item.platform in self.platforms and matches(item, facts):
                chosen.setdefault((item.platform, item.user_id), item)
        result = []
        for platform in {p for p, _ in chosen}:
            users = [u for p, u in chosen if p == platform]
            # A user's own chat with the bot: unreachable (blocked) or muting this narrative.
            own = {s.chat_id: s for s in await sub_store.for_chats(platform, users)}
            for user in users:
                sub = own.get(user)
                if sub is None or not (sub.disabled_reason or muted(sub, facts)):
                    result.append(chosen[(platform, user)])
        return result


def narrative_grams(row: Narrative) -> set[str]:
    """Every word run of the narrative's phrases: a watched/muted phrase matches any of them."""
    grams: set[str] = set()
    for phrase in {row.key, row.phrase, *(row.phrases or ())}:
        grams |= word_grams(phrase)
    return grams


def cashtags(row: Narrative) -> set[str]:
    """Symbols the narrative itself is about ("$ghost" phrases)."""
    return {
        word[1:].upper()
        for phrase in {row.key, row.phrase, *(row.phrases or ())}
        for word in phrase.split()
        if word.startswith("$") and len(word) > 1
    }
