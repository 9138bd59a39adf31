"""The latest posts a newly tracked phrase is compared with (bot/engine/overheard.py)."""

from __future__ import annotations

import numpy as np

from bot.engine.overheard import Overheard
from bot.engine.text import extract, framed, phrase_key
from bot.engine.vocab import Vocab

KEY = phrase_key(["mirvane", "wallet"])


def _batch(heard: Overheard, vocab: Vocab, texts: list[str], at: float) -> None:
    ext = extract(texts, vocab)
    heard.add(ext, np.full(len(texts), at), at)


def test_a_phrase_hears_its_earlier_posts_oldest_first_framed_as_when_adopted() -> None:
    vocab = Vocab()
    heard = Overheard(vocab, max_seconds=3600.0, max_posts=4000)
    late = ["switched to mirvane wallet last week best decision"]
    early = ["honestly the mirvane wallet changed my life, mirvane wallet!", "gm"]
    _batch(heard, vocab, early, 100.0)
    _batch(heard, vocab, late, 200.0)
    said = heard.said(np.array([KEY, 99], dtype=np.uint64))
    assert list(said) == [KEY]
    assert [s.ts for s in said[KEY]] == [100.0, 200.0]  # the post repeating it: once
    ext = extract(early, vocab)
    mine = np.flatnonzero(ext.phrase == np.uint64(KEY))[0]
    start = int(ext.start[mine])
    assert said[KEY][0].frame == frozenset(framed(ext, vocab, 0, start, 2))
    assert said[KEY][0].sig == int(ext.text_sig[0])
    assert len(said[KEY][0].frame) == 5  # honestly the _ changed my life (a comma is a break)
    assert [s.surface for s in said[KEY]] == ["mirvane wallet", "mirvane wallet"]
    _batch(heard, vocab, ["mirvane wallets are back"], 300.0)  # a plural folds to the same key
    assert heard.said(np.array([KEY], dtype=np.uint64))[KEY][-1].surface == "mirvane wallets"


def test_it_keeps_the_newest_batches_holding_its_posts_and_none_older_than_its_span() -> None:
    vocab = Vocab()
    heard = Overheard(vocab, max_seconds=600.0, max_posts=10)
    for minute in range(6):
        _batch(heard, vocab, [f"mirvane wallet post {minute} {i}" for i in range(4)], minute * 60.0)
    assert heard.posts == 12  # the newest batches that hold ten posts: three of the six
    assert len(heard.said(np.array([KEY], dtype=np.uint64))[KEY]) == 12
    _batch(heard, vocab, ["mirvane wallet much later"], 6000.0)
    assert heard.posts == 1  # the rest is older than ten minutes
    restored = Overheard(Vocab(), max_seconds=600.0, max_posts=10)  # another process
    restored.restore(heard.to_state())
    assert restored.posts == 1
    assert restored.said(np.array([KEY], dtype=np.uint64)) == heard.said(
        np.array([KEY], dtype=np.uint64)
    )
    assert restored.said(np.array([KEY], dtype=np.uint64))[KEY][0].surface == "mirvane wallet"


def test_the_posts_kept_outlive_the_vocabulary_dropping_its_ids() -> None:
    """The vocabulary drops its ids when it grows too big; the posts kept spell their words
    out first, so a phrase tracked afterwards hears them as it would have before."""
    vocab = Vocab(max_size=64)
    heard = Overheard(vocab, max_seconds=3600.0, max_posts=4000)
    _batch(heard, vocab, ["honestly the mirvane wallet changed my life"], 100.0)
    before = heard.said(np.array([KEY], dtype=np.uint64))
    filler = [" ".join(f"w{i}x{j}" for j in range(10)) for i in range(10)]  # 100 new words
    _batch(heard, vocab, filler, 150.0)
    _batch(heard, vocab, ["gm"], 160.0)  # the vocabulary is dropped before this batch
    assert len(vocab.token_str) < 64
    assert heard.said(np.array([KEY], dtype=np.uint64)) == before
