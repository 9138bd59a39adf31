"""The normalized post every source produces and the engine consumes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

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
)


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
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with a trailing Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _count(value: Any, key: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PostFormatError(f"{key} must be a number")
    return max(0, int(value))


@dataclass(slots=True, frozen=True)
class Post:
    id: str
    source: str
    author: str
    text: str
    created_at: datetime
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    lang: str | None = None
    url: str | None = None

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
        }

    @classmethod
    def from_json(cls, data: Any) -> Post:
        """Build a Post from one decoded JSON Lines object; raises PostFormatError."""
        if not isinstance(data, dict):
            raise PostFormatError("line is not a JSON object")
        text = data.get("text")
        if not isinstance(text, str):
            raise PostFormatError("missing text")
        if "created_at" not in data:
            raise PostFormatError("missing created_at")
        created = parse_time(data["created_at"])
        post_id, source, author = data.get("id"), data.get("source"), data.get("author")
        for key, value in (("id", post_id), ("source", source), ("author", author)):
            if not isinstance(value, str | int) or value == "":
                raise PostFormatError(f"missing {key}")
        lang, url = data.get("lang"), data.get("url")
        return cls(
            id=str(post_id),
            source=str(source),
            author=str(author),
            text=text,
            created_at=created,
            likes=_count(data.get("likes"), "likes"),
            reposts=_count(data.get("reposts"), "reposts"),
            replies=_count(data.get("replies"), "replies"),
            lang=lang if isinstance(lang, str) and lang else None,
            url=url if isinstance(url, str) and url else None,
        )

    @classmethod
    def from_line(cls, line: str | bytes) -> Post:
        try:
            data = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PostFormatError("not JSON") from exc
        return cls.from_json(data)
