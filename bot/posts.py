"""The normalized post every source produces and the engine consumes, and its JSON Lines codec.

Decoding is typed (msgspec): a replay line goes straight from bytes to a `Post`, with the field
rules below checked in C. Only a line the strict schema refuses takes the lenient path (integer
ids, null or fractional counts, a non-RFC 3339 time that `datetime.fromisoformat` still reads),
which keeps every line the stdlib reader accepted while costing nothing on well-formed files.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

JSONL_KEYS = (
    "id",
    "source",
    "author",
    "text",
    "created_at",
    "likes",
    "reposts",
    "replies",
    "lang",
    "url",
    "quotes",
)

MAX_COUNT = 2**53  # engagement above this is not a real count (and loses float precision)

_NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]


class PostFormatError(ValueError):
    """A replay line or payload that cannot become a Post."""


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 timestamp ("2026-03-01T12:00:05Z") into an aware UTC datetime."""
    if not isinstance(value, str) or not value:
        raise PostFormatError("created_at must be an RFC 3339 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PostFormatError(f"unparseable created_at {value[:40]!r}") from exc
    return _utc(moment)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is UTC:
        return moment
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
        raise PostFormatError("created_at out of range") from exc


def format_time(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with a trailing Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Post(msgspec.Struct, frozen=True, gc=False):
    """One post; `created_at` is normalised to aware UTC at construction and decoding.

    The field annotations double as the strict replay-line schema (checked only when decoding).
    No derived epoch field is stored: `msgspec.structs.replace` skips `__post_init__`, so a
    copy could carry a stale one. `created_at.timestamp()` costs about 0.2 µs.
    """

    id: _NonEmpty
    source: _NonEmpty
    author: _NonEmpty
    text: str
    created_at: datetime
    likes: _Count = 0
    reposts: _Count = 0
    replies: _Count = 0
    lang: _NonEmpty | None = None
    url: _NonEmpty | None = None
    # The id (as this bot names posts) of the post this one quotes or replies to, where the
    # network says: a quote of a leader's post ties what it says to that post's story.
    quotes: _NonEmpty | None = None

    def __post_init__(self) -> None:
        if self.created_at.tzinfo is not UTC:
            msgspec.structs.force_setattr(self, "created_at", _utc(self.created_at))

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "author": self.author,
            "text": self.text,
            "created_at": format_time(self.created_at),
            "likes": self.likes,
            "reposts": self.reposts,
            "replies": self.replies,
            "lang": self.lang,
            "url": self.url,
            "quotes": self.quotes,
        }

    @classmethod
    def from_json(cls, data: Any) -> Post:
        """Build a Post from one decoded JSON object; raises PostFormatError."""
        try:
            return msgspec.convert(data, cls)
        except (msgspec.ValidationError, ValueError, TypeError):
            pass
        try:
            loose = msgspec.convert(data, _LooseLine)
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            raise PostFormatError(_reason(exc)) from exc
        return loose.to_post()

    @classmethod
    def from_line(cls, line: str | bytes) -> Post:
        """Decode one JSON Lines line; raises PostFormatError for anything unusable."""
        try:
            return _STRICT.decode(line)
        except (msgspec.ValidationError, PostFormatError):
            pass  # valid JSON, not canonical: the lenient schema decides
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, OverflowError) as exc:
            raise PostFormatError("not JSON") from exc
        try:
            loose = _LOOSE.decode(line)
        except msgspec.ValidationError as exc:  # a DecodeError subclass: test it first
            raise PostFormatError(_reason(exc)) from exc
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise PostFormatError("not JSON") from exc
        except (ValueError, TypeError, OverflowError) as exc:
            raise PostFormatError(_reason(exc)) from exc
        return loose.to_post()


_Id = Annotated[str, msgspec.Meta(min_length=1)] | int
_Number = int | float | None
_NULL = msgspec.Raw(b"null")


class _LooseLine(msgspec.Struct, gc=False):
    """What a replay line may also look like (the pre-msgspec reader accepted all of it)."""

    text: str
    created_at: str
    id: _Id
    source: _Id
    author: _Id
    likes: _Number = None
    reposts: _Number = None
    replies: _Number = None
    lang: msgspec.Raw = _NULL  # any JSON value; only a non-empty string is kept
    url: msgspec.Raw = _NULL
    quotes: msgspec.Raw = _NULL

    def to_post(self) -> Post:
        return Post(
            id=str(self.id),
            source=str(self.source),
            author=str(self.author),
            text=self.text,
            created_at=parse_time(self.created_at),
            likes=_count(self.likes, "likes"),
            reposts=_count(self.reposts, "reposts"),
            replies=_count(self.replies, "replies"),
            lang=_optional_str(self.lang),
            url=_optional_str(self.url),
            quotes=_optional_str(self.quotes),
        )


def _count(value: int | float | None, key: str) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and not math.isfinite(value):
        raise PostFormatError(f"{key} is not a finite number")
    if value > MAX_COUNT:
        raise PostFormatError(f"{key} is out of range")
    return max(0, int(value))


_STR = msgspec.json.Decoder(str)


def _optional_str(raw: msgspec.Raw) -> str | None:
    if not bytes(raw).startswith(b'"'):
        return None  # null, numbers, objects, arrays, booleans: ignored as before
    try:
        value = _STR.decode(raw)
    except msgspec.DecodeError:
        return None
    return value or None


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "`$.text`" in text or "field `text`" in text:
        return "missing text"
    if "`$.created_at`" in text or "field `created_at`" in text:
        return "missing created_at"
    for key in ("id", "source", "author"):
        if f"`$.{key}`" in text or f"field `{key}`" in text:
            return f"missing {key}"
    if "Expected `object`" in text:
        return "line is not a JSON object"
    return text[:80] or type(exc).__name__


_STRICT = msgspec.json.Decoder(Post)
_LOOSE = msgspec.json.Decoder(_LooseLine)


def decode_canonical(lines: Sequence[Any]) -> list[Post] | None:
    """Posts of lines that all fit the strict schema, decoded with no Python work per line;
    None when any line does not (a blank or bad line, a lenient one): decode those one by
    one with `Post.from_line`, which keeps the per-line contract."""
    try:
        return list(map(_STRICT.decode, lines))
    except Exception:  # any failure sends the whole block to the exact path
        return None


def by_interval(posts: Sequence[Post], seconds: int = 60) -> Iterator[list[Post]]:
    """Consecutive posts grouped into event-time intervals (one engine ingest + tick each)."""
    batch: list[Post] = []
    current: int | None = None
    for post in posts:
        slot = int(post.created_at.timestamp()) // seconds
        if current is not None and slot != current and batch:
            yield batch
            batch = []
        current = slot
        batch.append(post)
    if batch:
        yield batch
