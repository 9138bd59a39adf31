"""Hypothesis strategies for hostile upstream payloads, seeded by real recorded ones.

The recorded payloads in tests/fixtures/upstream-real give the shapes; these strategies break
them the ways the outside world does: wrong types, NaN and infinities, absurd numbers, huge,
empty and control-character strings, lone surrogates, deep nesting, invalid UTF-8, and bodies
that are not JSON at all.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import strategies as st

from bot.posts import Post
from bot.sources.fields import MAX_AUTHOR, MAX_COUNT, MAX_ID, MAX_TEXT, MAX_URL
from bot.sources.health import HealthRegistry
from bot.sources.http import HttpClient, Response

REAL = Path(__file__).resolve().parent / "fixtures" / "upstream-real"
T = TypeVar("T")


def real_json(name: str) -> Any:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def real_bytes(name: str) -> bytes:
    return (REAL / name).read_bytes()


# Values that have broken parsers somewhere: each is tried often, not left to chance.
ABSURD: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63),
    10**30,
    10**400,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    " ",
    "NaN",
    "Infinity",
    "1e999",
    "-0",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff tail",
    "\u202e\u200b",
    "<script>alert(1)</script>",
    "x" * 70_000,
    "9" * 5000,
    [],
    {},
    [[[[[]]]]],
    {"a": {"b": {"c": {}}}},
]

scalars = st.one_of(
    st.sampled_from(ABSURD),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _containers(node: Any) -> Iterator[dict[str, Any] | list[Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _containers(value)
    elif isinstance(node, list):
        yield node
        for value in node:
            yield from _containers(value)


@st.composite
def mutated(draw: st.DrawFn, seed: Any, max_changes: int = 4) -> Any:
    """A deep copy of a real payload with a few values replaced, dropped or retyped."""
    doc = copy.deepcopy(seed)
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        nodes = list(_containers(doc))
        if not nodes:
            return copy.deepcopy(draw(json_values))
        node = draw(st.sampled_from(nodes))
        if isinstance(node, dict):
            keys = sorted(node)
            key = draw(st.sampled_from(keys)) if keys else "extra"
            if keys and draw(st.integers(0, 5)) == 0:
                del node[key]
            else:
                node[key] = copy.deepcopy(draw(json_values))
        elif node:
            index = draw(st.integers(min_value=0, max_value=len(node) - 1))
            node[index] = copy.deepcopy(draw(json_values))
        else:
            node.append(copy.deepcopy(draw(json_values)))
    return doc


def nested(depth: int) -> bytes:
    """One value nested `depth` levels deep, e.g. [[[[...]]]]."""
    return b"[" * depth + b"]" * depth


@st.composite
def bodies(draw: st.DrawFn, seed: Any) -> bytes:
    """A response body: a mutated real document, or bytes that are barely or not JSON."""
    kind = draw(st.sampled_from(["doc", "doc", "doc", "bytes", "deep", "broken_utf8", "cut"]))
    doc = draw(mutated(seed))
    text = json.dumps(doc).encode()  # allow_nan: NaN and Infinity literals, as some servers send
    if kind == "doc":
        return text
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        return nested(draw(st.sampled_from([1_000, 10_000, 100_000])))
    if kind == "broken_utf8":
        at = draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))
        return text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + text[at:]
    at = draw(st.integers(min_value=0, max_value=max(0, len(text) - 1)))
    return text[:at]


class ScriptedHttp(HttpClient):
    """The real HttpClient (retries, health, skip counts) answering from a function, no socket."""

    def __init__(self, answer: Callable[[str, str], bytes | tuple[int, bytes]]) -> None:
        super().__init__(health=HealthRegistry(), retries=0, breaker_threshold=10**9)
        self.answer = answer

    async def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
        data: Any,
    ) -> Response:
        answer = self.answer(method, url)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        if len(body) > self.max_body:
            from bot.sources.http import PayloadError

            raise PayloadError("response is too large", "too_large")
        return Response(status, {}, body)


def run(coro: Awaitable[T]) -> T:
    """Run one coroutine to the end on a fresh loop (hypothesis examples are synchronous)."""

    async def main() -> T:
        return await coro

    return asyncio.run(main())


def storable(text: str, limit: int) -> bool:
    """Short enough, encodable as UTF-8, and without NUL or other control characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(text) <= limit and not any(ord(c) < 32 and c not in "\n\t" for c in text)


def assert_sane_post(post: Post) -> None:
    """What every connector promises about a Post it returns, whatever it was sent."""
    assert post.text and storable(post.text, MAX_TEXT), post.text[:80]
    assert post.author and storable(post.author, MAX_AUTHOR), post.author[:80]
    assert storable(post.id, MAX_ID), post.id[:80]
    assert post.url is None or (
        storable(post.url, MAX_URL) and post.url.startswith(("https://", "http://"))
    )
    assert post.lang is None or storable(post.lang, 16)
    assert post.created_at.tzinfo is not None
    for value in (post.likes, post.reposts, post.replies):
        assert isinstance(value, int) and 0 <= value <= 2 * MAX_COUNT
