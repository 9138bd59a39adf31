"""Persistent state: tortoise-orm models, queries and migrations."""
