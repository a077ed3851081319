"""Background jobs: one way to enqueue, RQ when ``REDIS_URL`` is set, in-process otherwise.

    from exchange.jobs import enqueue
    enqueue("leads.match", lead_id)      # in the transaction of the change; runs after commit

See ``registry`` (which jobs exist, what runs periodically), ``outbox`` (hand-over after commit),
``runner`` (running one job with retries) and ``backends``.
"""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app

from exchange.jobs.backends import InProcessBackend, RQBackend
from exchange.jobs.outbox import enqueue, relay_outbox
from exchange.jobs.registry import PERIODIC_JOBS, QUEUES, TASKS, PeriodicJob

__all__ = [
    "PERIODIC_JOBS",
    "QUEUES",
    "TASKS",
    "PeriodicJob",
    "backend",
    "drain",
    "enqueue",
    "init_app",
    "queue_health",
    "relay_outbox",
]

_EXTENSION = "exchange.jobs"
_scheduler_lock = threading.Lock()


class JobsState:
    def __init__(self, app: Flask) -> None:
        url = app.config.get("REDIS_URL")
        self.backend: RQBackend | InProcessBackend = RQBackend(app, url) if url else InProcessBackend(app)
        self.scheduler: Any = None

    @property
    def embedded(self) -> bool:
        return isinstance(self.backend, InProcessBackend)


def init_app(app: Flask) -> None:
    state = JobsState(app)
    app.extensions[_EXTENSION] = state

    if state.embedded and app.config.get("EMBEDDED_SCHEDULER") and not app.testing:

        @app.before_request
        def _start_embedded_scheduler() -> None:
            # Started by the first request, not at import or start-up (a CLI command needs no timer).
            start_embedded_scheduler(app)


def start_embedded_scheduler(app: Flask) -> None:
    from exchange.jobs.schedule import EmbeddedScheduler

    state: JobsState = app.extensions[_EXTENSION]
    if state.scheduler is not None or not state.embedded:
        return
    with _scheduler_lock:
        if state.scheduler is None:
            state.scheduler = EmbeddedScheduler(app)
            state.scheduler.start()


def backend() -> RQBackend | InProcessBackend:
    return current_app.extensions[_EXTENSION].backend


def drain(timeout: float = 30) -> bool:
    """Wait for the in-process runner to finish what it was handed (no-op with RQ)."""
    return backend().drain(timeout)


def queue_health() -> dict[str, Any]:
    from exchange.extensions import db
    from exchange.models import JobStatus, OutboxJob

    health = backend().health()
    try:
        counts = dict(
            db.session.execute(
                sa.select(OutboxJob.status, sa.func.count())
                .where(OutboxJob.status.in_([JobStatus.PENDING, JobStatus.FAILED]))
                .group_by(OutboxJob.status)
            ).all()
        )
        health["jobs_waiting"] = counts.get(JobStatus.PENDING, 0)
        health["jobs_failed"] = counts.get(JobStatus.FAILED, 0)
    except sa.exc.SQLAlchemyError:
        pass
    return health
