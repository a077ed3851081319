"""The job outbox: after-commit hand-over, rollback, retries, Redis outages, periodic jobs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange import clock, jobs
from exchange.extensions import db
from exchange.jobs import registry
from exchange.jobs.backends import RQBackend
from exchange.models import JobStatus, OutboxJob

CALLS: list[tuple] = []


def record_call(*args):
    CALLS.append(args)
    return {"seen": list(args)}


def always_fails(*args):
    raise RuntimeError("boom")


FAILURES_LEFT = {"n": 0}


def fails_then_succeeds():
    if FAILURES_LEFT["n"] > 0:
        FAILURES_LEFT["n"] -= 1
        raise RuntimeError("transient")
    CALLS.append(("ok",))


@pytest.fixture(autouse=True)
def test_tasks(monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(registry.TASKS, "test.record", f"{__name__}:record_call")
    monkeypatch.setitem(registry.TASKS, "test.fail", f"{__name__}:always_fails")
    monkeypatch.setitem(registry.TASKS, "test.flaky", f"{__name__}:fails_then_succeeds")


def _job(job_id: int) -> OutboxJob:
    db.session.expire_all()
    return db.session.get(OutboxJob, job_id)


def test_job_runs_after_commit_with_its_arguments(app, run_jobs):
    job = jobs.enqueue("test.record", 7, "x")
    assert CALLS == []  # nothing runs before the commit
    db.session.commit()
    run_jobs()
    assert CALLS == [(7, "x")]
    done = _job(job.id)
    assert done.status == JobStatus.DONE
    assert done.attempts == 1
    assert done.result == {"seen": [7, "x"]}


def test_rolled_back_change_leaves_no_job_and_runs_nothing(app, run_jobs):
    jobs.enqueue("test.record", 1)
    db.session.rollback()
    db.session.commit()
    run_jobs()
    assert CALLS == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 0


def test_savepoint_rollback_discards_only_its_jobs(app, run_jobs):
    jobs.enqueue("test.record", "kept")
    nested = db.session.begin_nested()
    jobs.enqueue("test.record", "dropped")
    nested.rollback()
    db.session.commit()
    run_jobs()
    assert CALLS == [("kept",)]


def test_jobs_take_ids_not_objects(app):
    with pytest.raises(TypeError):
        jobs.enqueue("test.record", object())
    with pytest.raises(LookupError):
        jobs.enqueue("no.such.job")


def test_failed_job_is_retried_then_marked_failed_and_visible(app, run_jobs):
    job = jobs.enqueue("test.fail", max_attempts=3)
    db.session.commit()
    for _ in range(5):  # the relay hands the retries over (backoff is 0 s in tests)
        run_jobs()
    failed = _job(job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.attempts == 3
    assert "RuntimeError: boom" in failed.last_error
    assert failed.finished_at is not None
    assert jobs.queue_health()["jobs_failed"] == 1


def test_transient_failure_succeeds_on_retry(app, run_jobs):
    FAILURES_LEFT["n"] = 2
    job = jobs.enqueue("test.flaky")
    db.session.commit()
    for _ in range(4):
        run_jobs()
    assert _job(job.id).status == JobStatus.DONE
    assert _job(job.id).attempts == 3
    assert CALLS == [("ok",)]


@pytest.mark.app_config(JOBS_RETRY_BASE_SECONDS=60)
def test_retry_waits_with_exponential_backoff(app, run_jobs):
    from datetime import UTC, datetime, timedelta

    with clock.frozen(datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) as frozen:
        job = jobs.enqueue("test.fail")
        db.session.commit()
        run_jobs()
        first = _job(job.id)
        assert first.status == JobStatus.PENDING
        assert first.run_after == frozen.at + timedelta(seconds=60)
        run_jobs()  # not due yet: nothing happens
        assert _job(job.id).attempts == 1
        frozen.advance(seconds=61)
        run_jobs()
        second = _job(job.id)
        assert second.attempts == 2
        assert second.run_after == frozen.at + timedelta(seconds=120)


def test_a_job_runs_once_even_if_handed_over_twice(app, run_jobs):
    from exchange.jobs.runner import execute

    job = jobs.enqueue("test.record", "once")
    db.session.commit()
    run_jobs()
    assert execute(job.id) == "skipped"
    assert CALLS == [("once",)]


def test_delayed_job_waits_for_the_relay(app, run_jobs):
    from datetime import timedelta

    job = jobs.enqueue("test.record", "later", delay=timedelta(minutes=5))
    db.session.commit()
    run_jobs()
    assert CALLS == []
    assert _job(job.id).status == JobStatus.PENDING


# --- RQ on (fake) Redis -----------------------------------------------------------------------------


@pytest.fixture
def fake_redis_app(app, monkeypatch):
    """Switch the app's job backend to RQ on fakeredis (the embedded run exercises RQ this way)."""
    import fakeredis

    server = fakeredis.FakeServer()
    connection = fakeredis.FakeRedis(server=server)
    rq_backend = RQBackend(app, "redis://fake")
    rq_backend._connection = connection
    monkeypatch.setattr(app.extensions["exchange.jobs"], "backend", rq_backend)
    return server, connection


