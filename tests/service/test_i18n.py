"""Catalog completeness and language negotiation."""

from __future__ import annotations

import pytest

from bot.i18n import EN, JA, negotiate, placeholders, t


def test_every_key_exists_in_both_languages_with_the_same_fields() -> None:
    assert set(EN) == set(JA)
    for key in EN:
        assert placeholders(EN[key]) == placeholders(JA[key]), key
        assert EN[key] != JA[key] or key.startswith("usage.") or "{" in EN[key][:1], key


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("ja", "ja"),
        ("ja-JP", "ja"),
        ("JA_jp", "ja"),
        ("en-US", "en"),
        ("de", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_negotiate(locale: str | None, expected: str) -> None:
    assert negotiate(locale) == expected


def test_formatting_and_fallbacks() -> None:
    assert t("label.best_token", "en", symbol="GHOST", liquidity=12345.6) == (
        "best $GHOST ($12,346 liquidity)"
    )
    assert "12,346" in t("label.best_token", "ja", symbol="GHOST", liquidity=12345.6)
    assert t("alert.score", "xx", score=61.4) == "Score 61/100"  # unknown language: English
    assert t("no.such.key", "en") == "no.such.key"
    assert t("alert.score", "en") == EN["alert.score"]  # a missing parameter never raises
