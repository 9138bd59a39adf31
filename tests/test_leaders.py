"""The shipped leader list and the leaders operators add through configuration."""

from __future__ import annotations

from pathlib import Path

from bot.leaders import DEFAULT_LEADERS, configured_leaders, leader_aliases, read_leaders_file


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
