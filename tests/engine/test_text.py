"""Extraction and folding: unit checks plus hypothesis properties (never crash, stay bounded)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import canonicalize
from bot.engine.folding import stem
from bot.engine.text import (
    MAX_NGRAM,
    cjk_posts,
    extract,
    once_per_post,
    phrase_text,
)
from bot.engine.vocab import Vocab


def _phrases(texts: list[str]) -> set[tuple[int, str]]:
    vocab = Vocab()
    ext = extract(texts, vocab)
    return {
        (int(p), phrase_text(ext, vocab, int(s), int(n))[0])
        for p, s, n in zip(ext.post, ext.start, ext.length, strict=True)
    }


def test_phrases_skip_stopword_edges_urls_and_mentions():
    got = {c for _, c in _phrases(["The summoning of ghosts https://t.co/x @bob is here"])}
    assert "summon of ghost" in got and "summon" in got and "ghost" in got
    assert not any(c.startswith(("the", "of ")) or c.endswith(" of") for c in got)
    assert not any("http" in c or "bob" in c for c in got)


def test_phrases_do_not_cross_punctuation_or_posts():
    got = _phrases(["summoning ghosts, not animals", "ghosts animals"])
    assert (0, "ghost not animal") not in got
    assert (0, "summon ghost") in got and (1, "ghost animal") in got
    assert all(p in (0, 1) for p, _ in got)


def test_tags_are_standalone_phrases():
    got = {c for _, c in _phrases(["$GHOST to the moon #SummoningGhosts"])}
    assert {"$ghost", "#summoningghost", "moon"} <= got
    assert not any(" " in c and ("#" in c or "$" in c) for c in got)


def test_japanese_without_spaces():
    got = {c for _, c in _phrases(["Karpathyは幽霊を召喚すると言った"])}
    assert "幽霊を召喚" in got and "幽霊" in got and "召喚" in got
    assert not any(c.startswith(("を", "は")) or c.endswith(("を", "する")) for c in got)


def test_folding_links_inflections():
    assert {stem(w) for w in ("summon", "summons", "summoning", "summoned")} == {"summon"}
    assert stem("ghosts") == stem("ghost") == "ghost"
    assert stem("coding") == stem("codes") == "code"
    assert canonicalize("Summoning Ghosts") == canonicalize("summoned ghost") == "summon ghost"
    assert canonicalize("#SummoningGhosts") == "#summoningghost"
    assert canonicalize("幽霊を召喚する") == "幽霊を召喚"
    assert canonicalize("$GHOST") == "$ghost"
    assert canonicalize("the") == ""


def test_identical_texts_share_a_signature():
    ext = extract(
        ["ape into ghostcoin now", "ape into ghostcoin now", "ape into other now"], Vocab()
    )
    assert ext.text_sig[0] == ext.text_sig[1] != ext.text_sig[2]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=12))
def test_arbitrary_unicode_never_crashes(texts):
    vocab = Vocab()
    ext = extract(texts, vocab)
    assert ext.n_posts == len(texts) and ext.text_sig.shape == (len(texts),)
    assert ext.phrase.shape == ext.post.shape == ext.start.shape == ext.length.shape
    if ext.post.size:
        assert int(ext.post.min()) >= 0 and int(ext.post.max()) < len(texts)
        assert int(ext.length.max()) <= MAX_NGRAM and np.all(ext.phrase != 0)
    for text in texts[:3]:
        canonicalize(text)


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20))
def test_separator_like_characters_do_not_shift_posts(noise):
    texts = [noise + "\x00\x1e" + noise, "plain ghost words"]
    vocab = Vocab()
    ext = extract(texts, vocab)
    assert ext.n_posts == 2
    second = {
        phrase_text(ext, vocab, int(s), int(n))[0]
        for p, s, n in zip(ext.post, ext.start, ext.length, strict=True)
        if p == 1
    }
    assert {"plain", "ghost", "plain ghost word"} <= second


def test_empty_and_huge_posts():
    vocab = Vocab()
    assert extract([], vocab).phrase.size == 0
    assert extract(["", "   ", "\x00"], vocab).n_posts == 3
    huge = "ghost " * 200_000 + "\U0010ffff" * 1000
    ext = extract([huge, "summoning ghosts"], vocab)
    assert ext.n_posts == 2 and int(ext.post.max()) == 1
    assert ext.phrase.size < 10_000  # huge posts are clipped, so cost stays bounded


def test_hashtags_link_to_the_phrase_they_spell() -> None:
    from datetime import UTC, datetime

    from bot.engine.candidates import Candidate
    from bot.engine.clustering import tag_linked

    def cand(canonical: str, *surfaces: str) -> Candidate:
        c = Candidate(key=1, slot=1, first_seen=datetime(2026, 3, 1, tzinfo=UTC))
        c.canonical = canonical
        c.surfaces = {s: 1 for s in surfaces}
        return c

    vibe = cand("vibe code", "vibe coding", "Vibe Coding")
    ghosts = cand("summon ghost", "summoning ghosts")
    assert tag_linked(cand(canonicalize("#VibeCoding")), vibe)
    assert tag_linked(cand(canonicalize("#vibecode")), vibe)
    assert tag_linked(cand(canonicalize("#SummoningGhosts")), ghosts)
    assert not tag_linked(cand(canonicalize("#vibecheck")), vibe)
    assert not tag_linked(cand(canonicalize("#summon")), ghosts)
    assert tag_linked(cand("$ghost"), ghosts) and not tag_linked(cand("$vibe"), ghosts)


def test_a_phrase_counts_once_per_post() -> None:
    """A long post saying a word five times is one post using it (counts are of posts)."""
    vocab = Vocab()
    ext = extract(["prism prism prism, the prism leak", "prism"], vocab)
    pairs = [
        (int(p), phrase_text(ext, vocab, int(s), int(n))[0])
        for p, s, n in zip(ext.post, ext.start, ext.length, strict=True)
    ]
    assert pairs.count((0, "prism")) == 1 and pairs.count((1, "prism")) == 1
    assert pairs.count((0, "prism leak")) == 1
    first = min(
        int(s)
        for p, s, n in zip(ext.post, ext.start, ext.length, strict=True)
        if int(p) == 0 and int(n) == 1 and phrase_text(ext, vocab, int(s), 1)[0] == "prism"
    )
    assert first == 0  # the first occurrence is the one kept


def test_ordinals_and_padded_numbers() -> None:
    """A date is not a coinage; "S03E10" and "s3e10" are one episode."""
    got = {c for _, c in _phrases(["see you june 3rd for the 1990s revival"])}
    assert "june 3rd" not in got and "3rd" not in got and "1990s revival" not in got
    assert "june" in got and "revival" in got
    assert canonicalize("S03E10") == canonicalize("s3e10") == "s3e10"
    assert canonicalize("#S03E10") == "#s3e10"
    assert stem("ps4") == "ps4" and stem("007") == "007"


def test_once_per_post_is_exact_however_pairs_collide() -> None:
    """Every (post, phrase) pair keeps exactly its first occurrence, even in a crowded table."""
    rng = np.random.default_rng(3)
    phrase = rng.integers(1, 50, 20_000).astype(np.uint64)  # few phrases: many repeats
    post = np.sort(rng.integers(0, 400, 20_000))
    keep = once_per_post(phrase, post)
    assert keep is not None
    seen: set[tuple[int, int]] = set()
    expected = []
    for i, pair in enumerate(zip(phrase.tolist(), post.tolist(), strict=True)):
        if pair not in seen:
            seen.add(pair)
            expected.append(i)
    assert keep.tolist() == expected
    assert once_per_post(np.array([5, 6], dtype=np.uint64), np.array([0, 0])) is None


def test_a_post_is_in_a_cjk_script_if_any_of_its_words_is() -> None:
    vocab = Vocab()
    ext = extract(["hello world", "今日は幽霊を召喚", "", "vibe coding バイブ", "#tag only"], vocab)
    assert cjk_posts(ext, vocab).tolist() == [False, True, False, True, False]
