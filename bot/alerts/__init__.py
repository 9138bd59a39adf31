"""Alert delivery: the dispatcher and per-platform senders."""
