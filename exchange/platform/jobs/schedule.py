"""Running ``PERIODIC_JOBS``: RQ's cron scheduler in production, a timer thread when embedded."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from croniter import croniter
from flask import Flask, current_app

from exchange.platform import clock
from exchange.platform.jobs.processes import ResilientCronScheduler
from exchange.platform.jobs.registry import PERIODIC_JOBS, PeriodicJob
from exchange.platform.jobs.runner import run_periodic

log = logging.getLogger(__name__)


def next_run(job: PeriodicJob, after: datetime) -> datetime:
    if job.interval is not None:
        return after + timedelta(seconds=job.interval)
    return croniter(job.cron, after).get_next(datetime)


def build_rq_cron(connection, app: Flask | None = None):
    """RQ's cron scheduler (kept alive through Redis outages) with every periodic job registered."""
    scheduler = ResilientCronScheduler(app or current_app._get_current_object(), connection)
    for job in PERIODIC_JOBS:
        scheduler.register(
            run_periodic, job.queue, args=(job.name,), interval=job.interval, cron=job.cron, name=job.name
        )
    return scheduler


class EmbeddedScheduler:
    """A daemon thread that submits due periodic jobs to the in-process runner."""

    def __init__(self, app: Flask, tick_seconds: float = 1.0) -> None:
        self.app = app
        self.tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next: dict[str, datetime] = {}

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        now = clock.now()
        # Interval jobs run once at start (catch up after a restart), cron jobs at their next time.
        self._next = {job.name: (now if job.interval else next_run(job, now)) for job in PERIODIC_JOBS}
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="exchange-scheduler", daemon=True)
        self._thread.start()
        log.info("embedded scheduler started with %d periodic jobs", len(PERIODIC_JOBS))

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> list[str]:
        """Submit every job that is due; returns their names."""
        runner = self.app.extensions["exchange.platform.jobs"].backend
        now = clock.now()
        due = [job for job in PERIODIC_JOBS if self._next.get(job.name, now) <= now]
        for job in due:
            runner.submit_periodic(job.name)
            self._next[job.name] = next_run(job, now)
        return [job.name for job in due]

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - keep the clock running
                log.exception("embedded scheduler tick failed")
