"""`run_backtest` on small replay files, including bad lines and unreadable input."""

from __future__ import annotations

import io
import json

from bot.engine.backtest import run_backtest
from bot.engine.generator import merge

from .scenarios import GHOST_VARIANTS, MEME_START, background


def _write_stream(path, bad_lines=True):
    gen, bg = background(21, hours=5)
    meme = gen.meme(
        GHOST_VARIANTS,
        start_minute=MEME_START,
        ramp_minutes=60,
        peak_per_minute=6,
        leader="Karpathy",
    )
    lines = [json.dumps(p.to_json()) for p in merge(bg, meme)]
    if bad_lines:
        lines.insert(3, "{not json")
        lines.insert(10, json.dumps({"id": "x", "source": "x", "author": "a"}))  # no text/time
        lines.insert(
            20,
            json.dumps(
                {"id": "y", "source": "x", "author": "a", "text": "hi", "created_at": "yesterday"}
            ),
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return meme[0]


def test_backtest_writes_alerts_and_reports_bad_lines(tmp_path):
    posts = tmp_path / "posts.jsonl"
    seed = _write_stream(posts)
    leaders = tmp_path / "leaders.txt"
    leaders.write_text("# tracked\n@KARPATHY  # the ghost guy\n\n", encoding="utf-8")
    out = tmp_path / "alerts.jsonl"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_backtest(
        str(posts),
        leaders_file=str(leaders),
        threshold=None,
        out=str(out),
        stdout=stdout,
        stderr=stderr,
    )
    assert code == 0
    assert stdout.getvalue() == ""
    alerts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(alerts) == 1
    alert = alerts[0]
    assert set(alert) == {
        "narrative",
        "phrase",
        "phrases",
        "fired_at",
        "score",
        "leader",
        "seed_post",
        "breakdown",
    }
    assert alert["leader"] == "karpathy" and alert["seed_post"] == seed.id
    assert alert["phrase"] == "summon ghost" and alert["fired_at"].endswith("Z")
    assert alert["breakdown"]["v"] == 1 and alert["breakdown"]["leader"] == "karpathy"
    log = stderr.getvalue()
    assert "skipped 3 bad lines (line 4, 11, 21)" in log
    assert "alerts" in log and "posts/s" in log


def test_backtest_threshold_and_stdout(tmp_path):
    posts = tmp_path / "posts.jsonl"
    _write_stream(posts, bad_lines=False)
    stdout, stderr = io.StringIO(), io.StringIO()
    assert (
        run_backtest(
            str(posts), leaders_file=None, threshold=101, out=None, stdout=stdout, stderr=stderr
        )
        == 0
    )
    assert stdout.getvalue() == ""  # nothing can reach a threshold above 100
    stdout = io.StringIO()
    assert (
        run_backtest(
            str(posts),
            leaders_file=None,
            threshold=50,
            out=None,
            stdout=stdout,
            stderr=io.StringIO(),
        )
        == 0
    )
    lines = stdout.getvalue().splitlines()
    assert lines and all(json.loads(x)["leader"] is None for x in lines)


def test_backtest_unreadable_file(tmp_path):
    stderr = io.StringIO()
    code = run_backtest(
        str(tmp_path / "missing.jsonl"),
        leaders_file=None,
        threshold=None,
        out=None,
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert code != 0 and "cannot read" in stderr.getvalue()


def test_a_bad_leaders_line_stops_the_backtest_naming_it(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("#c\n@Karpathy\nnot a handle!\n", encoding="utf-8")
    stderr = io.StringIO()
    code = run_backtest(
        str(tmp_path / "none.jsonl"),
        leaders_file=str(path),
        threshold=None,
        out=None,
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert code == 2 and "line 3" in stderr.getvalue()


def _run(path, **kw):
    out, stderr = io.StringIO(), io.StringIO()
    code = run_backtest(
        str(path),
        leaders_file=kw.get("leaders"),
        threshold=None,
        out=None,
        stdout=out,
        stderr=stderr,
    )
    assert code == 0, stderr.getvalue()
    return [json.loads(x) for x in out.getvalue().splitlines()], stderr.getvalue()


def test_posts_with_wild_clocks_change_nothing(tmp_path):
    clean = tmp_path / "clean.jsonl"
    _write_stream(clean, bad_lines=False)
    lines = clean.read_text(encoding="utf-8").splitlines()
    baseline, _ = _run(clean)
    assert baseline
    poisoned = tmp_path / "poisoned.jsonl"
    stray = json.loads(lines[0])
    for n, when in (
        (0, "2099-01-01T00:00:00Z"),
        (400, "2099-06-01T00:00:00Z"),
        (800, "1999-01-01T00:00:00Z"),
    ):
        lines.insert(n, json.dumps({**stray, "id": f"stray{n}", "created_at": when}))
    poisoned.write_text("\n".join(lines) + "\n", encoding="utf-8")
    alerts, log = _run(poisoned)
    assert alerts == baseline
    assert "skipped 3 posts whose time is implausible" in log


def test_gzip_file_replays_like_the_plain_one(tmp_path):
    import gzip

    plain = tmp_path / "posts.jsonl"
    _write_stream(plain, bad_lines=True)
    packed = tmp_path / "posts.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    alerts, log = _run(packed)
    assert alerts and alerts == _run(plain)[0]
    assert "skipped 3 bad lines (line 4, 11, 21)" in log


def test_hostile_lines_are_skipped_and_counted(tmp_path):
    good = json.dumps(
        {
            "id": "1",
            "source": "x",
            "author": "a",
            "text": "hi",
            "created_at": "2026-03-01T00:00:00Z",
        }
    ).encode()
    hostile = [
        b"[" * 100_000,
        b'{"text": "' + b"a" * 5_000_000 + b'", "created_at": "2026-03-01T00:00:00Z"}',
        b'{"id":"1","source":"x","author":"a","text":"\xff","created_at":"2026-03-01T00:00:00Z"}',
        good.replace(b'"hi"', b"NaN"),
        good.replace(b'"created_at"', b'"likes": 1e999, "created_at"'),
        good.replace(b'"a"', b'["a"]'),
        b"\x00\x01\x02",
    ]
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join([good, *hostile, b"   ", good]) + b"\n")
    _, log = _run(path)
    assert "2 posts read" in log
    assert "skipped 7 bad lines (line 2, 3, 4, 5, 6, ...)" in log


class Recording:  # stands in for the engine: the feeder's own cadence is under test
    def __init__(self):
        from bot.engine.config import EngineConfig

        self.cfg = EngineConfig()
        self.calls = []

    def ingest(self, posts, times):
        assert len(times) == len(posts)
        assert times.tolist() == [p.created_at.timestamp() for p in posts]
        self.calls.append(("ingest", len(posts)))

    def tick(self):
        self.calls.append(("tick", 0))
        return []


def _feed(posts):
    import numpy as np

    from bot.engine.backtest import EventTimeFeeder

    engine = Recording()
    feeder = EventTimeFeeder(engine, io.StringIO())  # type: ignore[arg-type]
    ts = np.array([p.created_at.timestamp() for p in posts])
    feeder.feed(posts[:13], ts[:13])
    feeder.feed(posts[13:], ts[13:])
    feeder.finish()
    return engine, feeder


def test_a_stream_of_a_few_posts_a_minute_ticks_once_per_counting_bucket():
    """Each tick costs the same however few posts it brings; a busy minute still ticks alone."""
    from datetime import UTC, datetime, timedelta

    from bot.posts import Post

    start = datetime(2013, 1, 1, tzinfo=UTC)  # on a bucket boundary
    few = [start + timedelta(seconds=20 * i) for i in range(30)]  # 3 a minute for 10 minutes
    busy = [start + timedelta(minutes=10, seconds=i / 2) for i in range(100)]  # one minute
    posts = [Post(f"p{i}", "x", "a", f"post {i}", m) for i, m in enumerate(few + busy)]
    engine, feeder = _feed(posts)
    assert engine.calls == [
        ("ingest", 15),  # minutes 0-4: one bucket
        ("tick", 0),
        ("ingest", 15),  # minutes 5-9
        ("tick", 0),
        ("ingest", 100),  # minute 10, busy
        ("tick", 0),
    ]
    assert feeder.ticks == 3


def test_a_sparse_stream_ticks_once_per_busy_minute():
    from datetime import UTC, datetime, timedelta

    from bot.posts import Post

    start = datetime(2013, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(days=40 * i) for i in range(30)]
    moments[7:7] = [moments[6] + timedelta(seconds=5)] * 2  # three posts in one minute
    posts = [Post(f"p{i}", "x", "a", f"post {i}", m) for i, m in enumerate(moments)]
    engine, feeder = _feed(posts)
    # 30 busy minutes over 3 years: 30 ingests and 30 ticks, not one per empty minute
    assert engine.calls == [
        ("ingest", 3 if i == 6 else 1) if j == 0 else ("tick", 0) for i in range(30) for j in (0, 1)
    ]
    assert feeder.ticks == 30
