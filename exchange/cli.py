"""Flask CLI commands: users and tokens, the worker, the cron, the outbox, serving; the feature
packages' own (``flask leads``, ``flask orgs``, ``flask seed-demo``) are registered here too."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from werkzeug import serving

from exchange.accounts.cli import orgs_cli
from exchange.accounts.first_run import installation_is_empty, setup_hint
from exchange.accounts.sessions import find_user_by_email
from exchange.accounts.tokens import issue_token
from exchange.accounts.users import create_user
from exchange.analytics.cli import analytics_cli
from exchange.demo.cli import seed_demo_command
from exchange.demo.data import DEMO_LOGINS, DEMO_PASSWORD
from exchange.leads.cli import leads_cli
from exchange.models import ApiToken, JobStatus, Organisation, OutboxJob, Role, TokenScope
from exchange.partners.cli import partners_cli
from exchange.platform import clock, jobs, unit_of_work
from exchange.platform.config import Defaults
from exchange.platform.errors import DomainError
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import organisation_scope, record
from exchange.platform.extensions import db
from exchange.platform.jobs import (
    PERIODIC_JOBS,
    QUEUES,
    backend,
    drain,
    relay_outbox,
    tracking_created,
)
from exchange.platform.jobs.backends import RQBackend
from exchange.platform.jobs.processes import run_worker
from exchange.platform.jobs.schedule import build_rq_cron
from exchange.platform.security import clear_failed_logins, is_locked
from exchange.sla.sweep import run_sweep


def init_app(app: Flask) -> None:
    for command in (seed_demo_command, worker_command, cron_command, serve_command):
        app.cli.add_command(command)
    for group in (jobs_cli, users_cli, tokens_cli, sla_cli):
        app.cli.add_command(group)

    app.cli.add_command(analytics_cli)
    app.cli.add_command(leads_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(partners_cli)
    for command in _walk(app.cli):
        if command.name not in _LONG_RUNNING and command.callback is not None:
            command.callback = _running_jobs_before_exit(command.callback)


# --- jobs a command leaves behind ------------------------------------------------------------------

_LONG_RUNNING = {"worker", "cron", "serve"}
CLI_JOBS_WAIT_SECONDS = 1800


def _walk(group: click.Group):
    for command in group.commands.values():
        if isinstance(command, click.Group):
            yield from _walk(command)
        else:
            yield command


def _running_jobs_before_exit(callback):
    """Wrap a command: it is one unit of work (committed when it returns, rolled back when it fails,
    ``ClickException`` included), and the jobs it commits run before it exits in the embedded default
    (there is no worker to take them once this process is gone); what is still waiting afterwards is
    reported, with where it waits, on stderr."""

    @functools.wraps(callback)
    def command(*args, **kwargs):
        ctx = click.get_current_context()
        if not current_app:
            ctx.with_resource(ctx.ensure_object(ScriptInfo).load_app().app_context())

        with tracking_created() as created:
            try:
                with unit_of_work.transaction():
                    return callback(*args, **kwargs)
            finally:
                if created:
                    _finish_jobs(created)

    return command


def _finish_jobs(created: list[int]) -> None:
    embedded = current_app.extensions["exchange.platform.jobs"].embedded
    if embedded:
        jobs.drain(timeout=CLI_JOBS_WAIT_SECONDS)
    waiting: dict[JobStatus, tuple[int, object]] = {}
    for start in range(0, len(created), 1000):
        for status, count, first_due in db.session.execute(
            sa.select(OutboxJob.status, sa.func.count(), sa.func.min(OutboxJob.run_after))
            .where(OutboxJob.id.in_(created[start : start + 1000]), OutboxJob.status != JobStatus.DONE)
            .group_by(OutboxJob.status)
        ):
            before = waiting.get(status, (0, first_due))
            waiting[status] = (before[0] + count, min(before[1], first_due))
    pending = waiting.get(JobStatus.PENDING)
    if pending and embedded:
        click.echo(
            f"{pending[0]} background job(s) wait in the outbox (due from {pending[1]:%Y-%m-%d %H:%M} UTC): "
            "they run while the portal is served (`flask serve`) or `flask cron` runs, or now with "
            "`flask jobs relay`.",
            err=True,
        )
    elif pending:
        click.echo(
            f"{pending[0]} background job(s) wait in the outbox (the queue was unreachable or they are "
            "due later): `flask cron` hands them to the workers.",
            err=True,
        )
    unfinished = sum(waiting.get(status, (0,))[0] for status in (JobStatus.ENQUEUED, JobStatus.RUNNING))
    if unfinished and embedded:
        click.echo(f"{unfinished} background job(s) still running after {CLI_JOBS_WAIT_SECONDS} s.", err=True)
    failed = waiting.get(JobStatus.FAILED)
    if failed:
        click.echo(f"{failed[0]} background job(s) failed: `flask jobs list --status failed`.", err=True)


def _echo_json(payload: object) -> None:
    click.echo(json.dumps(payload, default=str, sort_keys=False))


# --- users and tokens ------------------------------------------------------------------------------

users_cli = AppGroup("users", help="Manage users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--organisation", "slug", required=True, help="Organisation short name (slug).")
@click.option(
    "--role",
    type=click.Choice(["manufacturer_admin", "channel_manager", "partner_admin", "partner_rep"]),
    required=True,
)
@click.option("--name", required=True)
@click.password_option()
def create_user_command(email: str, slug: str, role: str, name: str, password: str) -> None:
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise click.ClickException(f"no organisation with short name {slug!r}")
    try:
        user = create_user(org, email=email, name=name, role=Role(role), password=password)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.email} ({user.role.value}) in {org.name}")


@users_cli.command("unlock")
@click.argument("email")
def unlock_user_command(email: str) -> None:
    """Lift the lock that failed sign-ins put on EMAIL (partner admins can also do it on the team page)."""
    if not is_locked(email):
        click.echo(f"{email} is not locked")
        return
    clear_failed_logins(email)
    current_app.logger.warning("sign-in lock lifted for %s from the command line", email)
    click.echo(f"{email} can sign in again")


tokens_cli = AppGroup("tokens", help="API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for (shown in the token list).")
@click.option("--scope", type=click.Choice(["read", "read_write"]), default="read", show_default=True)
@click.option("--expires-days", type=click.IntRange(min=1), default=None, help="Expire after N days.")
def create_token_command(email: str, name: str, scope: str, expires_days: int | None) -> None:
    """Create an API token for EMAIL and print it once (only a hash is stored)."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email!r}")
    expires_at = clock.now() + timedelta(days=expires_days) if expires_days else None
    issued = issue_token(user, name, TokenScope(scope), expires_at)
    unit_of_work.checkpoint()  # stored before it is printed: a token shown once must work
    click.echo(issued.plaintext)


