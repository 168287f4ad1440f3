"""The event log: every change a member's system could act on, to those entitled to know it.

`outbox.emit()` is how a feature tells of a change; `/v1/events` is each member's stream.
Webhooks (the `webhooks` package) deliver the same events to member servers.
"""

from .outbox import emit, home_country

__all__ = ["emit", "home_country"]
