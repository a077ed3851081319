"""``flask partners import``: bring a partner list (CSV or .xlsx) into a manufacturer's programme."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from exchange.leads.cli import manufacturer_by_slug, run_and_report
from exchange.models import LeadImport
from exchange.partners import roster_import
from exchange.partners.roster_fields import PARTNER_HEADERS

partners_cli = AppGroup("partners", help="Import partner lists.")

NOT_IMPORTED = ("", "-", "none")


def apply_overrides(record: LeadImport, overrides: tuple[str, ...]) -> None:
    """``COLUMN=FIELD`` assigns a column (by its header) to a field, taking the field from any other
    column; ``COLUMN=`` (or ``=none``) leaves the column out. Unknown column or field: an error."""
    mapping = list(record.mapping)
    for item in overrides:
        column, sep, field = item.partition("=")
        column, field = column.strip(), field.strip()
        if not sep or not column:
            raise click.ClickException(f"--map {item!r}: write COLUMN=FIELD")
        index = _column_index(record.headers, column)
        if field.lower() in NOT_IMPORTED:
            mapping[index] = None
            continue
        if field not in PARTNER_HEADERS.by_name:
            known = ", ".join(PARTNER_HEADERS.by_name)
            raise click.ClickException(f"--map {item!r}: unknown field {field!r} (fields: {known})")
        mapping = [None if name == field else name for name in mapping]
        mapping[index] = field
    record.mapping = mapping


def _column_index(headers: list[str], column: str) -> int:
    for wanted in (column, column.casefold()):
        for index, header in enumerate(headers):
            if (header if wanted is column else header.casefold()) == wanted:
                return index
    raise click.ClickException(
        f"--map: no column {column!r} in the file (columns: {', '.join(h for h in headers if h)})"
    )


@partners_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manufacturer", "slug", required=True, help="The manufacturer's short name (slug).")
@click.option("--invite/--no-invite", default=True, show_default=True, help="E-mail each new partner admin.")
@click.option("--map", "overrides", multiple=True, metavar="COLUMN=FIELD", help="Map a column (repeatable).")
def import_command(path: Path, slug: str, invite: bool, overrides: tuple[str, ...]) -> None:
    """Import partners from a CSV or .xlsx file and print the result as one JSON object.

    Exit status 0 when the file was read (even with rejected rows); 1 with a message when it cannot
    be read or mapped at all (an unknown --map column or field included).
    """
    if not path.is_file():
        raise click.ClickException(f"{path}: no such file")
    maker = manufacturer_by_slug(slug)

    def prepare() -> LeadImport:
        record = roster_import.create_import(
            None, maker, path.resolve(), file_name=path.name, invite=invite, kind="cli"
        )
        apply_overrides(record, overrides)
        base_url = current_app.config["PUBLIC_URL"]
        roster_import.start_import(record, base_url=base_url, run_in_background=False)  # run here
        return record

    summary = run_and_report(path, prepare, roster_import.PARTNERS)
    click.echo(json.dumps(summary, ensure_ascii=False))
