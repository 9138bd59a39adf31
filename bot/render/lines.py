"""The typed line models every view is built from, and every platform renders.

A line is a tuple of pieces; each piece holds plain text the platform escapes and marks up.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plain:
    text: str


@dataclass(frozen=True, slots=True)
class Bold:
    text: str


@dataclass(frozen=True, slots=True)
class Italic:
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    text: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link shown with its real host; only a plain http(s) `url` is linked, else the label."""

    label: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Quote:
    """A quoted scraped text that ends the line (a post's body)."""

    text: str


Piece = Plain | Bold | Italic | Code | Link | Quote


@dataclass(frozen=True, slots=True)
class Line:
    pieces: tuple[Piece, ...]

    @classmethod
    def of(cls, *pieces: Piece | str) -> Line:
        """A line from pieces; a bare string is plain text."""
        return cls(tuple(Plain(p) if isinstance(p, str) else p for p in pieces))

    def plain(self) -> str:
        """The line's text without markup (a link shows its label)."""
        out = []
        for piece in self.pieces:
            if isinstance(piece, Link):
                out.append(piece.label)
            elif isinstance(piece, Quote):
                out.append(f": {piece.text}" if piece.text else "")
            else:
                out.append(piece.text)
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of lines: a bold heading on Telegram, an embed field on Discord."""

    title: str
    lines: tuple[Line, ...]


BULLET = "• "
SEPARATOR = " · "


def bullet(*pieces: Piece | str) -> Line:
    return Line.of(BULLET, *pieces)
