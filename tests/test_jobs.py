"""The job outbox: after-commit hand-over, rollback, retries, Redis outages, periodic jobs."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from exchange.models import JobStatus, OutboxJob
from exchange.platform import clock, jobs
from exchange.platform.extensions import db
from exchange.platform.jobs import registry
from exchange.platform.jobs.backends import RQBackend

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
    from exchange.platform.jobs.runner import execute

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
    monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", rq_backend)
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
    from exchange.platform.jobs.schedule import build_rq_cron

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

    from exchange.platform.jobs.backends import InProcessBackend
    from exchange.platform.jobs.schedule import EmbeddedScheduler

    # The timer belongs to the embedded default, whatever backend this run uses.
    monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", InProcessBackend(app))
    monkeypatch.setattr(registry, "PERIODIC_JOBS", [registry.PeriodicJob("test.record", interval=60)])
    monkeypatch.setattr("exchange.platform.jobs.schedule.PERIODIC_JOBS", registry.PERIODIC_JOBS)
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


# --- a worker killed mid-job: heartbeats, per-task timeouts -----------------------------------------


def slow_call(*args):
    import time

    time.sleep(0.5)
    CALLS.append(("slow", *args))


@pytest.fixture
def slow_task(monkeypatch):
    monkeypatch.setitem(registry.TASKS, "test.slow", f"{__name__}:slow_call")


def test_a_job_whose_worker_was_killed_reruns_within_a_minute(app, run_jobs):
    """The worker died 45 s ago in the middle of the job (no heartbeat since); a job beside it is
    alive (heartbeat 5 s ago). The relay (every 30 s) reruns the dead one only."""
    from datetime import timedelta

    now = clock.now()
    dead = jobs.enqueue("test.record", "dead", delay=timedelta(days=1))
    alive = jobs.enqueue("test.record", "alive", delay=timedelta(days=1))
    db.session.commit()
    for job, silent_for in ((dead, 45), (alive, 5)):
        job.status = JobStatus.RUNNING
        job.attempts = 1
        job.started_at = now - timedelta(seconds=50)
        job.heartbeat_at = now - timedelta(seconds=silent_for)
        job.run_after = now - timedelta(seconds=50)
    db.session.commit()
    summary = jobs.relay_outbox()
    assert summary["revived"] == 1
    run_jobs()
    assert CALLS == [("dead",)]
    rerun = _job(dead.id)
    assert (rerun.status, rerun.attempts) == (JobStatus.DONE, 2)
    assert _job(alive.id).status == JobStatus.RUNNING


@pytest.mark.app_config(JOBS_HEARTBEAT_SECONDS=0.1)
def test_a_running_job_writes_heartbeats(app, run_jobs, slow_task):
    job = jobs.enqueue("test.slow", 1)
    db.session.commit()
    run_jobs()
    done = _job(job.id)
    assert done.status == JobStatus.DONE
    assert CALLS == [("slow", 1)]
    # the job ran 0.5 s with a beat every 0.1 s: the last one is well after the start
    assert (done.heartbeat_at - done.started_at).total_seconds() >= 0.2


def test_rq_jobs_get_their_tasks_timeout(app, fake_redis_app, monkeypatch, slow_task):
    from rq import Queue

    _server, connection = fake_redis_app
    monkeypatch.setitem(registry.TASK_TIMEOUTS, "test.slow", 42)
    jobs.enqueue("test.slow")
    jobs.enqueue("test.record")
    db.session.commit()
    timeouts = [job.timeout for job in Queue("default", connection=connection).jobs]
    assert timeouts == [42, app.config["JOBS_TIMEOUT_SECONDS"]]


# --- worker and cron through a Redis outage -----------------------------------------------------------


def test_worker_reconnects_after_a_redis_outage(app, fake_redis_app, caplog):
    from exchange.platform.jobs.processes import run_worker

    server, connection = fake_redis_app
    job = jobs.enqueue("test.record", "after the outage")
    db.session.commit()
    assert _job(job.id).status == JobStatus.ENQUEUED
    server.connected = False
    waits = []

    def wait(_stop, seconds):
        waits.append(seconds)
        if len(waits) == 3:
            server.connected = True  # Redis is back after the third wait
        return False

    with caplog.at_level("WARNING", logger="exchange.platform.jobs.processes"):
        reconnects = run_worker(app, connection, list(jobs.QUEUES), burst=True, wait=wait)
    assert reconnects == 3
    assert waits == [1, 2, 4]  # backoff
    assert "reconnecting in 1 s" in caplog.text
    assert CALLS == [("after the outage",)]
    assert _job(job.id).status == JobStatus.DONE


def test_cron_survives_a_redis_outage_and_hands_over_what_waited(app, fake_redis_app, caplog):
    from exchange.platform.jobs.schedule import build_rq_cron

    server, connection = fake_redis_app
    scheduler = build_rq_cron(connection)
    assert scheduler.tick() <= 60
    server.connected = False
    waiting = jobs.enqueue("test.record", "waited")
    db.session.commit()
    assert _job(waiting.id).status == JobStatus.PENDING
    with caplog.at_level("WARNING", logger="exchange.platform.jobs.processes"):
        assert [scheduler.tick() for _ in range(3)] == [1, 2, 4]  # no exception: it keeps trying
        assert "Redis unreachable" in caplog.text
        server.connected = True
        scheduler.tick()
        assert "Redis reachable again" in caplog.text
    # handed over at once, not at the next relay
    assert _job(waiting.id).status == JobStatus.ENQUEUED
    _work(connection)
    assert CALLS == [("waited",)]


def test_healthz_is_degraded_when_jobs_wait_too_long(app, client):
    from datetime import timedelta

    assert client.get("/healthz").get_json()["status"] == "ok"
    job = jobs.enqueue("test.record", delay=timedelta(days=1))
    db.session.commit()
    job.run_after = clock.now() - timedelta(seconds=app.config["JOBS_WAIT_DEGRADED_SECONDS"] + 60)
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["oldest_job_waiting_seconds"] >= app.config["JOBS_WAIT_DEGRADED_SECONDS"] + 60
    assert "has waited" in body["degraded"][0]


@pytest.mark.redis
@pytest.mark.skipif(not __import__("shutil").which("redis-server"), reason="redis-server is not installed")
def test_cron_and_worker_on_a_real_redis_that_restarts(app, monkeypatch, tmp_path):
    """A redis-server of its own (not the shared one) is stopped and started again (empty): the cron
    notices its marker key is gone and hands over again the job Redis lost; a worker runs it."""
    import subprocess
    import time

    from redis import Redis

    from exchange.platform.jobs.processes import run_worker
    from exchange.platform.jobs.schedule import build_rq_cron
    from tests.conftest import _free_port

    port = _free_port()

    def start():
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        for _ in range(50):
            try:
                Redis(port=port).ping()
                return process
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    server = start()
    try:
        rq_backend = RQBackend(app, f"redis://127.0.0.1:{port}/0")
        monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", rq_backend)
        scheduler = build_rq_cron(rq_backend.connection)
        scheduler.tick()
        job = jobs.enqueue("test.record", "lost by redis")
        db.session.commit()
        assert _job(job.id).status == JobStatus.ENQUEUED
        server.terminate()
        server.wait(10)
        assert scheduler.tick() == 1  # down: backoff, no exception
        server = start()  # back, empty
        scheduler.tick()
        assert run_worker(app, rq_backend.connection, list(jobs.QUEUES), burst=True) == 0
        assert CALLS == [("lost by redis",)]
        assert _job(job.id).status == JobStatus.DONE
    finally:
        server.terminate()
        server.wait(10)


# --- embedded mode: a CLI command runs its jobs before it exits ---------------------------------------


def slow_match(lead_ids):
    import time

    from exchange.offers.matchmaking import match_leads

    time.sleep(0.3)
    CALLS.append(("match", *lead_ids))
    return match_leads(lead_ids)


@pytest.fixture
def embedded(app, monkeypatch):
    from exchange.platform.jobs.backends import InProcessBackend

    monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", InProcessBackend(app))


def test_cli_command_runs_its_jobs_before_it_exits(app, embedded, monkeypatch):
    from tests import factories as f

    monkeypatch.setitem(registry.TASKS, "leads.match", f"{__name__}:slow_match")
    maker = f.manufacturer("Acme Pumps", slug="acme")
    draft = f.lead(maker)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["leads", "publish", "--manufacturer", "acme", "--all-drafts"])
    assert result.exit_code == 0, result.output
    # no drain, no relay: the matching job ran before the command returned
    assert list(CALLS) == [("match", draft.id)]
    match_job = db.session.scalar(sa.select(OutboxJob).where(OutboxJob.task == "leads.match"))
    assert match_job.status == JobStatus.DONE


def test_cli_command_says_where_its_delayed_jobs_wait(app, embedded):
    from datetime import timedelta

    import click

    from exchange.cli import _running_jobs_before_exit

    @click.command("later")
    def later():
        jobs.enqueue("test.record", "now")
        jobs.enqueue("test.record", "tomorrow", delay=timedelta(days=1))
        db.session.commit()

    later.callback = _running_jobs_before_exit(later.callback)
    result = app.test_cli_runner().invoke(later)
    assert result.exit_code == 0, result.output
    assert CALLS == [("now",)]
    assert "1 background job(s) wait in the outbox" in result.stderr
    assert "flask jobs relay" in result.stderr
