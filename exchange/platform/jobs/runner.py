"""Running one job: the same code whether RQ or the in-process runner calls it."""

from __future__ import annotations

import logging
import threading
import traceback
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

# The one import upwards (pyproject.toml ignores it in the layers contract): a bare ``rq worker`` has no
# app, so the runner builds one with the composition root's factory.
from exchange import create_app
from exchange.models import JobStatus, OutboxJob
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.jobs.registry import resolve_task

log = logging.getLogger(__name__)

_fallback_app: Flask | None = None


def _app() -> Flask:
    """The running app; a plain ``rq worker`` (no ``flask worker``) gets one built on first use."""
    global _fallback_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _fallback_app is None:
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
        .values(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=OutboxJob.attempts + 1)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return "skipped"
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    task, args, attempt = job.task, list(job.args or []), job.attempts
    heartbeat = Heartbeat(job_id, attempt, current_app.config["JOBS_HEARTBEAT_SECONDS"]).start()
    try:
        result: Any = resolve_task(task)(*args)
    except Exception as error:  # noqa: BLE001 - a failed job is recorded, retried, then visible
        heartbeat.stop()
        db.session.rollback()
        return _record_failure(job_id, task, error)
    finally:
        heartbeat.stop()
    job = db.session.get(OutboxJob, job_id)
    assert job is not None
    job.status = JobStatus.DONE
    job.finished_at = clock.now()
    job.result = result if isinstance(result, dict) else None
    job.last_error = None
    db.session.commit()
    return JobStatus.DONE.value


class Heartbeat:
    """While a job runs, a thread writes ``heartbeat_at`` on a connection of its own every few
    seconds. A job whose heartbeat stops (the worker was killed, the host died) is revived by the
    relay after ``JOBS_HEARTBEAT_TIMEOUT_SECONDS``, not after the job's whole timeout."""

    def __init__(self, job_id: int, attempt: int, interval: float) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.interval = interval
        self.beats = 0
        self._app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def beat(self) -> bool:
        """Write one heartbeat; False when the job is no longer this attempt's (revived elsewhere)."""
        with self._app.app_context(), db.engine.begin() as connection:
            mine = connection.execute(
                sa.update(OutboxJob)
                .where(
                    OutboxJob.id == self.job_id,
                    OutboxJob.status == JobStatus.RUNNING,
                    OutboxJob.attempts == self.attempt,
                )
                .values(heartbeat_at=clock.now())
            ).rowcount
        self.beats += 1
        return mine == 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.beat():
                    log.warning("job %s: attempt %d was taken over by another run", self.job_id, self.attempt)
                    return
            except sa.exc.SQLAlchemyError as error:
                log.warning("job %s: heartbeat not written: %s", self.job_id, error)


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
