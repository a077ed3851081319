"""``flask orgs ...``: start a manufacturer's programme on this installation, list the organisations."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from exchange.accounts.first_run import invitation_link, start_programme
from exchange.accounts.password_links import LinkPurpose
from exchange.models import Organisation, User
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db

orgs_cli = AppGroup("orgs", help="Organisations: start a manufacturer's programme, list them.")


@orgs_cli.command("create-manufacturer")
@click.argument("name")
@click.option("--admin", "admin_email", required=True, metavar="EMAIL", help="The first admin's e-mail.")
@click.option("--admin-name", default=None, help="The first admin's name (default: from the e-mail).")
@click.option("--timezone", default="UTC", show_default=True, help="IANA time zone, e.g. Europe/Berlin.")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code of the programme.")
@click.option("--slug", default=None, help="Short name (default: from the name).")
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="The portal's address for the invitation link (default: EXCHANGE_PUBLIC_URL).",
)
def create_manufacturer_command(
    name: str,
    admin_email: str,
    admin_name: str | None,
    timezone: str,
    currency: str,
    slug: str | None,
    base_url: str | None,
) -> None:
    """Create the manufacturer NAME with its default SLA policies and matching weights, and its
    first admin (without a password): prints a one-time invitation link and e-mails it too.

    Exit status 1 with the reason when the input is refused (nothing is created then)."""
    base_url = (base_url or current_app.config["PUBLIC_URL"]).rstrip("/") + "/"
    try:
        org, admin = start_programme(
            name,
            admin_email=admin_email,
            admin_name=admin_name,
            timezone=timezone,
            currency=currency,
            slug=slug,
            base_url=base_url,
        )
    except DomainError as error:
        raise click.ClickException(error.message) from None
    days = int(LinkPurpose.INVITE.max_age.total_seconds() // 86400) or 1
    click.echo(
        f"Created manufacturer {org.name} (short name {org.slug}, id {org.id}, {org.timezone}, "
        f"{org.program.currency}) with the default SLA policies and matching weights."
    )
    click.echo(f"First admin: {admin.name} <{admin.email}>; the invitation is e-mailed to this address.")
    click.echo(f"One-time invitation link (works once, expires in {days} days):")
    click.echo(f"  {invitation_link(admin, base_url)}")


@orgs_cli.command("list")
def list_command() -> None:
    """Print the organisations: id, kind, short name, name, users."""
    users = (
        sa.select(User.organisation_id, sa.func.count().label("n")).group_by(User.organisation_id).subquery()
    )
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.kind, Organisation.slug, Organisation.name, users.c.n)
        .outerjoin(users, users.c.organisation_id == Organisation.id)
        .order_by(Organisation.id)
    ).all()
    if not rows:
        click.echo("No organisations yet: `flask orgs create-manufacturer NAME --admin EMAIL` starts one.")
        return
    click.echo(f"{'id':>5}  {'kind':<12}  {'slug':<24}  {'users':>5}  name")
    for org_id, kind, slug, name, count in rows:
        click.echo(f"{org_id:>5}  {kind.value:<12}  {slug:<24}  {count or 0:>5}  {name}")
