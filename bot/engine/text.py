"""Normalization and vectorised phrase extraction: a batch of texts -> phrase occurrences.

The batch's texts are joined and normalised once; its whitespace chunks are cut and hashed in
numpy and found in a table of chunks already tokenized (the regex runs once per distinct
chunk), giving an array of token ids; numpy rolling hashes over it produce every 1-4-gram
that neither starts nor ends with a stopword, plus hashtags and cashtags. Phrase hashes are
built from *folded* token hashes, so "summoning ghosts" and "summoned ghost" produce the same
phrase hash.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.engine.folding import (
    HAN,
    HIRAGANA,
    KATAKANA,
    STOPWORDS,
    fold_token,
    join_tokens,
    stable_hash,
)

POST_SEP = "\x00"  # joins posts in a batch (as its own whitespace-delimited chunk)
MAX_TEXT_CHARS = 4000  # huge posts are truncated: bounded cost, and phrases live near the start
MAX_NGRAM = 4

STOP, BREAK, TAG, SEP = 1, 2, 4, 8

_CJK = HAN + HIRAGANA + KATAKANA
_WORD = rf"[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*"
TOKEN_RE = re.compile(
    r"#[^\W_][\w]{0,60}"
    r"|\$[^\W\d_]\w{0,19}"
    rf"|[{HAN}]{{1,4}}"  # long Han runs are chunked so Chinese without kana still yields phrases
    rf"|[{HIRAGANA}]+"
    rf"|[{KATAKANA}]+"
    rf"|{_WORD}"
    r"|[\x00.,!?;:()\[\]{}\"“”«»「」『』【】。、・…|/]"
)
_STRIP_RE = re.compile(r"https?://\S+|www\.\S+|(?<![\w@])@[\w.]+")
_HIRAGANA_RE = re.compile(f"^[{HIRAGANA}]+$")
# Ordinals and decades ("3rd", "4th", "1990s") are numbers: "june 3rd" is a date, not a coinage.
_NUMBER_RE = re.compile(r"^\d+(?:st|nd|rd|th|s)$")

# Mixing constants for the rolling phrase hash (odd 64-bit multipliers).
_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_LEN_SALT = [np.uint64(0), *(np.uint64(stable_hash(f"ngram:{n}")) for n in range(1, MAX_NGRAM + 1))]


def normalize(text: str) -> str:
    """NFKC + casefold, with URLs and @mentions replaced by a phrase break."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return _STRIP_RE.sub(" . ", text)


def tokenize(normalized: str) -> list[str]:
    """Split normalized text into word, hashtag, cashtag, CJK-run and break tokens."""
    return TOKEN_RE.findall(normalized)


def is_break(token: str) -> bool:
    return token == POST_SEP or not (token[:1].isalnum() or token[:1] in "#$")


def is_edge_stop(token: str) -> bool:
    """Tokens a phrase may contain but not start or end with (stopwords, particles, numbers)."""
    if token in STOPWORDS or token.isdigit() or _NUMBER_RE.match(token) is not None:
        return True
    if len(token) == 1 and token.isascii():
        return True
    # Hiragana runs are particles/inflection (を, が, する, ました); content is Han/katakana.
    return _HIRAGANA_RE.match(token) is not None


def mix64(x: np.ndarray) -> np.ndarray:
    """Finalizer so every bit of the phrase hash is usable for table indexing."""
    x = x ^ (x >> np.uint64(33))
    x = x * _MIX1
    x = x ^ (x >> np.uint64(29))
    x = x * _MIX2
    x = x ^ (x >> np.uint64(32))
    x[x == 0] = 1  # 0 marks an empty hash-table cell
    return x


def _is_volatile(chunk: str) -> bool:
    # URLs and mentions are nearly always unique: tokenize them each time instead of caching.
    return "://" in chunk or "@" in chunk or chunk.startswith("www.")


# Bytes str.split() splits on: ASCII whitespace, and the Unicode spaces NFKC leaves alone
# (the others, such as U+00A0 and U+3000, it turns into U+0020 first).
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_WIDE_SPACE = ("\x85", "\u1680", "\u2028", "\u2029")
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_ASCII_SPACE)] = True
_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_LEN_MULT = np.uint64(0xD6E8FEB86659FD93)
# A chunk longer than this is looked up by its text, never by its hash: polynomial hashes
# modulo 2**64 have known equal-length collisions (Thue-Morse strings), thousands of bytes long.
HASHED_CHUNK_BYTES = 256


