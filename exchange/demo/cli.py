"""``flask seed-demo``: create the demo data set and print the demo logins."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from exchange.demo.builder import seed_demo
from exchange.demo.data import DEMO_LOGINS, DEMO_PASSWORD
from exchange.platform import jobs, unit_of_work


@click.command("seed-demo")
@click.option("--partners", default=200, show_default=True)
@click.option("--leads", default=2000, show_default=True)
@with_appcontext
def seed_demo_command(partners: int, leads: int) -> None:
    """Create the demo data set (idempotent) and print the demo logins."""
    created = seed_demo(partners=partners, leads=leads)
    unit_of_work.checkpoint()  # the demo's jobs (matching, notifications) run now and need its rows
    jobs.drain(timeout=600)
    published, worked = created.pop("published", 0), created.pop("worked", 0)
    history = created.pop("history", 0)
    click.echo("Demo data: " + ", ".join(f"{n} {what} created" for what, n in created.items()))
    click.echo(f"  {history} leads worked to an end in the past year (partners' track record)")
    click.echo(
        f"  {published} leads published through the matching engine, {worked} claimed by the demo partner"
    )
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.email:<28} {login.role.value}")
