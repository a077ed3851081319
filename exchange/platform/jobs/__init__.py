"""Background jobs: one way to enqueue, RQ when ``REDIS_URL`` is set, in-process otherwise.

    from exchange.platform.jobs import enqueue
    enqueue("leads.match", lead_id)      # in the transaction of the change; runs after commit

See ``registry`` (which jobs exist, what runs periodically), ``outbox`` (hand-over after commit),
``runner`` (running one job with retries) and ``backends``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from exchange.platform.jobs.backends import InProcessBackend, RQBackend
from exchange.platform.jobs.outbox import enqueue, relay_outbox
from exchange.platform.jobs.registry import PERIODIC_JOBS, QUEUES, TASKS, PeriodicJob

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
    "track_created",
    "tracking_created",
]

_EXTENSION = "exchange.platform.jobs"
_scheduler_lock = threading.Lock()


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


def init_app(app: Flask) -> None:
    state = JobsState(app)
    app.extensions[_EXTENSION] = state

    if state.embedded and app.config.get("EMBEDDED_SCHEDULER") and not app.testing:

        @app.before_request
        def _start_embedded_scheduler() -> None:
            # Started by the first request, not at import or start-up (a CLI command needs no timer).
            start_embedded_scheduler(app)


def start_embedded_scheduler(app: Flask) -> None:
    from exchange.platform.jobs.schedule import EmbeddedScheduler

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


def queue_health() -> dict[str, Any]:
    """The queue's state for /healthz; ``degraded`` lists why the jobs are not flowing, if they aren't:
    the queue is unreachable, or a job that is due has waited longer than JOBS_WAIT_DEGRADED_SECONDS."""
    from exchange.models import JobStatus, OutboxJob
    from exchange.platform import clock, unit_of_work
    from exchange.platform.extensions import db

    health = backend().health()
    degraded: list[str] = []
    if health["queue"] not in ("ok", "embedded"):
        degraded.append(f"job queue {health['queue']}: {health.get('queue_error', '')}".strip(": "))
    try:
        now = clock.now()
        counts = dict(
            db.session.execute(
                sa.select(OutboxJob.status, sa.func.count())
                .where(OutboxJob.status.in_([JobStatus.PENDING, JobStatus.FAILED]))
                .group_by(OutboxJob.status)
            ).all()
        )
        health["jobs_waiting"] = counts.get(JobStatus.PENDING, 0)
        health["jobs_failed"] = counts.get(JobStatus.FAILED, 0)
        oldest = db.session.scalar(
            sa.select(sa.func.min(OutboxJob.run_after)).where(
                OutboxJob.status.in_([JobStatus.PENDING, JobStatus.ENQUEUED]), OutboxJob.run_after <= now
            )
        )
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        waited = 0 if oldest is None else max(0, int((now - oldest).total_seconds()))
        health["oldest_job_waiting_seconds"] = waited
        limit = current_app.config["JOBS_WAIT_DEGRADED_SECONDS"]
        if waited > limit:
            degraded.append(f"a job has waited {waited} s to start (over {limit} s): are worker and cron up?")
    except sa.exc.SQLAlchemyError:
        unit_of_work.discard()
    if degraded:
        health["degraded"] = degraded
    return health
