"""Typed decoding of replay lines: the strict fast path, the lenient path, and hostile input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.posts import MAX_COUNT, Post, PostFormatError, decode_canonical

GOOD = {
    "id": "p1",
    "source": "x",
    "author": "karpathy",
    "text": "it's about summoning ghosts",
    "created_at": "2026-03-01T12:00:05Z",
    "likes": 10,
    "reposts": 2,
    "replies": 1,
    "lang": "en",
    "url": "https://x.com/karpathy/status/1",
    "quotes": "x:0",
}


def line(**changes: object) -> bytes:
    data = {**GOOD, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def test_canonical_line_round_trips() -> None:
    post = Post.from_line(line())
    assert post.created_at == datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    assert post.created_at.tzinfo is UTC
    assert post.engagement == 13
    assert post.quotes == "x:0"
    assert Post.from_line(json.dumps(post.to_json())) == post
    assert Post.from_json(post.to_json()) == post


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": 17}, {"id": "17"}),  # integer ids become strings
        ({"likes": None, "reposts": 2.9}, {"likes": 0, "reposts": 2}),
        ({"likes": -5}, {"likes": 0}),
        ({"lang": "", "url": 7}, {"lang": None, "url": None}),
        ({"lang": ..., "url": ...}, {"lang": None, "url": None}),
        ({"quotes": ...}, {"quotes": None}),  # lines written before posts named a quoted one
        ({"id": 17, "quotes": 3}, {"quotes": None}),
        ({"created_at": "2026-03-01T12:00:05"}, {}),  # no offset means UTC
        ({"created_at": "2026-03-01T14:00:05+02:00"}, {}),
        ({"created_at": "2026-03-01 12:00:05Z"}, {}),  # fromisoformat still reads this
    ],
)
def test_lenient_lines_keep_their_old_meaning(
    changes: dict[str, object], expected: dict[str, object]
) -> None:
    post = Post.from_line(line(**changes))
    assert post.created_at == datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    assert post.created_at.tzinfo is UTC
    for key, value in expected.items():
        assert getattr(post, key) == value


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"[1, 2]",
        b"null",
        line(text=...),
        line(created_at=...),
        line(created_at="yesterday"),
        line(created_at=17),
        line(author=None),
        line(id=""),
        line(text=["a"]),
        line(likes=True),
        line(likes=10**30),
        line(likes=1e300),
        line(created_at="0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        b'{"id":"1","source":"x","author":"a","text":"t","created_at":"2026-03-01T00:00:00Z",'
        b'"likes":NaN}',
        b'{"id":"1","source":"x","author":"a","text":"t","created_at":"2026-03-01T00:00:00Z",'
        b'"likes":1e400}',
        b'{"id":"1","source":"x","author":"a","text":"\xff\xfe","created_at":"2026-03-01T00:00Z"}',
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"lang":' + b"[" * 100_000 + b"]" * 100_000 + b"," + line()[1:],
    ],
)
def test_bad_lines_raise_only_post_format_error(raw: bytes) -> None:
    with pytest.raises(PostFormatError):
        Post.from_line(raw)


def test_keyword_and_positional_construction_normalise_time() -> None:
    plus_two = timezone(timedelta(hours=2))
    a = Post("p", "x", "a", "t", datetime(2026, 3, 1, 14, tzinfo=plus_two))
    b = Post(id="p", source="x", author="a", text="t", created_at=datetime(2026, 3, 1, 12))
    assert a == b and a.created_at.tzinfo is UTC and hash(a) == hash(b)
    moved = msgspec.structs.replace(a, created_at=a.created_at + timedelta(hours=1))
    assert moved.created_at.timestamp() - a.created_at.timestamp() == 3600


def test_counts_at_the_bound_are_kept() -> None:
    assert Post.from_line(line(likes=MAX_COUNT)).likes == MAX_COUNT
    with pytest.raises(PostFormatError):
        Post.from_line(line(likes=MAX_COUNT + 1))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    try:
        post = Post.from_line(raw)
    except PostFormatError:
        return
    assert isinstance(post.text, str) and post.created_at.tzinfo is UTC


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list(GOOD)), json_values, max_size=10))
def test_any_json_object_decodes_or_is_refused(data: dict[str, object]) -> None:
    merged = {**GOOD, **data}
    try:
        post = Post.from_line(json.dumps(merged))
    except PostFormatError:
        return
    assert isinstance(merged["text"], str) and post.text == merged["text"]
    assert post.created_at.tzinfo is UTC
    assert 0 <= post.engagement <= 3 * MAX_COUNT
    assert post.id and post.source and post.author


def test_decode_canonical_takes_a_clean_block_whole_and_refuses_any_other():
    post = Post("1", "x", "a", "hi", datetime(2026, 3, 1, tzinfo=UTC))
    line = json.dumps(post.to_json()).encode()
    assert decode_canonical([line, line]) == [post, post]
    assert decode_canonical([]) == []
    lenient = json.dumps({**post.to_json(), "id": 1}).encode()  # the per-line path reads it
    for odd in (b"", b"  ", b"not json", lenient, object()):
        assert decode_canonical([line, odd]) is None
