"""The jobs' state per app: where jobs go (RQ or the in-process runner), the embedded timer, the
jobs a CLI command tracks. ``exchange.platform.jobs`` is the public face; this module sits under the
outbox so that the outbox can hand over without importing the package."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, has_app_context

from exchange.platform.jobs.backends import InProcessBackend, RQBackend

_EXTENSION = "exchange.platform.jobs"


class JobsState:
    def __init__(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        self.backend: RQBackend | InProcessBackend = RQBackend(app, url) if url else InProcessBackend(app)
        self.scheduler: Any = None
        # Ids of the jobs created while a CLI command runs (None: not tracking).
        self.created: list[int] | None = None

    @property
    def embedded(self) -> bool:
        return isinstance(self.backend, InProcessBackend)


def backend() -> RQBackend | InProcessBackend:
    return current_app.extensions[_EXTENSION].backend


def drain(timeout: float = 30) -> bool:
    """Wait for the in-process runner to finish what it was handed (no-op with RQ)."""
    return backend().drain(timeout)


def track_created(job_ids: list[int]) -> None:
    """Note jobs committed while a CLI command tracks them (see ``tracking_created``)."""
    if not job_ids or not has_app_context():
        return
    created = current_app.extensions[_EXTENSION].created
    if created is not None:
        created.extend(job_ids)


@contextmanager
def tracking_created() -> Iterator[list[int]]:
    """Collect the ids of every job committed inside the block (by this process, any thread)."""
    state: JobsState = current_app.extensions[_EXTENSION]
    state.created = created = []
    try:
        yield created
    finally:
        state.created = None
