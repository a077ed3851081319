"""The outbox: jobs are rows written in the transaction of the change that needs them.

``enqueue`` adds the row to the current session. Only when that session commits are the new jobs
handed to the queue (RQ, or the in-process runner); a rollback discards them with everything else.
If the queue cannot take them (Redis down), they stay ``pending`` and ``relay_outbox`` (a periodic
job) hands them over later. The runner starts a job only by moving it from pending/enqueued to
running in one conditional UPDATE, so a job handed over twice still runs once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from exchange.models import JobStatus, OutboxJob
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.jobs.registry import QUEUE_DEFAULT, TASKS
from exchange.platform.jobs.state import backend, track_created

log = logging.getLogger(__name__)

_SESSION_KEY = "exchange.outbox"


def enqueue(
    task: str,
    *args: Any,
    queue: str = QUEUE_DEFAULT,
    delay: timedelta | None = None,
    max_attempts: int | None = None,
    session: Session | None = None,
) -> OutboxJob:
    """Record a job in the current transaction; it is handed to the queue after the commit."""
    if task not in TASKS:
        raise LookupError(f"unknown job {task!r}")
    for arg in args:
        if not isinstance(arg, str | int | float | bool | list | dict | type(None)):
            raise TypeError(f"job arguments are ids and plain values, not {type(arg).__name__}")
    session = session or db.session()
    job = OutboxJob(
        task=task,
        args=list(args),
        queue=queue,
        run_after=clock.now() + (delay or timedelta(0)),
        max_attempts=max_attempts or (current_app.config["JOBS_MAX_ATTEMPTS"] if has_app_context() else 5),
    )
    session.add(job)
    # Attributes expire at commit; keep what the hand-over needs beside the instance.
    session.info.setdefault(_SESSION_KEY, []).append((job, job.run_after, queue, task))
    return job


@event.listens_for(Session, "after_commit")
def _hand_over_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the jobs are handed over when the transaction commits
    jobs = session.info.pop(_SESSION_KEY, None)
    if not jobs or not has_app_context():
        return

    now = clock.now()
    ready: list[tuple[int, str, str]] = []
    created: list[int] = []
    for job, run_after, queue, task in jobs:
        state = sa.inspect(job)
        if state.identity is None or not state.persistent:
            continue  # rolled back with a savepoint
        created.append(state.identity[0])
        if run_after > now:
            continue  # delayed: the relay hands it over when due
        ready.append((state.identity[0], queue, task))
    track_created(created)
    if ready:
        backend().hand_over(ready)


@event.listens_for(Session, "after_rollback")
def _discard_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # back to a savepoint: its jobs are left out at the commit (no longer persistent)
    session.info.pop(_SESSION_KEY, None)


def relay_outbox(limit: int = 1000, *, all_enqueued: bool = False) -> dict[str, int]:
    """Hand over pending jobs that are due, and jobs whose hand-over or worker was lost.

    A running job whose heartbeat stopped (its worker was killed) goes back to pending and is handed
    over again. ``all_enqueued`` hands over every job already given to the queue, whatever its age
    (the cron does this when Redis restarted and may have lost them; a job handed over twice runs once).
    """
    now = clock.now()
    config = current_app.config
    stale = now - timedelta(seconds=config["JOBS_STALE_SECONDS"])
    silent = now - timedelta(seconds=config["JOBS_HEARTBEAT_TIMEOUT_SECONDS"])
    revived = db.session.execute(
        sa.update(OutboxJob)
        .where(
            OutboxJob.status == JobStatus.RUNNING,
            sa.func.coalesce(OutboxJob.heartbeat_at, OutboxJob.started_at) < silent,
        )
        .values(status=JobStatus.PENDING, last_error="the worker running this job was lost (no heartbeat)")
        .execution_options(synchronize_session=False)
    ).rowcount
    if revived:
        log.warning("%d running job(s) lost their worker (no heartbeat): handed over again", revived)
    enqueued = OutboxJob.status == JobStatus.ENQUEUED
    rows = db.session.execute(
        sa.select(OutboxJob.id, OutboxJob.queue, OutboxJob.task)
        .where(
            sa.or_(
                sa.and_(OutboxJob.status == JobStatus.PENDING, OutboxJob.run_after <= now),
                enqueued if all_enqueued else sa.and_(enqueued, OutboxJob.enqueued_at < stale),
            )
        )
        .order_by(OutboxJob.id)
        .limit(limit)
    ).all()
    db.session.commit()

    handed = backend().hand_over([(row.id, row.queue, row.task) for row in rows]) if rows else 0
    return {"due": len(rows), "handed_over": handed, "revived": revived}


def prune_finished(done_days: int = 7, failed_days: int = 30) -> dict[str, int]:
    """Delete finished job rows: done after a week, failed after a month."""
    now = clock.now()
    done = db.session.execute(
        sa.delete(OutboxJob).where(
            OutboxJob.status == JobStatus.DONE, OutboxJob.finished_at < now - timedelta(days=done_days)
        )
    ).rowcount
    failed = db.session.execute(
        sa.delete(OutboxJob).where(
            OutboxJob.status == JobStatus.FAILED, OutboxJob.finished_at < now - timedelta(days=failed_days)
        )
    ).rowcount
    return {"done_deleted": done, "failed_deleted": failed}
