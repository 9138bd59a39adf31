"""`run_bench` prints every contender and the ratios (tiny run; speeds are not asserted)."""

from __future__ import annotations

import io
import re

from bot.engine.bench import run_bench, stream


def test_bench_reports_engine_and_baseline():
    out = io.StringIO()
    assert run_bench(posts=3000, seed=3, stdout=out) == 0
    text = out.getvalue()
    for name in ("engine", "counter-baseline", "backtest", "counter\\+json"):
        assert re.search(rf"{name}: +[\d,]+ posts/s .* peak RSS [\d,]+ MiB", text), text
    assert re.search(r"backtest: .*\(3,000 posts in", text), text  # every post, parsed
    assert "engine is" in text and "backtest is" in text


def test_bench_stream_is_seeded_and_sized():
    a = [p.text for batch in stream(2500, 5) for p in batch]
    b = [p.text for batch in stream(2500, 5) for p in batch]
    assert len(a) == 2500 and a == b
    assert 15 <= sum(len(t.split()) for t in a) / len(a) <= 25


def test_bench_rejects_nonpositive():
    assert run_bench(posts=0, seed=1, stdout=io.StringIO()) != 0


def test_bench_times_jetstream_frames_beside_stdlib_json(tmp_path):
    from bot.engine.bench import _bench_frames, jetstream_rates
    from tests.conftest import FIXTURES

    frames = (FIXTURES / "expected_v1.jsonl").read_bytes().splitlines()
    ours, stdlib, posts = jetstream_rates(frames, rounds=2)
    assert posts == 17 and ours > 0 and stdlib > 0  # every round decodes all 17 posts
    out = io.StringIO()
    assert _bench_frames(str(FIXTURES / "expected_v1.jsonl"), out) == 0
    assert re.search(r"handle_frame: +[\d,]+ events/s", out.getvalue()), out.getvalue()
    assert _bench_frames(str(tmp_path / "missing.jsonl"), io.StringIO()) == 2


def test_bench_sparse_replays_a_stream_spread_over_days():
    from bot.engine.bench import SPARSE_PER_DAY, sparse_stream

    posts = sparse_stream(900, 2)
    span = posts[-1].created_at - posts[0].created_at
    assert len(posts) == 900 and 8 <= span.days <= 11  # about 900 / SPARSE_PER_DAY days
    assert SPARSE_PER_DAY == 90
    out = io.StringIO()
    assert run_bench(posts=900, seed=2, stdout=out, sparse=True) == 0
    text = out.getvalue()
    assert re.search(r"backtest: .*\(900 posts in", text), text
    assert re.search(r"per post: +[\d,]+ µs", text) and "engine:" not in text
