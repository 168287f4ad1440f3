"""Unauthenticated service routes: health, readiness, the contract and its docs page."""
