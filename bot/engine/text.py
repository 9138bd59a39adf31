"""Normalization and vectorised phrase extraction: a batch of texts -> phrase occurrences.

The batch's texts are joined and normalised once; its whitespace chunks are cut and hashed in
numpy and found in a table of chunks already tokenized (the regex runs once per distinct
chunk), giving an array of token ids; numpy rolling hashes over it produce every 1-4-gram
that neither starts nor ends with a stopword, plus hashtags and cashtags. Phrase hashes are
built from *folded* token hashes, so "summoning ghosts" and "summoned ghost" produce the same
phrase hash.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.engine.folding import fold_token, join_tokens, stable_hash
from bot.engine.tokens import (
    BREAK,
    CJK_WORD,
    MAX_TEXT_CHARS,
    POST_SEP,
    SEP,
    STOP,
    TAG,
    is_edge_stop,
    mix64,
    normalize,
    tokenize,
)
from bot.engine.vocab import Vocab

MAX_NGRAM = 4
# Mixing constants for the rolling phrase hash (odd 64-bit multipliers).
_MULT = np.uint64(0x9E3779B97F4A7C15)
_LEN_SALT = [np.uint64(0), *(np.uint64(stable_hash(f"ngram:{n}")) for n in range(1, MAX_NGRAM + 1))]


@dataclass(slots=True)
class Extraction:
    """Phrase occurrences of one batch: the seam between extraction and aggregation."""

    n_posts: int
    token_ids: np.ndarray  # int64 per token (POST_SEP between posts)
    phrase: np.ndarray  # uint64 phrase hash per occurrence
    post: np.ndarray  # int64 post index (within the batch) per occurrence
    start: np.ndarray  # int64 first token index per occurrence
    length: np.ndarray  # int8 n-gram length per occurrence
    text_sig: np.ndarray  # uint64 per post: order-free signature of its tokens (ring detection)
    bounds: np.ndarray  # int64, n_posts + 1: post i's tokens are token_ids[bounds[i]:bounds[i+1]]


_SEP_CHUNK = f" {POST_SEP} "


def _joined(texts: Sequence[str]) -> str:
    clipped = texts
    if max(map(len, texts), default=0) > MAX_TEXT_CHARS:  # rare: clip post by post only then
        clipped = [t if len(t) <= MAX_TEXT_CHARS else t[:MAX_TEXT_CHARS] for t in texts]
    joined = _SEP_CHUNK.join(clipped)
    if joined.count(POST_SEP) != len(clipped) - 1:  # a text carried the separator itself
        joined = _SEP_CHUNK.join(t.replace(POST_SEP, " ") for t in clipped)
    if joined.isascii():  # NFKC leaves ASCII alone and casefolds it as lower() does
        return joined.lower()
    text = unicodedata.normalize("NFKC", joined).casefold().replace("’", "'")
    if text.count(POST_SEP) != len(clipped) - 1:  # NFKC touched a separator: go post by post
        text = _SEP_CHUNK.join(
            unicodedata.normalize("NFKC", t).casefold().replace(POST_SEP, " ") for t in clipped
        )
    return text


def extract(texts: Sequence[str], vocab: Vocab) -> Extraction:
    """Extract phrase occurrences from a batch of raw post texts."""
    n_posts = len(texts)
    empty_u = np.zeros(0, dtype=np.uint64)
    empty_i = np.zeros(0, dtype=np.int64)
    if n_posts == 0:
        return Extraction(
            0,
            empty_i,
            empty_u,
            empty_i,
            empty_i,
            empty_i.astype(np.int8),
            empty_u,
            np.zeros(1, np.int64),
        )
    vocab.maybe_reset()
    ids = vocab.token_ids(_joined(texts))
    hashes = vocab.hashes[ids]
    flags = vocab.flags[ids]
    n_tok = len(ids)
    is_sep = (flags & SEP) != 0
    post_of = np.cumsum(is_sep)

    brk = (flags & BREAK) != 0
    edge_bad = (flags & (STOP | BREAK)) != 0
    inner_bad = (flags & (BREAK | TAG)) != 0
    cum_inner = np.concatenate(([0], np.cumsum(inner_bad)))

    phrases: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    rolling = hashes.copy()
    for n in range(1, MAX_NGRAM + 1):
        count = n_tok - n + 1
        if count <= 0:
            break
        if n > 1:
            rolling = rolling[:count] * _MULT + hashes[n - 1 :]
            valid = (cum_inner[n : n + count] - cum_inner[:count]) == 0
            valid &= ~edge_bad[:count] & ~edge_bad[n - 1 :]
        else:
            valid = ~edge_bad
        idx = np.flatnonzero(valid)
        if idx.size:
            phrases.append(mix64(rolling[idx] ^ _LEN_SALT[n]))
            starts.append(idx)
            lengths.append(np.full(idx.size, n, dtype=np.int8))
    if phrases:
        phrase = np.concatenate(phrases)
        start = np.concatenate(starts)
        length = np.concatenate(lengths)
        first = once_per_post(phrase, post_of[start])
        if first is not None:
            phrase, start, length = phrase[first], start[first], length[first]
    else:
        phrase, start, length = empty_u, empty_i, empty_i.astype(np.int8)

    # Order-free signature per post (wrapping sum of token hashes): identical texts collide.
    text_sig = np.zeros(n_posts, dtype=np.uint64)
    bounds = np.zeros(n_posts + 1, dtype=np.int64)
    if n_tok:
        content = np.where(brk, np.uint64(0), hashes)
        csum = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(content, dtype=np.uint64)))
        sep_pos = np.flatnonzero(is_sep)
        bounds = np.concatenate(([0], sep_pos, [n_tok])).astype(np.int64)
        text_sig = (csum[bounds[1:]] - csum[bounds[:-1]]).astype(np.uint64)
    return Extraction(
        n_posts=n_posts,
        token_ids=ids,
        phrase=phrase,
        post=post_of[start] if start.size else empty_i,
        start=start,
        length=length,
        text_sig=text_sig,
        bounds=bounds,
    )


_OWNER_SALTS = (np.uint64(1), np.uint64(0xC2B2AE3D27D4EB4F))  # two independent cell choices


def once_per_post(phrase: np.ndarray, post: np.ndarray) -> np.ndarray | None:
    """Indices of each phrase's first occurrence in each post, or None when none repeats.

    Counts are of posts, not of occurrences: a long post (an article, a Reddit body) saying a
    word five times is one post using it, and shares of posts stay shares. Open addressing in
    numpy, linear in occurrences (a sort costs several times more): each (post, phrase) pair
    hashes to a cell of a table at most half full and its first occurrence owns the cell. A
    pair whose cell another pair owns is settled in a second table with other hash bits, and
    the few left after that by a sort, so the result is exact.
    """
    if phrase.size < 2:
        return None
    pair = phrase + post.astype(np.uint64) * _MULT
    repeat: np.ndarray | None = None
    todo = np.zeros(0, dtype=np.int64)
    for salt in _OWNER_SALTS:
        if repeat is not None and todo.size < 2:
            break
        mine = pair if repeat is None else pair[todo]
        bits = (2 * mine.size).bit_length()
        # The top bits as cell numbers: below 2**bits, so the uint64 bits read as int64 alike.
        cell = mine >> np.uint64(64 - bits) if salt == 1 else mine * salt
        if salt != 1:
            cell >>= np.uint64(64 - bits)
        cell = cell.view(np.int64)
        order = np.arange(mine.size, dtype=np.int32)
        owner = np.full(1 << bits, mine.size, dtype=np.int32)
        np.minimum.at(owner, cell, order)  # the first occurrence owns its cell
        first = owner[cell]
        owned = mine[first] == mine
        if repeat is None:  # the first table sees every occurrence: no index to map back
            repeat = owned & (first != order)
            todo = np.flatnonzero(~owned)
            continue
        repeat[todo[owned & (first != order)]] = True
        todo = todo[~owned]  # every occurrence of a pair that lost its cell to another pair
    assert repeat is not None
    if todo.size > 1:
        _, firsts = np.unique(pair[todo], return_index=True)
        left = np.ones(todo.size, dtype=bool)
        left[firsts] = False
        repeat[todo[left]] = True
    if not repeat.any():
        return None
    return np.flatnonzero(~repeat)


def phrase_text(extraction: Extraction, vocab: Vocab, start: int, length: int) -> tuple[str, str]:
    """(canonical, surface) strings of one occurrence; used only for tracked phrases."""
    ids = extraction.token_ids[start : start + length].tolist()
    folded = join_tokens([vocab.folded[i] for i in ids])
    return folded, join_tokens([vocab.token_str[i] for i in ids])


def phrase_words(extraction: Extraction, vocab: Vocab, start: int, length: int) -> tuple[str, ...]:
    """The folded tokens of one occurrence (a CJK canonical joins them without spaces)."""
    return tuple(vocab.folded[i] for i in extraction.token_ids[start : start + length].tolist())


def cjk_posts(extraction: Extraction, vocab: Vocab) -> np.ndarray:
    """Per post of the batch: whether it has a word in Han, hiragana or katakana."""
    cjk = (vocab.flags[extraction.token_ids] & CJK_WORD) != 0
    seen = np.concatenate(([0], np.cumsum(cjk, dtype=np.int64)))
    bounds = extraction.bounds
    return np.asarray(seen[bounds[1:]] > seen[bounds[:-1]], dtype=bool)


def content_words(extraction: Extraction, vocab: Vocab, post: int) -> tuple[np.ndarray, np.ndarray]:
    """A post's content words: (token positions, word hashes), stopwords and breaks left out.

    Adopters whose surrounding words are (nearly) the same are a copy-paste ring or sock
    puppets, not independent evidence; the engine compares these words between adopters,
    leaving out each phrase's own tokens (or every post carrying it would look alike).
    """
    lo, hi = int(extraction.bounds[post]), int(extraction.bounds[post + 1])
    ids = extraction.token_ids[lo:hi]
    keep = np.flatnonzero((vocab.flags[ids] & (STOP | BREAK)) == 0)
    return keep + lo, vocab.hashes[ids[keep]]


FRAME_WORDS = 4  # words on each side of a phrase that make its frame


def framed(
    extraction: Extraction, vocab: Vocab, post: int, start: int, length: int
) -> dict[int, int]:
    """The words right around one occurrence, each marked with its place (stopwords too),
    with the word each place holds: the frame is the dict's keys.

    "honestly the mirvane wallet changed my life" frames "mirvane wallet" as honestly@-2,
    the@-1, changed@+2, my@+3, life@+4: a template filled with a word or two swapped keeps
    half of its frame or more, while people writing their own posts rarely do. Places count
    from where the phrase starts, so "mirvane" in the same post has changed@+2 too: the
    frames of phrases starting with the same words can be compared.
    """
    lo, hi = int(extraction.bounds[post]), int(extraction.bounds[post + 1])
    first = max(lo, start - FRAME_WORDS)
    ids = extraction.token_ids[first : min(hi, start + length + FRAME_WORDS)]
    return frame_places(word_hashes(vocab, ids), first, start, length)


def word_hashes(vocab: Vocab, token_ids: np.ndarray) -> np.ndarray:
    """Tokens as vocabulary-free word hashes, 0 for a break (punctuation, a post's edge)."""
    return np.where(vocab.flags[token_ids] & BREAK, 0, vocab.hashes[token_ids]).astype(np.uint64)


def frame_in(words: np.ndarray, first: int, start: int, length: int) -> frozenset[int]:
    """``framed``'s frame over word hashes (0: a break) whose first stands at token ``first``."""
    return frozenset(frame_places(words, first, start, length))


def frame_places(words: np.ndarray, first: int, start: int, length: int) -> dict[int, int]:
    """The frame's elements (a word at its place), each with the word it holds."""
    end = start + length
    out = {}
    for pos, word in enumerate(words.tolist(), first):
        if start <= pos < end or not word:
            continue
        place = pos - start
        out[int(word) ^ ((place + FRAME_WORDS) * 0x9E3779B97F4A7C15 >> 8)] = int(word)
    return out


def neighbours(
    extraction: Extraction, vocab: Vocab, post: int, start: int, length: int
) -> tuple[int, int]:
    """The content words right before and right after one occurrence (0: none there).

    A stopword, a particle, a break or the post's edge is no neighbour: "the coin" is the word
    "coin", "goblin coin" leans on "goblin".
    """
    lo, hi = int(extraction.bounds[post]), int(extraction.bounds[post + 1])
    out = []
    for pos in (start - 1, start + length):
        tid = int(extraction.token_ids[pos]) if lo <= pos < hi else -1
        content = tid >= 0 and not vocab.flags[tid] & (STOP | BREAK)
        out.append(int(vocab.hashes[tid]) if content else 0)
    return out[0], out[1]


def phrase_key(words: Sequence[str]) -> int:
    """The key ``extract`` gives a phrase of these folded words (non-CJK canonical words)."""
    rolling = np.uint64(stable_hash(words[0]))
    with np.errstate(over="ignore"):
        for word in words[1:]:
            rolling = rolling * _MULT + np.uint64(stable_hash(word))
    return int(mix64(np.array([rolling ^ _LEN_SALT[len(words)]], dtype=np.uint64))[0])


def word_keys(words: Sequence[str]) -> np.ndarray:
    """The phrase keys of each folded word, as if each were a phrase alone."""
    return unigram_keys(np.array([stable_hash(w) for w in words], dtype=np.uint64))


def unigram_keys(token_hashes: np.ndarray) -> np.ndarray:
    """Phrase keys of single tokens from their folded-token hashes."""
    return mix64(token_hashes.astype(np.uint64) ^ _LEN_SALT[1])


def canonicalize(phrase: str) -> str:
    """Fold user input the way the engine folds phrases ("Summoning Ghosts" -> "summon ghost")."""
    tokens = [t for t in tokenize(normalize(phrase)) if not _is_text_break(t)]
    while tokens and is_edge_stop(tokens[0]):
        tokens.pop(0)
    while tokens and is_edge_stop(tokens[-1]):
        tokens.pop()
    return join_tokens([fold_token(t) for t in tokens])


def _is_text_break(token: str) -> bool:
    first = token[:1]
    return not first or not (
        first.isalnum() or first in "#$" or unicodedata.category(first)[0] == "L"
    )
