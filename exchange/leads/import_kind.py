"""What a file import brings in, as data the pipeline is generalised over: :class:`ImportKind`.

The pipeline (``import_upload`` reads and maps a file, ``lead_import`` runs it in batches with its
progress, rejected rows and errors) is the same for every kind of list; a kind names its field
catalogue (headers it recognises, which fields a mapping needs), its jobs, and the writer that turns a
batch of rows into records. ``LEADS`` is the lead import; the partner list import
(``exchange.partners.roster_import``) is another kind on the same ``lead_imports`` table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import gettext as _

from exchange.leads.intake.headers import LEAD_HEADERS, HeaderCatalogue
from exchange.leads.lead_writer import LeadWriter, RowResult
from exchange.models import LeadImport, Organisation, User
from exchange.platform.errors import DomainError


class BatchWriter(Protocol):
    def write(self, records: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]: ...


@dataclass(frozen=True)
class ImportKind:
    name: str  # LeadImport.kind
    catalogue: HeaderCatalogue
    read_task: str  # the job reading an upload (registry name)
    import_task: str  # the job running the import
    # Raises DomainError when a mapping ({field: header}) cannot make a record.
    check_complete: Callable[[dict[str, str]], None]
    # The writer of one run: (import, manufacturer, actor, mapped field names) -> BatchWriter.
    make_writer: Callable[[LeadImport, Organisation, User | None, list[str]], BatchWriter]
    # Called once when an import is done (the audit event of a partner list, say).
    finish: Callable[[LeadImport, User | None], None] | None = None

    @property
    def fields(self):
        return self.catalogue.fields

    @property
    def numeric_fields(self) -> tuple[str, ...]:
        return self.catalogue.numeric


def _lead_mapping_complete(used: dict[str, str]) -> None:
    if "company_name" not in used:
        raise DomainError(_("Map a column to Company: every lead needs one."), field="mapping")
    if "contact_email" not in used and "contact_phone" not in used:
        raise DomainError(
            _("Map a column to E-mail or Phone: partners must reach the lead."), field="mapping"
        )


def _lead_writer(record: LeadImport, manufacturer: Organisation, actor: User | None, fields: list[str]):
    return LeadWriter(
        manufacturer,
        actor=actor,
        kind=record.actor_kind,
        number_format=record.settings.get("number_format", "en"),
        fields=fields,
        default_campaign_id=record.campaign_id,
        publish=record.publish,
        event_data={"import_id": record.id},
    )


LEADS = ImportKind(
    name="leads",
    catalogue=LEAD_HEADERS,
    read_task="leads.read_upload",
    import_task="leads.import",
    check_complete=_lead_mapping_complete,
    make_writer=_lead_writer,
)
