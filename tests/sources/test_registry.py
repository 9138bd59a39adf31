"""Source kinds are declared by their connector modules and found without a central list."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.sources.registry import discover, kinds, parse_sources
from bot.sources.spec import SourceSpecError, Target
from tests.fakes.upstream import UpstreamFake, upstream

__all__ = ["upstream"]

KIND_MODULE = """
from bot.sources.registry import SourceKind
from bot.sources.spec import Target


def build(spec, ctx):
    raise NotImplementedError


SOURCE = SourceKind("{name}", Target.REQUIRED, build, example="CHANNEL")
"""


def test_every_shipped_kind_is_declared_by_its_module() -> None:
    found = kinds()
    assert list(found) == sorted(
        [
            "bluesky",
            "dexscreener",
            "geckoterminal",
            "hackernews",
            "mastodon",
            "pumpportal",
            "reddit",
            "replay",
            "rss",
            "x",
        ]
    )
    assert {name for name, kind in found.items() if kind.tokens} == {
        "dexscreener",
        "geckoterminal",
        "pumpportal",
    }
    assert found["rss"].raw_target and found["dexscreener"].target is Target.NONE


def test_a_new_module_is_a_new_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "moresources"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("VALUE = 1\n")  # no SOURCE: not a source
    (package / "youtube.py").write_text(KIND_MODULE.format(name="youtube"))
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover(["moresources"])
    assert list(found) == ["youtube"]
    assert found["youtube"].target is Target.REQUIRED


def test_two_modules_declaring_one_kind_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "twice"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(KIND_MODULE.format(name="rss"))
    (package / "b.py").write_text(KIND_MODULE.format(name="rss"))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="declared twice"):
        discover(["twice"])


def test_entries_are_checked_by_their_kind() -> None:
    [spec] = parse_sources("geckoterminal:base")
    assert spec.tokens and spec.display == "geckoterminal:base"
    with pytest.raises(SourceSpecError, match=r"needs a target, e\.g\. reddit:SUBREDDIT"):
        parse_sources("reddit")
    with pytest.raises(SourceSpecError, match="takes no target"):
        parse_sources("pumpportal:x")
    with pytest.raises(SourceSpecError, match="replay speed"):
        parse_sources("replay:/x.jsonl?speed=nan")


def test_importing_the_configuration_imports_no_connector() -> None:
    """The kinds are found when first asked for, so bot.config stays light and acyclic."""
    code = (
        "import sys, bot.config\n"
        "assert 'bot.sources.rss' not in sys.modules, 'imported at import time'\n"
        "bot.config.load_settings(sources='rss:https://example.com/feed')\n"
        "assert 'bot.sources.rss' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_a_long_feed_url_still_has_a_storable_cursor_key() -> None:
    url = "https://feeds.example/rss?" + "&".join(f"tag{i}=x" for i in range(60))
    [short, long] = parse_sources(f"rss:https://feeds.example/a,rss:{url}")
    assert short.cursor_key == "rss:https://feeds.example/a"
    assert len(long.name) > 300 and len(long.cursor_key) <= 300
    assert long.cursor_key.startswith("rss:#")
    assert [s.cursor_key for s in parse_sources(f"rss:{url}")] == [long.cursor_key]  # stable


async def test_a_feed_with_a_long_url_polls_and_keeps_its_cursor(
    storage: str, upstream: UpstreamFake
) -> None:
    from bot.config import Settings
    from bot.sources.factory import build_sources
    from bot.sources.http import HttpClient
    from storage.cursors import DbCursorStore

    url = f"{upstream.base}/rss/feed.xml?" + "&".join(f"tag{i}=x" for i in range(60))
    settings = Settings(sources=f"rss:{url}")
    http = HttpClient()
    try:
        [feed] = build_sources(settings, http=http, cursors=DbCursorStore()).posts
        assert len(await feed.poll()) == 2  # saving the cursor used to fail: key > 300 chars
    finally:
        await http.close()
    assert await DbCursorStore().get(feed.cursor_key)
