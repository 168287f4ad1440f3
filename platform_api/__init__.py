"""Open API platform for cross-border intellectual-property operations."""

from .app import create_app

__all__ = ["create_app"]
