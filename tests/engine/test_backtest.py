"""`run_backtest` on small replay files, including bad lines and unreadable input."""

from __future__ import annotations

import io
import json

from bot.engine.backtest import read_leaders, run_backtest
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


def test_read_leaders(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("#c\n@Karpathy\n  sama # x\n\n", encoding="utf-8")
    assert read_leaders(str(path)) == ["karpathy", "sama"]
