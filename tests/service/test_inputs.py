"""Property tests for what users type: every input parses or is a clear ServiceError."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.leaders import LeaderFormatError, entry_ids
from bot.service import inputs
from bot.service.errors import BadArgument, ServiceError

ANY_TEXT = st.one_of(
    st.text(max_size=400),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=6000),
    st.sampled_from(["\u202e@x", "@\x00", "reddit:", ":", "@@", "$", "x:a:b", "nan", "1e309"]),
)


@given(ANY_TEXT)
def test_a_leader_entry_is_canonical_or_a_usage_error(text: str) -> None:
    try:
        name = inputs.parse_leader(text, "leaders")
    except BadArgument as exc:
        assert exc.usage == "leaders" and exc.detail_key == "bad.handle"
        return
    assert name == name.lower() and len(name) <= 100 and " " not in name
    assert inputs.parse_leader(name, "leaders") == name  # canonical: parsing again keeps it
    assert entry_ids(name)  # and it names at least one account


@given(ANY_TEXT)
def test_entry_ids_accept_or_raise_only_their_own_error(text: str) -> None:
    try:
        ids = entry_ids(text)
    except LeaderFormatError:
        return
    assert all(":" in i and i == i.lower() for i in ids)


@given(ANY_TEXT)
def test_a_watch_item_parses_or_is_a_service_error(text: str) -> None:
    try:
        entry = inputs.parse_watch(text, "watch", 100)
    except ServiceError:
        return
    assert entry.kind in ("phrase", "leader", "token") and 0 < len(entry.value) <= 100


@given(st.one_of(ANY_TEXT, st.floats(allow_nan=True, allow_infinity=True), st.integers()))
def test_a_threshold_is_a_number_from_0_to_100_or_a_usage_error(value: object) -> None:
    try:
        number = inputs.parse_threshold(value)  # type: ignore[arg-type]
    except BadArgument as exc:
        assert exc.usage == "alerts"
        return
    assert math.isfinite(number) and 0 <= number <= 100


@pytest.mark.parametrize("hours", ["0", "49", "-1", "abc", "1.5", "", "99999999999999999999"])
def test_bad_hours_are_usage_errors(hours: str) -> None:
    with pytest.raises(BadArgument):
        inputs.parse_hours(hours)
