"""Shared narrative service: every chat command answered as plain data."""