def _work(connection):
    from rq import SimpleWorker

    SimpleWorker(list(jobs.QUEUES), connection=connection).work(burst=True, logging_level="WARNING")


def test_rq_backend_hands_over_after_commit_and_worker_runs_it(app, fake_redis_app):
    server, connection = fake_redis_app
    job = jobs.enqueue("test.record", 42)
    db.session.commit()
    assert _job(job.id).status == JobStatus.ENQUEUED
    _work(connection)
    assert CALLS == [(42,)]
    assert _job(job.id).status == JobStatus.DONE


def test_job_waits_in_the_outbox_while_redis_is_down(app, fake_redis_app):
    server, connection = fake_redis_app
    server.connected = False
    job = jobs.enqueue("test.record", "survives")
    db.session.commit()  # the commit succeeds although the queue is unreachable
    assert _job(job.id).status == JobStatus.PENDING
    health = jobs.queue_health()
    assert health["queue"] == "unreachable"
    assert health["jobs_waiting"] == 1
    assert jobs.relay_outbox()["handed_over"] == 0  # still down
    server.connected = True
    assert jobs.relay_outbox()["handed_over"] == 1
    _work(connection)
    assert CALLS == [("survives",)]
    assert _job(job.id).status == JobStatus.DONE


def test_rq_cron_registers_every_periodic_job(app, fake_redis_app):
    from exchange.jobs.schedule import build_rq_cron

    _server, connection = fake_redis_app
    scheduler = build_rq_cron(connection)
    names = sorted(job.name for job in scheduler.get_jobs())
    assert names == sorted(job.name for job in registry.PERIODIC_JOBS)


# --- periodic jobs ----------------------------------------------------------------------------------


def test_periodic_jobs_are_data_with_known_tasks():
    assert registry.PERIODIC_JOBS
    for job in registry.PERIODIC_JOBS:
        assert job.name in registry.TASKS
        assert registry.resolve_task(job.name)
    with pytest.raises(ValueError):
        registry.PeriodicJob("x", interval=5, cron="* * * * *")


def test_embedded_scheduler_runs_due_jobs_and_records_them(app, monkeypatch):
    from datetime import UTC, datetime

    from exchange.jobs.backends import InProcessBackend
    from exchange.jobs.schedule import EmbeddedScheduler

    # The timer belongs to the embedded default, whatever backend this run uses.
    monkeypatch.setattr(app.extensions["exchange.jobs"], "backend", InProcessBackend(app))
    monkeypatch.setattr(registry, "PERIODIC_JOBS", [registry.PeriodicJob("test.record", interval=60)])
    monkeypatch.setattr("exchange.jobs.schedule.PERIODIC_JOBS", registry.PERIODIC_JOBS)
    with clock.frozen(datetime(2026, 3, 1, 8, 0, tzinfo=UTC)) as frozen:
        scheduler = EmbeddedScheduler(app)
        scheduler._next = {"test.record": frozen.at}
        assert scheduler.tick() == ["test.record"]
        assert scheduler.tick() == []  # not due again for 60 s
        frozen.advance(seconds=60)
        assert scheduler.tick() == ["test.record"]
    jobs.drain()
    assert CALLS == [(), ()]
    rows = db.session.scalars(sa.select(OutboxJob).where(OutboxJob.task == "test.record")).all()
    assert [row.status for row in rows] == [JobStatus.DONE, JobStatus.DONE]


def test_relay_revives_jobs_whose_worker_died(app, run_jobs):
    from datetime import timedelta

    job = jobs.enqueue("test.record", "revived", delay=timedelta(days=1))
    db.session.commit()
    job.status = JobStatus.RUNNING
    job.started_at = clock.now() - timedelta(hours=2)
    job.run_after = clock.now()
    db.session.commit()
    summary = jobs.relay_outbox()
    assert summary["revived"] == 1
    run_jobs()
    assert CALLS == [("revived",)]