@tokens_cli.command("revoke")
@click.argument("prefix")
def revoke_token_command(prefix: str) -> None:
    """Revoke the token whose public prefix is PREFIX (the part after ``lx_``)."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.prefix == prefix.removeprefix("lx_")))
    if token is None:
        raise click.ClickException(f"no token with prefix {prefix!r}")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        record(
            AuditEvent.TOKEN_REVOKED,
            **organisation_scope(token.user.organisation),
            data={"token_id": token.id, "name": token.name, "prefix": token.prefix},
            kind="cli",
        )
    click.echo(f"token {token.prefix} ({token.name}) is revoked")


# --- jobs ------------------------------------------------------------------------------------------


@click.command("worker")
@click.option("--queues", default=None, help="Comma-separated queue names (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@with_appcontext
def worker_command(queues: str | None, burst: bool) -> None:
    """Run an RQ worker (needs REDIS_URL). Without Redis, jobs run inside the web process."""
    jobs_backend = backend()
    if not isinstance(jobs_backend, RQBackend):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process in the embedded default.")
    names = [q.strip() for q in (queues or ",".join(QUEUES)).split(",") if q.strip()]
    # SimpleWorker runs jobs in this process, which holds the app context and its connection pool
    # (a forked work horse would inherit the pool's sockets). Redis outages: it reconnects.
    run_worker(current_app._get_current_object(), jobs_backend.connection, names, burst=burst)


@click.command("cron")
@with_appcontext
def cron_command() -> None:
    """Run the periodic jobs: RQ's cron scheduler with REDIS_URL, the in-process timer without."""
    jobs_backend = backend()
    for job in PERIODIC_JOBS:
        click.echo(f"  {job.name:<28} {f'every {job.interval}s' if job.interval else job.cron}")
    if isinstance(jobs_backend, RQBackend):
        build_rq_cron(jobs_backend.connection).start()
    else:
        jobs.start_embedded_scheduler(current_app._get_current_object())
        while True:  # the timer runs in a daemon thread; keep the process alive
            time.sleep(3600)


