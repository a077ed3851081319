"""Where jobs go after the commit: RQ on Redis, or a runner thread inside this process."""

from __future__ import annotations

import logging
import queue as queue_module
import threading
from typing import Any

import sqlalchemy as sa
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from exchange.models import JobStatus, OutboxJob
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.jobs.registry import task_timeout
from exchange.platform.jobs.runner import run_outbox_job, run_periodic

log = logging.getLogger(__name__)

RQ_JOB_FUNCTION = "exchange.platform.jobs.runner.run_outbox_job"


def mark_enqueued(job_ids: list[int]) -> None:
    """Record the hand-over, on a connection of its own (the committing session is closed for SQL)."""
    if not job_ids:
        return
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(OutboxJob)
            .where(OutboxJob.id.in_(job_ids), OutboxJob.status == JobStatus.PENDING)
            .values(status=JobStatus.ENQUEUED, enqueued_at=clock.now())
        )


class RQBackend:
    """Hands job ids to RQ queues. A Redis failure leaves the jobs pending in the outbox."""

    def __init__(self, app: Flask, url: str) -> None:
        self.app = app
        self.url = url
        self._connection: Any = None

    @property
    def connection(self) -> Any:
        if self._connection is None:
            self._connection = Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)
        return self._connection

    def hand_over(self, jobs: list[tuple[int, str, str]]) -> int:
        """Queue ``(job id, queue, task)`` items; each RQ job gets its task's timeout."""
        handed: list[int] = []
        default_timeout = self.app.config["JOBS_TIMEOUT_SECONDS"]
        try:
            for job_id, queue_name, *task in jobs:
                Queue(queue_name, connection=self.connection).enqueue(
                    RQ_JOB_FUNCTION,
                    job_id,
                    job_timeout=task_timeout(task[0], default_timeout) if task else default_timeout,
                    result_ttl=3600,
                    failure_ttl=7 * 86400,
                )
                handed.append(job_id)
        except RedisError as error:
            log.warning("queue unreachable, %d job(s) wait in the outbox: %s", len(jobs) - len(handed), error)
        mark_enqueued(handed)
        return len(handed)

    def health(self) -> dict[str, Any]:
        try:
            self.connection.ping()
            return {"queue": "ok"}
        except RedisError as error:
            return {"queue": "unreachable", "queue_error": str(error)}

    def drain(self, timeout: float = 30) -> bool:
        """Nothing to wait for here: RQ workers are other processes."""
        return True

    def shutdown(self) -> None:
        if self._connection is not None:
            self._connection.close()


class InProcessBackend:
    """One daemon thread per process runs jobs in order (the embedded default, no Redis)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue_module.Queue[tuple[str, Any]] = queue_module.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="exchange-jobs", daemon=True)
                self._thread.start()

    def hand_over(self, jobs: list[tuple[int, str, str]]) -> int:
        mark_enqueued([job[0] for job in jobs])
        self._ensure_thread()
        for job in jobs:
            self._queue.put(("job", job[0]))
        return len(jobs)

    def submit_periodic(self, name: str) -> None:
        self._ensure_thread()
        self._queue.put(("periodic", name))

    def _loop(self) -> None:
        while True:
            kind, value = self._queue.get()
            if kind == "stop":
                self._queue.task_done()
                return
            try:
                with self.app.app_context():
                    if kind == "job":
                        run_outbox_job(value)
                    else:
                        run_periodic(value)
            except Exception:  # noqa: BLE001 - the runner records job failures; this is a last guard
                log.exception("in-process job runner: %s %s", kind, value)
            finally:
                self._queue.task_done()

    def drain(self, timeout: float = 30) -> bool:
        """Wait until every handed-over job has run (tests and CLI commands)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def health(self) -> dict[str, Any]:
        return {"queue": "embedded"}

    def shutdown(self) -> None:
        """Let the runner thread finish what it has, then end it."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(("stop", None))
            self._thread.join(timeout=30)
