"""``flask analytics``: the analytics read model from the command line."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from exchange.analytics import facts

analytics_cli = AppGroup("analytics", help="The channel manager's figures.")


@analytics_cli.command("rebuild")
@click.option("--manufacturer-id", type=int, default=None, help="Only this programme (default: all).")
def rebuild_command(manufacturer_id: int | None) -> None:
    """Recompute the analytics rows of every published lead from its events (after an upgrade)."""
    started = time.perf_counter()
    written = facts.rebuild(manufacturer_id, steps=True)  # committed chunk by chunk
    click.echo(f"{written} leads in {time.perf_counter() - started:.1f} s")
