"""Machinery every /v1 endpoint shares: auth, bodies, pagination, ETags, idempotency, limits."""
