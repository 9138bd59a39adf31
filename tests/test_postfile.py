"""The shared post-file reader: exact line order and numbers, gzip, bounded line length."""

from __future__ import annotations

import gzip

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.postfile import PostFile, TooLong, iter_post_lines


def test_plain_and_gzip_read_the_same_lines(tmp_path) -> None:
    body = b'{"a": 1}\n\n{"b": 2}\r\nlast-without-newline'
    plain, packed = tmp_path / "p.jsonl", tmp_path / "p.jsonl.gz"
    plain.write_bytes(body)
    packed.write_bytes(gzip.compress(body))
    expected = [b'{"a": 1}', b"", b'{"b": 2}\r', b"last-without-newline"]
    assert list(iter_post_lines(plain)) == expected
    assert list(iter_post_lines(packed)) == expected
    with PostFile(packed) as handle:
        assert handle.compressed and handle.size == packed.stat().st_size


def test_over_long_lines_are_sized_without_being_held(tmp_path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(b"ok\n" + b"x" * 5_000_000 + b"\nfine\n" + b"y" * 3_000_000)
    with PostFile(path, max_line=1 << 20) as handle:
        lines = [line for block in handle.blocks(block_bytes=1 << 16) for line in block]
    assert lines == [b"ok", TooLong(5_000_000), b"fine", TooLong(3_000_000)]
    assert handle.consumed == path.stat().st_size


def test_a_corrupt_gzip_tail_ends_the_read_without_an_error(tmp_path) -> None:
    path = tmp_path / "p.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n' * 1000)[:-30])
    lines = list(iter_post_lines(path))
    assert len(lines) <= 1000 and all(line == b'{"a": 1}' for line in lines[:-1])


@settings(max_examples=200)
@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.integers(min_value=1, max_value=64),
    st.integers(min_value=4, max_value=30),
)
def test_blocks_split_exactly_like_split_lines(tmp_path_factory, parts, block, limit) -> None:
    path = tmp_path_factory.mktemp("f") / "p.jsonl"
    body = b"\n".join(parts)
    path.write_bytes(body)
    with PostFile(path, max_line=limit) as handle:
        got = [line for b in handle.blocks(block_bytes=block) for line in b]
    expected = body.split(b"\n") if body else []
    if expected and expected[-1] == b"":
        expected.pop()
    assert got == [line if len(line) <= limit else TooLong(len(line)) for line in expected]
    assert handle.consumed == len(body)
