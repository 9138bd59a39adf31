"""Per-platform rendering of service results."""
