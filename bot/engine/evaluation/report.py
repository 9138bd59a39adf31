"""Plain-text tables and JSON for evaluation results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.engine.evaluation.scorer import (
    Alert,
    StreamScore,
    Summary,
    bare_handle,
    is_fragment,
    is_named,
)

COLUMNS = (
    ("detector", 14),
    ("streams", 7),
    ("found", 7),
    ("recall", 6),
    ("alerts", 6),
    ("prec", 5),
    ("false/d", 7),
    ("al/story", 8),
    ("med min", 7),
    ("max min", 7),
    ("10th med", 8),
    ("named", 5),
    ("leader", 6),
    ("neg", 4),
)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def summary_row(name: str, s: Summary) -> list[str]:
    return [
        name,
        str(s.streams),
        f"{s.found}/{s.stories}",
        _pct(s.recall),
        str(s.alerts),
        _num(s.precision, 2),
        _num(s.false_per_day, 1),
        _num(s.alerts_per_story, 2),
        _num(s.median_delay),
        _num(s.max_delay),
        _num(s.median_floor),
        _pct(s.named_share),
        _pct(s.leader_share),
        str(s.negatives_fired),
    ]


def table(rows: Sequence[tuple[str, str, Summary]]) -> str:
    """One line per (stream group, detector)."""
    head = "group   " + " ".join(f"{name:>{w}}" for name, w in COLUMNS)
    lines = [head, "-" * len(head)]
    for group, name, s in rows:
        cells = summary_row(name, s)
        lines.append(
            f"{group:<8}" + " ".join(f"{c:>{w}}" for c, (_, w) in zip(cells, COLUMNS, strict=True))
        )
    return "\n".join(lines)


def _alert_text(a: Alert) -> str:
    lead = f" @{a.leader}" if a.leader else ""
    return f"{a.fired_at:%d %H:%M} {a.headline!r}{lead}"


def story_details(scores: Sequence[StreamScore]) -> str:
    """Per story: delay against the floor, the alerts it got, naming and leader verdicts."""
    lines = []
    for sc in scores:
        lines.append(f"== {sc.scenario} ({sc.hours:.0f} h)")
        for r in sc.stories:
            st = r.story
            floor = "-" if r.floor_minutes is None else f"{r.floor_minutes:.0f}"
            head = f"  {st.id:<12} {st.peak_per_minute:>5.1f}/min 10th@{floor:>3} min  "
            if not r.found:
                lines.append(head + f"MISSED   ({st.kind})")
                continue
            verdicts = []
            if not r.named:
                verdicts.append(f"misnamed {r.alerts[0].headline!r}")
            if not r.leader_right:
                got = bare_handle(r.alerts[0].leader)
                verdicts.append(f"leader {got} want {bare_handle(st.leader)}")
            if len(r.alerts) > 1:
                verdicts.append(f"split x{len(r.alerts)}")
            delay = f"{r.delay_minutes:.0f} min"
            lines.append(head + f"{delay:>8}  {'; '.join(verdicts) or 'ok'}  ({st.kind})")
            for a in r.alerts:
                named = "named" if is_named(a, st) else "not named"
                lines.append(f"      {_alert_text(a)}  [{named}] phrases={list(a.phrases)}")
        for a in sc.false_alerts:
            parts = [r.story.id for r in sc.stories if is_fragment(a, r.story)]
            what = f"fragment of {','.join(parts)}" if parts else "noise"
            lines.append(f"  FALSE {_alert_text(a)} ({what}) phrases={list(a.phrases)}")
        for neg_id, a in sc.negatives_fired:
            lines.append(f"  NEGATIVE {neg_id}: {_alert_text(a)}")
    return "\n".join(lines)


def summary_json(s: Summary) -> dict[str, Any]:
    return {
        "streams": s.streams,
        "stories": s.stories,
        "found": s.found,
        "recall": s.recall,
        "alerts": s.alerts,
        "precision": s.precision,
        "false_per_day": s.false_per_day,
        "alerts_per_story": s.alerts_per_story,
        "median_delay_min": s.median_delay,
        "max_delay_min": s.max_delay,
        "median_tenth_post_min": s.median_floor,
        "named": s.named_share,
        "leader_right": s.leader_share,
        "negatives_fired": s.negatives_fired,
    }


def stories_json(scores: Sequence[StreamScore]) -> list[dict[str, Any]]:
    out = []
    for sc in scores:
        for r in sc.stories:
            out.append(
                {
                    "stream": sc.scenario,
                    "story": r.story.id,
                    "kind": r.story.kind,
                    "found": r.found,
                    "delay_min": r.delay_minutes,
                    "tenth_post_min": r.floor_minutes,
                    "alerts": [
                        {
                            "headline": a.headline,
                            "leader": a.leader,
                            "fired_at": a.fired_at.isoformat(),
                        }
                        for a in r.alerts
                    ],
                    "named": r.named,
                    "leader_right": r.leader_right,
                    "leader_expected": r.story.leader,
                }
            )
    return out


# Issue 10's acceptance figures; "hard" streams have their own, looser bar.
_BAR: dict[str, list[tuple[str, Callable[[Summary], bool]]]] = {
    "default": [
        ("recall = 100%", lambda s: s.recall >= 1.0),
        ("precision >= 0.95", lambda s: (s.precision or 0.0) >= 0.95),
        ("<= 1 false alert a day", lambda s: s.false_per_day <= 1.0),
        ("<= 1.15 alerts per story", lambda s: (s.alerts_per_story or 0) <= 1.15),
        ("median delay <= 60 min", lambda s: (s.median_delay or 1e9) <= 60),
        ("named >= 90%", lambda s: (s.named_share or 0.0) >= 0.9),
        ("leader right >= 90%", lambda s: (s.leader_share or 0.0) >= 0.9),
        ("0 negatives fired", lambda s: s.negatives_fired == 0),
    ],
    "hard": [
        (">= 11/12 found", lambda s: s.found >= s.stories * 11 / 12),
        ("precision >= 0.9", lambda s: (s.precision or 0.0) >= 0.9),
        ("median delay <= 100 min", lambda s: (s.median_delay or 1e9) <= 100),
    ],
}


def bar_check(group: str, s: Summary) -> str:
    """Which of issue 10's acceptance figures a summary meets."""
    checks = _BAR.get(group, _BAR["default"])
    failed = [text for text, ok in checks if not ok(s)]
    if not failed:
        return f"{group}: meets the bar ({len(checks)} figures)"
    return f"{group}: misses {len(failed)}/{len(checks)}: " + "; ".join(failed)
