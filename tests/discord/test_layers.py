"""Core Discord code depends on no extension, and slash-command texts come from the one catalog."""

from __future__ import annotations

import ast
from pathlib import Path

import discord
from discord import app_commands

from bot.discord.translator import GhostwatchTranslator, ls
from bot.i18n import EN, JA

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_no_core_module_imports_a_cog() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if any(name == "cogs" or name.startswith("cogs.") for name in imported_modules(path))
    ]
    assert offenders == []


async def test_the_command_translator_reads_the_one_catalog() -> None:
    translator = GhostwatchTranslator()
    context = app_commands.TranslationContext(app_commands.TranslationContextLocation.other, None)
    for key in ("name.ghosts", "cmd.ghosts", "desc.watch_add"):
        string = ls(key)
        assert string.message == EN[key]
        assert await translator.translate(string, discord.Locale.japanese, context) == JA[key]
        assert await translator.translate(string, discord.Locale.french, context) is None
    unknown = app_commands.locale_str("x", key="no.such.key")
    assert await translator.translate(unknown, discord.Locale.japanese, context) is None