jobs_cli = AppGroup("jobs", help="Inspect and hand over background jobs.")


@jobs_cli.command("list")
@click.option(
    "--status", type=click.Choice(["pending", "enqueued", "running", "done", "failed"]), default=None
)
@click.option("--limit", default=50, show_default=True)
def list_jobs_command(status: str | None, limit: int) -> None:
    """Print recent jobs as JSON lines (newest first)."""
    query = sa.select(OutboxJob).order_by(OutboxJob.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxJob.status == JobStatus(status))
    for job in db.session.scalars(query):
        _echo_json(
            {
                "id": job.id,
                "task": job.task,
                "args": job.args,
                "status": job.status.value,
                "attempts": job.attempts,
                "created_at": job.created_at,
                "finished_at": job.finished_at,
                "error": (job.last_error or "").strip().splitlines()[-1:] or None,
            }
        )


@jobs_cli.command("relay")
def relay_command() -> None:
    """Hand over jobs waiting in the outbox (and wait for in-process ones to finish)."""
    summary = relay_outbox()
    drain(timeout=600)
    _echo_json(summary)


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id: int) -> None:
    """Give a failed job another round of attempts."""
    job = db.session.get(OutboxJob, job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id}")
    if job.status != JobStatus.FAILED:
        raise click.ClickException(f"job {job_id} is {job.status.value}, not failed")
    job.status = JobStatus.PENDING
    job.max_attempts = job.attempts + current_app.config["JOBS_MAX_ATTEMPTS"]
    job.run_after = clock.now()
    click.echo(f"job {job_id} is pending again")


# --- SLA ---------------------------------------------------------------------------------------------

sla_cli = AppGroup("sla", help="SLA clocks.")


@sla_cli.command("sweep")
def sla_sweep_command() -> None:
    """Run one SLA sweep now and print its summary as JSON."""
    summary = run_sweep()
    _echo_json(summary)


# --- serving ---------------------------------------------------------------------------------------


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the portal for local use (threaded dev server, in-process jobs and timer)."""
    app = current_app._get_current_object()
    if app.config.get("PUBLIC_URL") == Defaults.PUBLIC_URL and "EXCHANGE_PUBLIC_URL" not in os.environ:
        # Links in e-mails (invitations, resets, notifications) point at this server, not at port 5000.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 (a comparison)
        app.config["PUBLIC_URL"] = f"http://{shown}:{port}"
    jobs.start_embedded_scheduler(app)
    click.echo(f"\n  Lead Exchange on http://{host}:{port}/")
    _how_to_begin(app.config["PUBLIC_URL"])
    click.echo("")
    sys.stdout.flush()

    serving.run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def _how_to_begin(base_url: str) -> None:
    """The demo logins when the demo is loaded; on an empty installation, where to set it up."""
    try:
        empty = installation_is_empty()
        demo = not empty and find_user_by_email(DEMO_LOGINS[0].email) is not None
    except sa.exc.SQLAlchemyError as error:
        click.echo(f"  The database cannot be read ({type(error).__name__}): run `flask db upgrade`.")
        return
    finally:
        db.session.remove()  # requests run in their own sessions; keep no transaction open here
    if empty:
        click.echo(f"  {setup_hint(base_url)}")
    elif demo:
        click.echo(f"  Demo logins (password: {DEMO_PASSWORD}):")
        for login in DEMO_LOGINS:
            click.echo(f"    {login.email:<28} {login.role.value}")
