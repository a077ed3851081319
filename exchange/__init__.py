"""The lead exchange: the shared domain (platform, models, feature packages), the shared pages and the
composition root (``exchange.app``).

``flask --app exchange`` finds ``create_app`` here. Nothing in this package reads the environment, opens a
connection or starts a thread at import time.
"""

from __future__ import annotations

from typing import Any


def create_app(overrides: dict[str, Any] | None = None):
    """Build the application (see ``exchange.app.create_app``)."""
    # Imported here, not at the top: every module of the domain imports this package first, and the
    # composition root imports the audience packages, which import the domain.
    from exchange.app import create_app as build

    return build(overrides)
