"""The score breakdown's JSON form: written as version 1, read back from any stored version.

Breakdowns are stored on narrative rows and in alerts' evidence, and written by
`ghostwatch backtest`: a field renamed or left out of the JSON would silently drop a reason
from every narrative stored before, so the names and their order are pinned here.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from bot.engine.breakdown import VERSION, Breakdown, Components

# Exactly what the engine stored (and the backtest wrote) before breakdowns had a version.
LEGACY: dict[str, Any] = {
    "velocity_ratio": 2.993,
    "expected": 0.002,
    "mentions": 2,
    "z": 4.279,
    "llr": 9.154,
    "evidence_bound": 6.0,
    "needed_adopters": 4.0,
    "window_minutes": 1.9,
    "window_posts": 25,
    "acceleration": 0.25,
    "authors": 3,
    "effective_authors": 2.5,
    "sources": ["bluesky", "x"],
    "engagement": 22,
    "leader": "karpathy",
    "leader_bonus": 9.524,
    "components": {"evidence": 33.333, "leader": 9.524},
}

FULL = Breakdown(
    velocity_ratio=2.993,
    expected=0.002,
    mentions=2,
    z=4.279,
    llr=9.154,
    evidence_bound=6.0,
    needed_adopters=4.0,
    window_minutes=1.9,
    window_posts=25,
    acceleration=0.25,
    authors=3,
    effective_authors=2.5,
    sources=("bluesky", "x"),
    engagement=22,
    leader="karpathy",
    leader_bonus=9.524,
    components=Components(evidence=33.333, leader=9.524),
)


def test_every_field_of_the_sample_is_set() -> None:
    """The tests below only see a field that FULL sets to something other than its default."""
    for field in dataclasses.fields(Breakdown):
        assert getattr(FULL, field.name) != getattr(Breakdown.EMPTY, field.name), field.name
    for field in dataclasses.fields(Components):
        assert getattr(FULL.components, field.name) != 0.0, field.name


def test_every_field_is_written_under_its_own_name() -> None:
    data = FULL.to_json()
    assert list(data) == ["v", *(f.name for f in dataclasses.fields(Breakdown))]
    assert data["v"] == VERSION == 1
    assert list(data["components"]) == [f.name for f in dataclasses.fields(Components)]
    for field in dataclasses.fields(Breakdown):
        # Each field's value lands under its own key, and only there.
        cleared = dataclasses.replace(FULL, **{field.name: getattr(Breakdown.EMPTY, field.name)})
        changed = {key for key, value in cleared.to_json().items() if data[key] != value}
        assert changed == {field.name}


def test_round_trip_through_json_text() -> None:
    text = json.dumps(FULL.to_json())
    assert Breakdown.from_json(json.loads(text)) == FULL


def test_legacy_unversioned_dicts_read_in_full_and_write_back_the_same_bytes() -> None:
    read = Breakdown.from_json(LEGACY)
    assert read == FULL
    # v1 only adds its version: every stored key keeps its name, its value and its place
    assert json.dumps(read.to_json()) == json.dumps({"v": 1, **LEGACY})


def test_older_legacy_shapes_read_what_they_have() -> None:
    # A narrative without signals was stored as its leader alone.
    assert Breakdown.from_json({"leader": "karpathy"}) == Breakdown(leader="karpathy")
    assert Breakdown.from_json({}) == Breakdown.EMPTY
    # The first engine's breakdown: other components, keys since dropped.
    first = Breakdown.from_json(
        {
            "velocity_ratio": 5.0,
            "mentions": 12,
            "diversity": 0.8,
            "novelty_gate": 1.0,
            "components": {"novelty": 20.0, "reach": 10.0, "leader": 4.0},
        }
    )
    assert (first.velocity_ratio, first.mentions, first.expected) == (5.0, 12, 0.0)
    assert first.components == Components(evidence=0.0, leader=4.0)


def test_a_newer_version_is_read_by_the_same_names() -> None:
    assert Breakdown.from_json({**FULL.to_json(), "v": 2, "novel": [1]}) == FULL


@pytest.mark.parametrize(
    "junk",
    [None, [], "breakdown", 7, {"v": "one"}, {"components": "x", "sources": "x", "leader": 7}],
)
def test_junk_reads_as_the_empty_breakdown(junk: Any) -> None:
    assert Breakdown.from_json(junk) == Breakdown.EMPTY


def test_ill_typed_values_read_as_their_defaults() -> None:
    read = Breakdown.from_json(
        {
            "velocity_ratio": "fast",
            "expected": None,
            "mentions": True,  # a bool is not a count
            "z": float("nan"),
            "llr": float("inf"),
            "evidence_bound": 10**400,  # too large for a float
            "window_posts": 3.9,  # a hand-edited count: truncated
            "authors": 10**40,
            "sources": ["x", 3, None, "reddit"],
            "engagement": [22],
            "leader": {"handle": "karpathy"},
            "components": {"evidence": "33", "leader": 1},
        }
    )
    assert read == Breakdown(
        window_posts=3,
        authors=10**40,
        sources=("x", "reddit"),
        components=Components(leader=1.0),
    )


def test_empty_is_all_defaults_and_frozen() -> None:
    assert Breakdown() == Breakdown.EMPTY
    assert Breakdown.EMPTY.to_json()["components"] == {"evidence": 0.0, "leader": 0.0}
    with pytest.raises(dataclasses.FrozenInstanceError):
        Breakdown.EMPTY.mentions = 3  # type: ignore[misc]
