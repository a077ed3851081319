"""Running one job: the same code whether RQ or the in-process runner calls it."""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from exchange import clock
from exchange.extensions import db
from exchange.jobs.registry import resolve_task
from exchange.models import JobStatus, OutboxJob

log = logging.getLogger(__name__)

_fallback_app: Flask | None = None


def _app() -> Flask:
    """The running app; a plain ``rq worker`` (no ``flask worker``) gets one built on first use."""
    global _fallback_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _fallback_app is None:
        from exchange import create_app

        _fallback_app = create_app()
    return _fallback_app


def run_outbox_job(job_id: int) -> str:
    """Entry point queued in RQ and called by the in-process runner."""
    with _app().app_context():
        try:
            return execute(job_id)
        finally:
            db.session.remove()


def run_periodic(name: str) -> str:
    """Entry point for the cron: record the run as a job row (visible, pruned later) and run it."""
    with _app().app_context():
        try:
            job = OutboxJob(
                task=name, args=[], max_attempts=1, status=JobStatus.PENDING, run_after=clock.now()
            )
            db.session.add(job)
            db.session.commit()
            return execute(job.id)
        finally:
            db.session.remove()


def execute(job_id: int) -> str:
    """Run the job once if nobody else is running or has run it. Returns the job's final status."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(OutboxJob)
        .where(OutboxJob.id == job_id, OutboxJob.status.in_([JobStatus.PENDING, JobStatus.ENQUEUED]))
        .values(status=JobStatus.RUNNING, started_at=now, attempts=OutboxJob.attempts + 1)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return "skipped"
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    task, args = job.task, list(job.args or [])
    try:
        result: Any = resolve_task(task)(*args)
    except Exception as error:  # noqa: BLE001 - a failed job is recorded, retried, then visible
        db.session.rollback()
        return _record_failure(job_id, task, error)
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    job.status = JobStatus.DONE
    job.finished_at = clock.now()
    job.result = result if isinstance(result, dict) else None
    job.last_error = None
    db.session.commit()
    return JobStatus.DONE.value


def _record_failure(job_id: int, task: str, error: Exception) -> str:
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    job.last_error = "".join(traceback.format_exception(error))[-4000:]
    now = clock.now()
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = now
        log.error("job %s (%s) failed for good after %d attempts: %s", job_id, task, job.attempts, error)
    else:
        base = current_app.config["JOBS_RETRY_BASE_SECONDS"]
        job.status = JobStatus.PENDING
        job.run_after = now + timedelta(seconds=base * 2 ** (job.attempts - 1))
        log.warning(
            "job %s (%s) failed (attempt %d), retry at %s: %s",
            job_id,
            task,
            job.attempts,
            job.run_after,
            error,
        )
    db.session.commit()
    return job.status.value
