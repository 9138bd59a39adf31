"""The vocabulary: every distinct whitespace chunk of the stream, tokenized once.

A batch's chunks are cut and hashed in numpy and found in an open-addressing table
(`HashIds`), so only chunks never seen before cost Python work (the token regex); each token
keeps its folded hash and its flags (stopword, break, tag, CJK), which extraction reads as arrays.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from bot.engine.folding import fold_token, is_cjk, stable_hash
from bot.engine.tokens import (
    BREAK,
    CJK_WORD,
    POST_SEP,
    SEP,
    STOP,
    TAG,
    is_break,
    is_edge_stop,
    mix64,
    tokenize,
)


def _is_volatile(chunk: str) -> bool:
    # URLs and mentions are nearly always unique: tokenize them each time instead of caching.
    return "://" in chunk or "@" in chunk or chunk.startswith("www.")


# Bytes str.split() splits on: ASCII whitespace, and the Unicode spaces NFKC leaves alone
# (the others, such as U+00A0 and U+3000, it turns into U+0020 first).
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_WIDE_SPACE = ("\x85", "\u1680", "\u2028", "\u2029")
_IS_SPACE = np.zeros(256, dtype=bool)
_IS_SPACE[list(_ASCII_SPACE)] = True
_LEN_MULT = np.uint64(0xD6E8FEB86659FD93)
_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_BASE_INV = pow(_BASE, -1, 1 << 64)
_STEP_MULT = np.uint64(0x9FB21C651E98DF25)  # odd: a word step is a bijection of the hash
# A chunk longer than this is looked up by its text, never by its hash: polynomial hashes
# modulo 2**64 have known equal-length collisions (Thue-Morse strings), thousands of bytes long.
HASHED_CHUNK_BYTES = 256
# Masks keeping the first k bytes of a little-endian 8-byte word, k = 0..8.
_KEEP = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


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
        # Called before the ids are dropped, by holders of ids (the latest posts kept).
        self.before_reset: list[Callable[[], None]] = []
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
            if is_cjk(token):
                flag |= CJK_WORD
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
        """A 64-bit hash of each chunk data[start:end], the same wherever it sits in a batch.

        Most chunks are words of at most 8 bytes: one unaligned 8-byte read each, masked to
        the chunk and mixed with its length, so no pass over every byte of the batch is needed
        (a prefix sum over the bytes cost three times more). A chunk of 9-16 bytes folds in a
        second word. Longer ones (URLs, long words: rare, but a loop per word would cost
        numpy calls per 8 bytes) are copied together and hashed as polynomials (`_long_hashes`).
        """
        # The little-endian word starting at every byte offset (a view: reads are unaligned;
        # the padding keeps a read at the last byte inside). Few numpy calls when every chunk
        # is short: a sparse stream extracts a post or two at a time.
        padded = data + bytes(8)
        words = np.ndarray((len(data) + 1,), dtype="<u8", buffer=padded, strides=(1,))
        lens = ends - starts
        longest = int(lens.max()) if lens.size else 0
        h = words[starts] & _KEEP[lens if longest <= 8 else np.minimum(lens, 8)]
        h ^= lens.astype(np.uint64) * _LEN_MULT
        if longest <= 8:
            return mix64(h)
        two = np.flatnonzero((lens > 8) & (lens <= 16))
        if two.size:
            step = h[two]
            step ^= step >> np.uint64(31)
            step *= _STEP_MULT
            step ^= words[starts[two] + 8] & _KEEP[lens[two] - 8]
            h[two] = step
        if longest > 16:
            longer = np.flatnonzero(lens > 16)
            h[longer] = self._long_hashes(data, starts[longer], ends[longer])
        return mix64(h)

    def _long_hashes(self, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Polynomial hashes of the given chunks, from one prefix sum over their bytes alone.

        With S[i] = sum_{j<i} v_j * B**-j (modulo 2**64, B odd so invertible), a chunk's
        polynomial hash sum_j v_j * B**(end-1-j) is (S[end] - S[start]) * B**(end-1): the same
        wherever the chunk sits.
        """
        joined = b"".join(data[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True))
        lens = ends - starts
        ends = np.cumsum(lens)
        starts = ends - lens
        n = len(joined)
        if self._inv_pow.size < n + 1:
            size = max(n + 1, 2 * self._inv_pow.size, 1 << 12)
            self._inv_pow = _powers(_BASE_INV, size)
            self._base_pow = _powers(_BASE, size)
        values = np.multiply(np.frombuffer(joined, dtype=np.uint8), self._inv_pow[:n])
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(values, out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * self._base_pow[ends - 1]
        return h ^ lens.astype(np.uint64) * _LEN_MULT  # equal lengths are what could collide

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
        raw = np.frombuffer(data, dtype=np.uint8)
        # Bytes 1..32 as spaces (and 0, the post separator, not): one comparison, with uint8
        # wrapping 0 to 255. Then the rare control bytes among them that are no space.
        low = raw - np.uint8(1)
        np.greater_equal(low, 32, out=inside[1:-1])
        odd = np.flatnonzero(low < 31)
        if odd.size:
            inside[odd + 1] = ~_IS_SPACE[raw[odd]]
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
            for hook in self.before_reset:
                hook()
            self._reset()
