"""The vocabulary: chunks cut like str.split(), found by hash or by text, reset safely."""

from __future__ import annotations

import unicodedata

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.text import _joined, extract
from bot.engine.tokens import POST_SEP, tokenize
from bot.engine.vocab import HASHED_CHUNK_BYTES, HashIds, Vocab


def test_vocab_reset_keeps_phrase_hashes():
    texts = ["summoning ghosts not building animals"] * 3
    small = Vocab(max_size=2)
    first = extract(texts, small).phrase
    second = extract(texts, small).phrase  # triggers a reset before mapping
    assert np.array_equal(first, second)
    assert np.array_equal(first, extract(texts, Vocab()).phrase)


def _split_tokens(text: str) -> list[str]:
    """What the vocabulary must produce: each whitespace chunk tokenized (URLs a break)."""
    out: list[str] = []
    for chunk in text.split():
        if chunk == POST_SEP:
            out.append(POST_SEP)
        elif "://" in chunk or "@" in chunk or chunk.startswith("www."):
            out.append(".")
        else:
            out.extend(tokenize(chunk))
    return out


_SPACES = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("ab#$'.,幽霊を" + _SPACES), max_size=40)
        | st.text(max_size=60),
        max_size=8,
    )
)
def test_vocab_cuts_chunks_like_str_split(texts):
    vocab = Vocab()
    for _ in range(2):  # the second pass finds every chunk by its hash
        joined = _joined(texts)
        ids = vocab.token_ids(joined).tolist()
        assert [vocab.token_str[i] for i in ids] == _split_tokens(joined)


def test_long_chunks_are_found_by_text():
    vocab = Vocab()
    long = "x" * (HASHED_CHUNK_BYTES + 1)
    for _ in range(2):
        ids = vocab.token_ids(f"{long} ghost {long}")
        assert [vocab.token_str[i] for i in ids.tolist()] == [long, "ghost", long]
    assert list(vocab.by_text) == [long]


def test_hash_ids_grow_and_probe():
    keys = (np.arange(1, 200, dtype=np.uint64) << np.uint64(52)) | np.uint64(1)  # shared homes
    for batch in (keys.size, 30):  # inserted at once (numpy) or a few at a time (a loop)
        table = HashIds(bits=4)
        for lo in range(0, keys.size, batch):
            table.put(keys[lo : lo + batch], np.arange(lo, min(lo + batch, keys.size)))
        assert table.get(keys).tolist() == list(range(keys.size))
        assert table.get(np.array([7, 9], dtype=np.uint64)).tolist() == [-1, -1]


def test_chunk_hash_depends_only_on_the_chunk_bytes():
    # Chunks of 1-40 bytes (one to five 8-byte words), some equal but for their last byte or
    # their length, each placed at several offsets of a batch.
    chunks = [("ab" * 20)[:n] for n in range(1, 41)] + [
        ("ab" * 20)[: n - 1] + "z" for n in range(1, 41)
    ]
    data = b""
    starts: list[int] = []
    for pad in (0, 1, 3, 7):
        for chunk in chunks:
            data += b" " * pad
            starts.append(len(data))
            data += chunk.encode() + b" "
    begin = np.array(starts)
    ends = begin + np.array([len(c) for c in chunks] * 4)
    hashes = Vocab()._chunk_hashes(data, begin, ends).reshape(4, len(chunks))
    assert (hashes == hashes[0]).all()  # the same wherever the chunk sits
    assert len(set(hashes[0].tolist())) == len(chunks)  # distinct chunks, distinct hashes


def test_chunks_sharing_their_first_words_are_told_apart():
    vocab = Vocab()
    words = ["summoning", "summoningghosts", "summoningghosts!", "summoningghostz!", "s", "su"]
    for _ in range(2):  # the second pass finds every chunk by its hash
        ids = vocab.token_ids(" ".join(words))
        assert [vocab.token_str[i] for i in ids.tolist()] == [t for w in words for t in tokenize(w)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=30), max_size=6))
def test_joined_ascii_is_normalised_like_any_text(texts):
    # ASCII skips NFKC and casefold(): the result must be what they give.
    expected = f" {POST_SEP} ".join(
        unicodedata.normalize("NFKC", t.replace(POST_SEP, " ")).casefold() for t in texts
    )
    assert _joined(texts) == expected
