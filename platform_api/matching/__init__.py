"""Matching: explained suggestions, introductions and deals, FX rates and platform statistics."""
