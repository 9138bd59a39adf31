"""Operation of the assembled bot: health endpoints, checkpoints, leadership, aggregates."""
