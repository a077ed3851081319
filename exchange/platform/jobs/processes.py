"""``flask worker`` and ``flask cron`` on RQ, kept alive through Redis outages.

Both reconnect with a growing wait (1 s, 2 s, 4 s ... ``JOBS_RECONNECT_MAX_SECONDS``) and log each
attempt and the recovery. When Redis is back the cron hands over at once what waited in the outbox;
when Redis came back empty (restarted without persistence: a marker key is gone) it hands over again
every job it had given to the queue before, since those may be gone (a job handed over twice runs
once).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from typing import Any

from flask import Flask
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested

from exchange.platform.jobs.outbox import relay_outbox

log = logging.getLogger(__name__)

MARKER_KEY = "exchange:cron:marker"


class Backoff:
    """1 s, 2 s, 4 s ... up to ``maximum``; ``reset`` after a success."""

    def __init__(self, maximum: float, first: float = 1.0) -> None:
        self.first = first
        self.maximum = maximum
        self.next = first
        self.failures = 0
        self.down_since: float | None = None

    def fail(self) -> float:
        delay = self.next
        self.failures += 1
        if self.down_since is None:
            self.down_since = time.monotonic()
        self.next = min(self.next * 2, self.maximum)
        return delay

    def reset(self) -> float | None:
        """Back to the first wait; returns how long the outage lasted (None: there was none)."""
        lasted = None if self.down_since is None else time.monotonic() - self.down_since
        self.next, self.failures, self.down_since = self.first, 0, None
        return lasted


@contextmanager
def _stop_on_signals(stop: threading.Event):
    """While waiting to reconnect, SIGTERM/SIGINT end the wait (RQ's handlers need Redis)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(
    app: Flask,
    connection: Any,
    queue_names: list[str],
    *,
    burst: bool = False,
    wait: Callable[[threading.Event, float], bool] | None = None,
) -> int:
    """Run RQ's SimpleWorker until it is asked to stop (or, with ``burst``, the queues are empty),
    starting it again whenever Redis went away under it. Returns how many times it reconnected."""
    wait = wait or (lambda event, seconds: event.wait(seconds))
    stop = threading.Event()
    backoff = Backoff(app.config["JOBS_RECONNECT_MAX_SECONDS"])
    reconnects = 0
    while not stop.is_set():
        worker = None
        error: Exception | str | None = None
        started = time.monotonic()
        try:
            worker = SimpleWorker(queue_names, connection=connection)
            worker.work(burst=burst, logging_level="INFO")
        except RedisError as raised:  # at start-up or shut-down: RQ lets these through
            error = raised
        if getattr(worker, "_stop_requested", False):
            return reconnects
        if error is None:
            try:
                connection.ping()
            except RedisError as raised:  # RQ logged an unhandled error and quit: Redis is gone
                error = raised
            else:
                if burst:
                    return reconnects
                error = "the worker loop ended without a stop request"
        if time.monotonic() - started > 60:
            backoff.reset()  # it ran fine for a while: this is a new outage
        delay = backoff.fail()
        log.warning("worker: Redis unreachable (%s); reconnecting in %.0f s", error, delay)
        with _stop_on_signals(stop):
            wait(stop, delay)
        reconnects += 1
    return reconnects


class ResilientCronScheduler(CronScheduler):
    """RQ's cron scheduler whose loop survives Redis outages (RQ's own ``start`` ends on the first
    connection error, and with it every periodic job, the outbox relay included)."""

    POLL_SECONDS = 5.0

    def __init__(self, app: Flask, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection=connection, **kwargs)
        self.app = app
        self.backoff = Backoff(app.config["JOBS_RECONNECT_MAX_SECONDS"])
        self.registered = False
        self.seen_marker = False
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def tick(self) -> float:
        """One round: enqueue what is due, heartbeat; returns the seconds to wait before the next."""
        try:
            # A key of ours that vanished means Redis lost its data (restarted without persistence,
            # flushed) and with it the jobs it was handed.
            missing = bool(self.connection.set(MARKER_KEY, self.name, nx=True))
            restarted, self.seen_marker = missing and self.seen_marker, True
            if not self.registered:
                self.register_birth()
                self.registered = True
            if self.enqueue_jobs():
                self.save()
            self.heartbeat()
        except RedisError as error:
            delay = self.backoff.fail()
            self.registered = False
            log.warning(
                "cron: Redis unreachable (%s); periodic jobs wait, reconnecting in %.0f s", error, delay
            )
            return delay
        lasted = self.backoff.reset()
        if lasted is not None or restarted:
            if restarted:
                log.warning("cron: Redis lost its data (restarted?): handing over the outbox again")
            else:
                log.warning("cron: Redis reachable again after %.0f s: handing over waiting jobs", lasted)
            self.hand_over_outbox(all_enqueued=restarted)
        return self.calculate_sleep_interval()

    def calculate_sleep_interval(self) -> float:
        # Look at Redis at least every few seconds, so an outage ends (and the outbox is handed
        # over) soon after Redis is back, not at the next periodic job.
        return min(super().calculate_sleep_interval(), self.POLL_SECONDS)

    def hand_over_outbox(self, *, all_enqueued: bool) -> dict[str, int] | None:
        try:
            with self.app.app_context():
                summary = relay_outbox(all_enqueued=all_enqueued)
            log.info("cron: outbox handed over: %s", summary)
            return summary
        except Exception:  # noqa: BLE001 - the periodic relay will try again
            log.exception("cron: handing over the outbox failed")
            return None

    def start(self) -> None:
        self.log.info("CronScheduler %s: starting...", self.name)
        self._install_signal_handlers()
        try:
            while not self._stop.is_set():
                self._stop.wait(self.tick())
        except (KeyboardInterrupt, StopRequested):
            self.log.info("CronScheduler %s: stop requested", self.name)
        finally:
            with suppress(RedisError):
                self.register_death()
            self.log.info("CronScheduler %s: shutdown complete", self.name)
