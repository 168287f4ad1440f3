"""Append-only record of every administrative action."""
