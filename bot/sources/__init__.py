"""Connectors that turn upstream services into normalized posts and token launches."""