def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, np.uint64(base), dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out, dtype=np.uint64)  # base**i modulo 2**64 (uint64 wraps)


class HashIds:
    """uint64 key -> int id: an open-addressing table (linear probing) looked up in numpy.

    Key 0 marks an empty cell. The table stays at most a quarter full, so almost every key
    is found, or found missing, in its first cell.
    """

    def __init__(self, bits: int = 16) -> None:
        self.bits = bits
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.ids = np.full(1 << bits, -1, dtype=np.int32)
        self.size = 0

    def _home(self, keys: np.ndarray) -> np.ndarray:
        return (keys >> np.uint64(64 - self.bits)).astype(np.intp)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The id of each key, -1 where absent."""
        cell = self._home(keys)
        found = self.keys[cell]
        out = np.where(found == keys, self.ids[cell], -1)
        todo = np.flatnonzero((out < 0) & (found != 0))  # another key sits in the home cell
        mask = (1 << self.bits) - 1
        while todo.size:
            cell_t = (cell[todo] + 1) & mask
            cell[todo] = cell_t
            found = self.keys[cell_t]
            hit = found == keys[todo]
            out[todo[hit]] = self.ids[cell_t[hit]]
            todo = todo[~hit & (found != 0)]
        return out

    def put(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Insert distinct absent keys (never 0)."""
        if 4 * (self.size + keys.size) > (1 << self.bits):
            self._grow(self.size + keys.size)
        mask = (1 << self.bits) - 1
        if keys.size <= 64:  # a batch's few new chunks: a loop beats numpy's fixed costs
            shift = 64 - self.bits
            for key, cid in zip(keys.tolist(), ids.tolist(), strict=True):
                at = key >> shift
                while self.keys[at]:
                    at = (at + 1) & mask
                self.keys[at] = key
                self.ids[at] = cid
            self.size += int(keys.size)
            return
        cell = self._home(keys)
        todo = np.arange(keys.size)
        while todo.size:
            free = self.keys[cell[todo]] == 0
            _, first = np.unique(cell[todo], return_index=True)
            won = np.zeros(todo.size, dtype=bool)
            won[first] = True
            won &= free
            placed = todo[won]
            self.keys[cell[placed]] = keys[placed]
            self.ids[cell[placed]] = ids[placed]
            todo = todo[~won]
            cell[todo] = (cell[todo] + 1) & mask
        self.size += int(keys.size)

    def _grow(self, size: int) -> None:
        live = self.keys != 0
        keys, ids = self.keys[live], self.ids[live]
        while 4 * size > (1 << self.bits):
            self.bits += 1
        self.keys = np.zeros(1 << self.bits, dtype=np.uint64)
        self.ids = np.full(1 << self.bits, -1, dtype=np.int32)
        self.size = 0
        self.put(keys, ids)


