"""Alerts: planning (who gets one), delivery (the worker that sends them), cards (what a late
alert shows), the dispatcher (the pipeline hook joining them) and the per-platform senders."""
