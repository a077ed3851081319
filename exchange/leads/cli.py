"""``flask leads ...``: import a file, publish drafts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from exchange.leads.import_kind import LEADS, ImportKind
from exchange.leads.import_upload import create_import
from exchange.leads.lead_import import run_import, start_import
from exchange.leads.lifecycle import publish_leads
from exchange.leads.lookups import LeadReferences
from exchange.models import Lead, LeadImport, LeadStatus, Organisation, OrgKind
from exchange.platform import unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from exchange.platform.tenancy import scoped

leads_cli = AppGroup("leads", help="Import and publish leads.")


def manufacturer_by_slug(slug: str):
    org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if org is None or org.kind != OrgKind.MANUFACTURER:
        raise click.ClickException(f"no manufacturer with short name {slug!r}")
    return org


@leads_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manufacturer", "slug", required=True, help="The manufacturer's short name (slug).")
@click.option("--campaign", default=None, help="Campaign name for rows without one (created if missing).")
@click.option("--publish", is_flag=True, help="Publish the created leads.")
def import_command(path: Path, slug: str, campaign: str | None, publish: bool) -> None:
    """Import leads from a CSV or .xlsx file and print the result as one JSON object.

    Exit status 0 when the file was read (even with rejected rows); 1 with a message when it cannot
    be read or mapped at all.
    """

    if not path.is_file():
        raise click.ClickException(f"{path}: no such file")
    maker = manufacturer_by_slug(slug)
    campaign_id = LeadReferences(maker).campaign_named(campaign) if campaign else None

    def prepare() -> LeadImport:
        record = create_import(
            None,
            maker,
            path.resolve(),
            file_name=path.name,
            campaign_id=campaign_id,
            publish=publish,
            kind="cli",
        )
        start_import(record, run_in_background=False)  # this command runs it
        return record

    click.echo(json.dumps(run_and_report(path, prepare), ensure_ascii=False))


def run_and_report(
    path: Path, prepare: Callable[[], LeadImport], catalogue: ImportKind = LEADS
) -> dict[str, object]:
    """Run the import ``prepare`` creates and started (a ``DomainError`` is the command's error) and
    return the JSON summary: the counts, and every error as {row, column, message}."""
    try:
        record = prepare()
    except DomainError as error:
        raise click.ClickException(f"{path}: {error.message}") from None
    errors: list[dict[str, object]] = []

    def collect(row: int, column: str, message: str) -> None:
        errors.append({"row": row, "column": column, "message": message})

    result = run_import(record.id, on_error=collect, catalogue=catalogue)
    db.session.refresh(record)
    if record.status.value == "failed":
        raise click.ClickException(f"{path}: {record.message}")
    return {
        "rows": result["rows"],
        "created": result["created"],
        "updated": result["updated"],
        "duplicates": result["duplicates"],
        "rejected": result["rejected"],
        "errors": errors,
        "import_id": record.id,
        "rejected_file": record.rejected_path,
    }


@leads_cli.command("publish")
@click.option("--manufacturer", "slug", required=True, help="The manufacturer's short name (slug).")
@click.option("--all-drafts", is_flag=True, help="Publish every draft lead of the manufacturer.")
@click.option("--lead", "lead_ids", type=int, multiple=True, help="A lead id to publish (repeatable).")
def publish_command(slug: str, all_drafts: bool, lead_ids: tuple[int, ...]) -> None:
    """Publish draft leads (each batch of 1,000 commits and queues one matching job); prints JSON."""

    if not all_drafts and not lead_ids:
        raise click.ClickException("name leads with --lead ID or use --all-drafts")
    maker = manufacturer_by_slug(slug)
    query = scoped(Lead, maker).order_by(Lead.id)
    if lead_ids:
        found = set(
            db.session.scalars(
                sa.select(Lead.id).where(Lead.manufacturer_id == maker.id, Lead.id.in_(lead_ids))
            )
        )
        missing = sorted(set(lead_ids) - found)
        if missing:
            raise click.ClickException(f"no lead {', '.join(map(str, missing))} at {slug}")
        query = query.where(Lead.id.in_(lead_ids))
    published = skipped = 0
    last_id = 0
    while True:
        batch = db.session.scalars(query.where(Lead.id > last_id).limit(1000)).all()
        if not batch:
            break
        last_id = batch[-1].id
        done = publish_leads(None, [lead for lead in batch if lead.status == LeadStatus.DRAFT], kind="cli")
        published += len(done)
        skipped += len(batch) - len(done) if lead_ids else 0
        unit_of_work.checkpoint()  # each batch stored with its matching job, which runs meanwhile
    click.echo(json.dumps({"published": published, "skipped_not_draft": skipped}))
