"""Discord cogs: one discord.py extension per feature (loaded by bot.discord.bot)."""
