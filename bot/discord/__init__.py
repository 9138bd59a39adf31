"""The Discord front end: bot, alert sender and app-command translations (cogs live in cogs/)."""