class Vocab:
    """Whitespace chunk -> chunk id, each chunk expanding to a run of token ids.

    Splitting on whitespace is vectorised over the batch's UTF-8 bytes and each chunk is
    found by a 64-bit hash of its bytes in a numpy table (no Python work per chunk); the
    regex tokenizer runs once per *distinct* chunk ("ghosts," -> [ghosts, ","], "幽霊を召喚"
    -> [幽霊, を, 召喚]). Token ids are process-local; the folded token hashes they point to
    are stable, so the vocabulary can be dropped at any time (bounded memory) without
    changing any phrase hash.
    """

    def __init__(self, max_size: int = 500_000) -> None:
        self.max_size = max_size
        self._base_pow = np.zeros(0, dtype=np.uint64)
        self._inv_pow = np.zeros(0, dtype=np.uint64)
        self._reset()

    def _reset(self) -> None:
        self.by_hash = HashIds()
        self.by_text: dict[str, int] = {}  # chunks too long to trust a hash with
        self.token_index: dict[str, int] = {}
        self.token_str: list[str] = []
        self.folded: list[str] = []
        self.hashes = np.zeros(4096, dtype=np.uint64)
        self.flags = np.zeros(4096, dtype=np.uint8)
        self.chunk_off = np.zeros(4096, dtype=np.int64)
        self.chunk_len = np.zeros(4096, dtype=np.int64)
        self.sub = np.zeros(8192, dtype=np.int64)
        self.n_chunks = 0
        self.n_sub = 0
        self.volatile_id = -1
        sep = POST_SEP.encode()
        self.chunk_ids([sep], self._chunk_hashes(sep, np.array([0]), np.array([len(sep)])))

    def token_id(self, token: str) -> int:
        idx = self.token_index.get(token)
        if idx is not None:
            return idx
        idx = len(self.token_str)
        if idx >= len(self.hashes):
            self.hashes = np.resize(self.hashes, idx * 2)
            self.flags = np.resize(self.flags, idx * 2)
        flag = 0
        if token == POST_SEP:
            flag, folded = BREAK | SEP, token
        elif is_break(token):
            flag, folded = BREAK, token
        else:
            folded = fold_token(token)
            if token[0] in "#$":
                flag = TAG
            elif is_edge_stop(token):
                flag = STOP
        self.hashes[idx] = stable_hash(folded)
        self.flags[idx] = flag
        self.token_str.append(token)
        self.folded.append(folded)
        self.token_index[token] = idx
        return idx

    def _add_chunk(self, token_ids: list[int]) -> int:
        return self._add_chunks([token_ids])

    def _add_chunks(self, runs: list[list[int]]) -> int:
        """Add chunks with these token-id runs; returns the first one's id (the rest follow)."""
        first, n = self.n_chunks, len(runs)
        if first + n > len(self.chunk_off):
            size = max(first + n, 2 * len(self.chunk_off))
            self.chunk_off = np.resize(self.chunk_off, size)
            self.chunk_len = np.resize(self.chunk_len, size)
        lens = np.fromiter(map(len, runs), dtype=np.int64, count=n)
        flat = list(itertools.chain.from_iterable(runs))
        need = self.n_sub + len(flat)
        if need > len(self.sub):
            self.sub = np.resize(self.sub, max(need, len(self.sub) * 2))
        self.sub[self.n_sub : need] = flat
        self.chunk_off[first : first + n] = self.n_sub + np.cumsum(lens) - lens
        self.chunk_len[first : first + n] = lens
        self.n_sub = need
        self.n_chunks += n
        return first

    def _volatile(self) -> int:
        # One shared chunk for everything URL/mention-like: a phrase break. Words glued to a
        # URL are lost, which is the price of not caching unique strings.
        if self.volatile_id < 0:
            self.volatile_id = self._add_chunk([self.token_id(".")])
        return self.volatile_id

    def _new_chunk(self, chunk: str) -> tuple[int, bool]:
        """(chunk id, whether to remember it) for a chunk not seen yet."""
        if _is_volatile(chunk):
            return self._volatile(), False
        return self._add_chunk([self.token_id(t) for t in tokenize(chunk)]), True

    def _chunk_hashes(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """A 64-bit hash of each chunk data[start:end], from one prefix sum over the bytes.

        With S[i] = sum_{j<i} v_j * B**-j (modulo 2**64, B odd so invertible), a chunk's
        polynomial hash sum_j v_j * B**(end-1-j) is (S[end] - S[start]) * B**(end-1): the same
        wherever the chunk sits in the batch.
        """
        n = len(data)
        if self._inv_pow.size < n + 1:
            size = max(n + 1, 2 * self._inv_pow.size, 1 << 16)
            self._inv_pow = _powers(_BASE_INV, size)
            self._base_pow = _powers(_BASE, size)
        # Equal lengths are what could collide: the length is mixed in below.
        values = np.multiply(np.frombuffer(data, dtype=np.uint8), self._inv_pow[:n])
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(values, out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * self._base_pow[ends - 1]
        h ^= (ends - starts).astype(np.uint64) * _LEN_MULT
        return mix64(h)

    def chunk_ids(self, chunks: list[bytes], hashes: np.ndarray) -> np.ndarray:
        """Ids of chunks not seen yet (bytes, with their hashes): each distinct one is
        tokenized once, and all are added and remembered together."""
        ids = np.empty(len(chunks), dtype=np.int64)
        runs: list[list[int]] = []  # token ids of each new chunk, in order
        run_of: dict[int, int] = {}  # chunk hash -> its index in runs
        later: list[int] = []  # positions in chunks whose id is first + their run index
        later_run: list[int] = []
        token_id = self.token_id
        for i, (raw, key) in enumerate(zip(chunks, hashes.tolist(), strict=True)):
            run = run_of.get(key)
            if run is None:
                chunk = raw.decode("utf-8", "surrogatepass")
                if _is_volatile(chunk):
                    ids[i] = self._volatile()
                    continue
                run = run_of[key] = len(runs)
                runs.append([token_id(t) for t in tokenize(chunk)])
            later.append(i)
            later_run.append(run)
        if runs:
            first = self._add_chunks(runs)
            ids[later] = first + np.array(later_run, dtype=np.int64)
            keys = np.fromiter(run_of, dtype=np.uint64, count=len(run_of))
            self.by_hash.put(keys, first + np.arange(len(runs), dtype=np.int64))
        return ids

    def token_ids(self, text: str) -> np.ndarray:
        """Token ids of ``text`` (normalised), chunk by chunk as ``text.split()`` cuts it."""
        if not text.isascii():
            for space in _WIDE_SPACE:
                if space in text:
                    text = text.replace(space, " ")
        data = text.encode("utf-8", "surrogatepass")
        inside = np.zeros(len(data) + 2, dtype=bool)  # a space before and after the text
        np.logical_not(_IS_SPACE[np.frombuffer(data, dtype=np.uint8)], out=inside[1:-1])
        edges = np.flatnonzero(inside[1:] != inside[:-1])  # chunk starts and ends, alternating
        starts, ends = edges[0::2], edges[1::2]
        short = (ends - starts) <= HASHED_CHUNK_BYTES
        if short.all():  # the usual batch: every chunk is found by its hash
            cids = self._hashed_ids(data, starts, ends)
            return self._expand(cids)
        cids = np.empty(starts.size, dtype=np.int64)
        hashed = np.flatnonzero(short)
        if hashed.size:
            cids[hashed] = self._hashed_ids(data, starts[hashed], ends[hashed])
        for i in np.flatnonzero(~short).tolist():
            chunk = data[starts[i] : ends[i]].decode("utf-8", "surrogatepass")
            cid = self.by_text.get(chunk)
            if cid is None:
                cid, keep = self._new_chunk(chunk)
                if keep:
                    self.by_text[chunk] = cid
            cids[i] = cid
        return self._expand(cids)

    def _hashed_ids(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        hashes = self._chunk_hashes(data, starts, ends)
        cids = self.by_hash.get(hashes).astype(np.int64)
        miss = np.flatnonzero(cids < 0)
        if miss.size:
            ms, me = starts[miss].tolist(), ends[miss].tolist()
            pieces = [data[a:b] for a, b in zip(ms, me, strict=True)]
            cids[miss] = self.chunk_ids(pieces, hashes[miss])
        return cids

    def _expand(self, cids: np.ndarray) -> np.ndarray:
        lens = self.chunk_len[cids]
        offs = self.chunk_off[cids]
        if lens.size and lens.min() == 1 and lens.max() == 1:
            return self.sub[offs]
        total = int(lens.sum())
        group_start = np.cumsum(lens) - lens
        within = np.arange(total, dtype=np.int64) - np.repeat(group_start, lens)
        return self.sub[np.repeat(offs, lens) + within]

    def maybe_reset(self) -> None:
        """Bound memory on endless streams; safe because phrase hashes do not depend on ids."""
        if self.n_chunks > self.max_size or len(self.token_str) > self.max_size:
            self._reset()


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
        cell = ((mine * salt) >> np.uint64(64 - bits)).astype(np.intp)
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


def frame_of(
    extraction: Extraction, vocab: Vocab, post: int, start: int, length: int
) -> frozenset[int]:
    """The words right around one occurrence, each marked with its place (stopwords too).

    "honestly the mirvane wallet changed my life" frames "mirvane wallet" as honestly@-2,
    the@-1, changed@+1, my@+2, life@+3: a template filled with a word or two swapped keeps
    half of its frame or more, while people writing their own posts rarely do.
    """
    lo, hi = int(extraction.bounds[post]), int(extraction.bounds[post + 1])
    end = start + length
    ids = extraction.token_ids[max(lo, start - FRAME_WORDS) : min(hi, end + FRAME_WORDS)]
    first = max(lo, start - FRAME_WORDS)
    out = []
    for pos, tid in enumerate(ids.tolist(), first):
        if start <= pos < end or vocab.flags[tid] & BREAK:
            continue
        place = pos - start if pos < start else pos - end + 1
        out.append(int(vocab.hashes[tid]) ^ ((place + FRAME_WORDS) * 0x9E3779B97F4A7C15 >> 8))
    return frozenset(out)


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
