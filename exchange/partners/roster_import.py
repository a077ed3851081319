"""Importing a partner list (CSV or .xlsx) into a manufacturer's programme: the ``partners`` kind
of the file import pipeline (``exchange.leads.import_upload`` / ``exchange.leads.lead_import``, on the
same ``lead_imports`` table), so reading, preview, mapping, batches, progress, resuming and the
rejected-rows file are the lead import's.

Each row becomes a :class:`~exchange.partners.partner_details.PartnerDetails` given to
:func:`exchange.partners.directory.add_partner`: created, updated or a duplicate (the same external
id again, in the file or from an earlier import), or rejected with the column at fault. The import
ends with a ``partner.imported`` audit event carrying its counts. Jobs: ``partners.read_upload`` and
``partners.import``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import marshmallow as ma
from flask import current_app
from flask_babel import gettext as _

from exchange.leads import import_upload, lead_import
from exchange.leads.import_kind import ImportKind
from exchange.leads.lead_writer import RowResult
from exchange.models import LeadImport, Organisation, User
from exchange.partners.directory import AddOutcome, add_partner
from exchange.partners.roster_fields import PARTNER_HEADERS, PartnerRowSchema, details_from_row
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record as record_event
from exchange.platform.extensions import db

OUTCOME_STATUS = {
    AddOutcome.CREATED: "created",
    AddOutcome.UPDATED: "updated",
    AddOutcome.DUPLICATE: "duplicate",
}


def _mapping_complete(used: dict[str, str]) -> None:
    if "company" not in used:
        raise DomainError(_("Map a column to Company: every partner needs one."), field="mapping")
    if "admin_email" not in used:
        raise DomainError(
            _("Map a column to Admin e-mail: every partner's admin is invited by e-mail."), field="mapping"
        )


class PartnerWriter:
    """Adds the rows of a batch one by one through ``add_partner``; a refused row is rolled back to
    its savepoint and reported on the field's column. Within one run an external id seen before
    makes the row a duplicate."""

    def __init__(self, record: LeadImport, manufacturer: Organisation, actor: User | None) -> None:
        self.record = record
        self.manufacturer = manufacturer
        self.actor = actor
        self.invite = bool(record.options.get("invite", True))
        self.base_url = record.options.get("base_url") or current_app.config["PUBLIC_URL"]
        self.schema = PartnerRowSchema(number_format=record.settings.get("number_format", "en"))
        self.seen_external_ids: set[str] = set()
        self.invited = 0

    def write(self, records: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]:
        # A write before the first savepoint opens the batch's transaction (SQLite would otherwise
        # commit a row when its savepoint is released).
        self.record.heartbeat_at = clock.now()
        db.session.flush()
        return [self._row(row, raw) for row, raw in records]

    def _row(self, row: int, raw: dict[str, Any]) -> RowResult:
        try:
            details = details_from_row(self.schema, raw)
        except ma.ValidationError as error:
            messages = error.messages if isinstance(error.messages, dict) else {"_row": error.messages}
            return RowResult(row=row, status="rejected", errors=_flat(messages))
        external_id = (details.external_id or "").strip()
        if external_id and external_id in self.seen_external_ids:
            return RowResult(row=row, status="duplicate")
        try:
            with db.session.begin_nested():  # a refused row leaves nothing behind
                result = add_partner(
                    self.actor, self.manufacturer, details, invite=self.invite, base_url=self.base_url
                )
        except DomainError as error:
            field = error.field if error.field in PARTNER_HEADERS.by_name else "_row"
            return RowResult(row=row, status="rejected", errors={field: [error.message]})
        if external_id:
            self.seen_external_ids.add(external_id)
        self.invited += int(result.invited)
        return RowResult(row=row, status=OUTCOME_STATUS[result.outcome], lead_id=result.enrollment.id)


def _flat(messages: dict[str, Any]) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        flat[name] = [str(item) for item in items]
    return flat


def _writer(record: LeadImport, manufacturer: Organisation, actor: User | None, fields: list[str]):
    return PartnerWriter(record, manufacturer, actor)


def _finished(record: LeadImport, actor: User | None) -> None:
    record_event(
        AuditEvent.PARTNERS_IMPORTED,
        actor=actor,
        manufacturer_id=record.manufacturer_id,
        kind=record.actor_kind,
        data={
            "import_id": record.id,
            "file_name": record.file_name,
            "rows": record.rows_done,
            "created": record.created_count,
            "updated": record.updated_count,
            "duplicates": record.duplicate_count,
            "rejected": record.rejected_count,
            "invite": bool(record.options.get("invite", True)),
        },
    )


PARTNERS = ImportKind(
    name="partners",
    catalogue=PARTNER_HEADERS,
    read_task="partners.read_upload",
    import_task="partners.import",
    check_complete=_mapping_complete,
    make_writer=_writer,
    finish=_finished,
)


def receive_upload(
    actor: User, manufacturer: Organisation, path: Path, *, file_name: str, invite: bool = True
) -> LeadImport:
    """Keep a browser upload of a partner list; the ``partners.read_upload`` job reads it."""
    return import_upload.receive_upload(
        actor, manufacturer, path, file_name=file_name, catalogue=PARTNERS, options={"invite": invite}
    )


def create_import(
    actor: User | None, manufacturer: Organisation, path: Path, *, file_name: str, invite: bool, kind: str
) -> LeadImport:
    """Read a partner list's header and map it now (the CLI, which runs the import itself)."""
    return import_upload.create_import(
        actor,
        manufacturer,
        path,
        file_name=file_name,
        kind=kind,
        catalogue=PARTNERS,
        options={"invite": invite},
    )


def configure_import(record: LeadImport, *, mapping: list[str | None], invite: bool, **settings: Any) -> None:
    import_upload.configure_import(record, mapping=mapping, catalogue=PARTNERS, **settings)
    record.options = {**record.options, "invite": invite}


def start_import(record: LeadImport, *, base_url: str, run_in_background: bool = True) -> None:
    """Check the mapping and queue the ``partners.import`` job (``base_url``: invitation links)."""
    record.options = {**record.options, "base_url": base_url}
    lead_import.start_import(record, run_in_background=run_in_background, catalogue=PARTNERS)


def read_upload_job(import_id: int) -> dict[str, Any]:
    """The ``partners.read_upload`` job."""
    return import_upload.read_upload_job(import_id, catalogue=PARTNERS)


def run_import_job(import_id: int) -> dict[str, Any]:
    """The ``partners.import`` job."""
    return lead_import.run_import(import_id, catalogue=PARTNERS)
