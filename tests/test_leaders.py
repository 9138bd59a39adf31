"""The shipped leader list and the leaders operators add through configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.leaders import (
    DEFAULT_LEADERS,
    LeaderFormatError,
    LeaderInfo,
    configured_leaders,
    engine_handles,
    entry_ids,
    leader_aliases,
    leader_ids,
    ordered_ids,
    post_identity,
    read_leader_ids,
    read_leaders_file,
    x_handles,
)


def test_leaders_file_ignores_comments_case_and_at_signs(tmp_path: Path) -> None:
    path = tmp_path / "leaders.txt"
    path.write_text("# AI people\n@Karpathy\n\n  naval  # angel\nNewVoice\n", encoding="utf-8")
    assert read_leaders_file(path) == ["karpathy", "naval", "newvoice"]


def test_configured_leaders_add_to_the_defaults_without_repeats(tmp_path: Path) -> None:
    path = tmp_path / "leaders.txt"
    path.write_text("karpathy\nfilevoice\n", encoding="utf-8")
    leaders = configured_leaders(["@EnvVoice", "karpathy", ""], path)
    handles = [leader.handle for leader in leaders]
    assert handles[: len(DEFAULT_LEADERS)] == [leader.handle for leader in DEFAULT_LEADERS]
    assert handles[len(DEFAULT_LEADERS) :] == ["envvoice", "filevoice"]
    assert len(handles) == len(set(handles))


def test_aliases_cover_each_network_handle() -> None:
    aliases = leader_aliases(DEFAULT_LEADERS)
    assert "karpathy" in aliases and "richardssutton" in aliases
    assert "simonwillison.net" in aliases  # Bluesky handle of a shipped leader
    assert aliases == sorted(set(aliases))


def test_leader_ids_name_one_account_per_network() -> None:
    ids = leader_ids(DEFAULT_LEADERS)
    assert "x:karpathy" in ids and "x:richardssutton" in ids
    assert "bluesky:simonwillison.net" in ids and "bluesky:jay.bsky.team" in ids
    # A Reddit or Hacker News account spelled like a shipped leader is not that leader.
    assert "reddit:karpathy" not in ids and "hackernews:karpathy" not in ids
    assert post_identity("x", "Karpathy") in ids
    assert post_identity("reddit", "karpathy") not in ids


def test_a_post_author_is_named_by_the_same_rule_as_an_entry() -> None:
    # Authors as sources write them ("@Name", stray spaces) match the entry typed for them.
    for author in ("Karpathy", "@Karpathy", " @karpathy "):
        assert post_identity("x", author) == entry_ids("x:@Karpathy")[0] == "x:karpathy"
    assert entry_ids(" @ NewVoice") == ("x:newvoice", "bluesky:newvoice")


def test_bare_entries_mean_x_and_bluesky_and_explicit_ones_one_network() -> None:
    assert entry_ids("@NewVoice") == ("x:newvoice", "bluesky:newvoice")
    assert entry_ids("Reddit:Spez") == ("reddit:spez",)
    assert entry_ids("mastodon:user@example.social") == ("mastodon:user@example.social",)
    for bad in ("", "a b", "x:", ":x", "x:a:b", "<b>", "9network:x"):
        with pytest.raises(LeaderFormatError):
            entry_ids(bad)
    ids = leader_ids([LeaderInfo("newvoice")], ["reddit:spez", "not valid!"])
    assert ids == frozenset({"x:newvoice", "bluesky:newvoice", "reddit:spez"})


def test_ordered_ids_keep_shipped_leaders_first() -> None:
    ordered = ordered_ids(DEFAULT_LEADERS, ["_0aaaa", "0bbbb"])
    assert ordered[0] == "x:karpathy"
    assert ordered[-2:] == ["x:0bbbb", "bluesky:0bbbb"]
    assert x_handles(ordered)[:2] == ["karpathy", "sama"]
    assert engine_handles(["x:a", "bluesky:a", "reddit:b"]) == ["bluesky:a", "reddit:b", "x:a"]


def test_configured_leaders_accept_network_entries(tmp_path: Path) -> None:
    path = tmp_path / "leaders.txt"
    path.write_text("hackernews:pg\nbad entry\n", encoding="utf-8")
    leaders = configured_leaders(["Reddit:Spez"], path)
    extra = [leader.handle for leader in leaders[len(DEFAULT_LEADERS) :]]
    assert extra == ["reddit:spez", "hackernews:pg"]


def test_a_backtest_leaders_file_reads_as_identities(tmp_path: Path) -> None:
    path = tmp_path / "leaders.txt"
    path.write_text("# people\n@Karpathy\nreddit:Spez  # the admin\n\n", encoding="utf-8")
    assert read_leader_ids(path) == {"x:karpathy", "bluesky:karpathy", "reddit:spez"}
    path.write_text("karpathy\nnot a handle\n", encoding="utf-8")
    with pytest.raises(LeaderFormatError, match="line 2"):
        read_leader_ids(path)
