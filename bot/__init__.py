"""ghostwatch: flags emerging meme narratives in Discord and Telegram."""

__version__ = "0.1.0"
