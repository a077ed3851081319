"""Bulk import of leads: from files (the browser and ``flask leads import``) and API batches.

``LeadWriter`` validates rows with ``LeadInputSchema``, recognises duplicates (source id, else
normalised e-mail + company; within the batch stream and against existing leads, with one query per
batch) and writes a batch with multi-row inserts. The file import runs as a job: it streams the file,
commits per batch and stores its progress on the ``LeadImport`` record, so a progress bar can follow
it and a retried job resumes where the last commit ended. Nothing is dropped silently:
rows = created + updated + duplicates + rejected, and every rejected row lands in a CSV with why.
"""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from exchange.leads.intake import files
from exchange.leads.intake.headers import (
    CRITERIA,
    FIELDS_BY_NAME,
    IMPORT_FIELDS,
    NUMERIC_FIELDS,
    detect_mapping,
)
from exchange.leads.intake.schema import LEAD_COLUMNS, LeadInputSchema
from exchange.leads.intake.values import detect_number_format
from exchange.leads.lifecycle import (
    HISTORY_ONLY,
    LeadReferences,
    dedupe_key,
    normalise_company,
    publish_leads,
)
from exchange.leads.qualification import qualify, rules_for
from exchange.models import (
    Event,
    ImportStatus,
    JobStatus,
    Lead,
    LeadImport,
    LeadStatus,
    Organisation,
    OutboxJob,
    User,
)
from exchange.models.base import StrEnum
from exchange.platform import clock, unit_of_work
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.event_types import LeadEvent
from exchange.platform.events import actor_kind
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.spreadsheet import safe_cell

MAX_STORED_ERRORS = 200  # on the record; the rejected-rows file has all of them
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=5)  # a running import without a heartbeat this long was lost
# Lead columns an import may change on an existing draft.
UPDATABLE = (*LEAD_COLUMNS, "campaign_id", "product_line_id", "imported_rating")


class ImportFileError(DomainError):
    """The file cannot be read (or cannot be imported as mapped)."""


@dataclass
class RowResult:
    row: int  # the spreadsheet row (the header is row 1), or the item's index in an API batch
    status: str  # created, updated, duplicate or rejected
    lead_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _flat_messages(messages: Any) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, value in (messages or {}).items():
        if isinstance(value, dict):
            value = [str(v) for v in value.values()]
        flat[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


class LeadWriter:
    """Validates, de-duplicates and writes leads for one manufacturer, a batch at a time.

    Duplicates: an existing lead with the row's source id, else with its normalised e-mail + company
    (or phone + company without an e-mail). A duplicate that is still a draft and differs is
    updated; otherwise it is counted and left alone. Within one writer the first row wins.
    """

    def __init__(
        self,
        manufacturer: Organisation,
        *,
        actor: User | None = None,
        kind: str | None = None,
        number_format: str = "en",
        fields: Sequence[str] | None = None,
        default_campaign_id: int | None = None,
        publish: bool = False,
        event_type: LeadEvent = LeadEvent.LEAD_IMPORTED,
        event_data: dict[str, Any] | None = None,
    ) -> None:
        only = None
        if fields is not None:
            only = sorted(set(fields) | {"company_name"})
        self.schema = LeadInputSchema(number_format=number_format, only=only)
        self.fields = frozenset(self.schema.fields)
        self.compared = self._compared_columns(fields, default_campaign_id is not None)
        self.manufacturer = manufacturer
        self.actor = actor
        self.kind = kind or ("system" if actor is None else None)
        self.default_campaign_id = default_campaign_id
        self.publish = publish
        self.event_type = event_type
        self.event_data = event_data or {}
        self.references = LeadReferences(manufacturer, actor)
        self.rules = rules_for(manufacturer.program)
        self.currency = manufacturer.program.currency if manufacturer.program else "EUR"
        # What earlier rows of this run claimed: source id / dedupe key / lead id -> lead id.
        self.seen_source_ids: dict[str, int | None] = {}
        self.seen_keys: dict[str, int | None] = {}
        self.seen_leads: set[int] = set()

    @staticmethod
    def _compared_columns(fields: Sequence[str] | None, default_campaign: bool) -> tuple[str, ...]:
        """The lead columns a row can change, plus what re-qualifying and the dedupe key need; a
        file with 8 columns does not fetch 30 per existing lead."""
        if fields is None:
            return UPDATABLE
        wanted = set(fields) | {
            "source_id",
            "contact_email",
            "company_name",
            "contact_phone",
            "imported_rating",
            *CRITERIA,
        }
        if "campaign" in wanted or default_campaign:
            wanted.add("campaign_id")
        if {"product_interest", "product_line"} & wanted:
            wanted.add("product_line_id")
        return tuple(c for c in UPDATABLE if c in wanted)

    def _actor_kind(self) -> str:
        if self.kind:
            return self.kind

        return actor_kind()

    def write(self, records: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]:
        """Validate and write one batch. Flushes; the caller commits."""
        results: list[RowResult] = []
        pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]] = []
        later: list[tuple[RowResult, str | None, str | None]] = []
        for row, raw in records:
            result = RowResult(row=row, status="rejected")
            results.append(result)
            # Empty cells are left out of validation (nothing to check) and come back as None.
            given = {k: v for k, v in raw.items() if (v is not None and v != "") or k not in self.fields}
            if "company_name" in raw:
                given["company_name"] = raw["company_name"]  # required: its absence is an error
            try:
                data = self.schema.load(given)
            except ma.ValidationError as error:
                result.errors = _flat_messages(error.messages)
                continue
            for name in raw.keys() - data.keys():
                data[name] = None
            if (
                self.default_campaign_id is not None
                and not data.get("campaign")
                and not data.get("campaign_id")
            ):
                data.pop("campaign", None)
                data["campaign_id"] = self.default_campaign_id
            try:
                self.references.resolve(data)
            except DomainError as error:
                result.errors = {error.field or "_schema": [error.message]}
                continue
            history = {key: data.pop(key) for key in HISTORY_ONLY if key in data}
            if "rating" in data:
                data["imported_rating"] = data.pop("rating")
            source_id = data.get("source_id")
            key = dedupe_key(data.get("contact_email"), data.get("company_name"), data.get("contact_phone"))
            if (source_id and source_id in self.seen_source_ids) or (key and key in self.seen_keys):
                result.status = "duplicate"
                later.append((result, source_id, key))  # the earlier row's lead may be written below
                continue
            if source_id:
                self.seen_source_ids[source_id] = None
            if key:
                self.seen_keys[key] = None
            data["dedupe_key"] = key
            pending.append((result, data, history))
        if pending:
            self._write_valid(pending)
        for result, source_id, key in later:
            result.lead_id = (self.seen_source_ids.get(source_id) if source_id else None) or (
                self.seen_keys.get(key) if key else None
            )
        return results

    def _existing(self, pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]]) -> tuple[dict, dict]:
        source_ids = {data["source_id"] for _r, data, _h in pending if data.get("source_id")}
        keys = {data["dedupe_key"] for _r, data, _h in pending if data.get("dedupe_key")}
        by_source: dict[str, dict[str, Any]] = {}
        by_key: dict[str, dict[str, Any]] = {}
        columns = [Lead.id, Lead.status, Lead.temperature, Lead.dedupe_key]
        columns += [getattr(Lead, c) for c in self.compared]
        mine = Lead.manufacturer_id == self.manufacturer.id
        # One statement, two index lookups (an OR of the two would scan all the manufacturer's leads).
        selects = []
        if source_ids:
            selects.append(sa.select(*columns).where(mine, Lead.source_id.in_(source_ids)))
        if keys:
            selects.append(sa.select(*columns).where(mine, Lead.dedupe_key.in_(keys)))
        if not selects:
            return by_source, by_key
        statement = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        rows = db.session.execute(statement)
        for row in rows:
            existing = dict(row._mapping)
            if existing["source_id"]:
                by_source.setdefault(existing["source_id"], existing)
            if existing["dedupe_key"]:
                # The oldest lead wins when several share a key.
                known = by_key.get(existing["dedupe_key"])
                if known is None or existing["id"] < known["id"]:
                    by_key[existing["dedupe_key"]] = existing
        return by_source, by_key

    def _write_valid(self, pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]]) -> None:
        by_source, by_key = self._existing(pending)
        now = clock.now()
        creates: list[tuple[RowResult, dict[str, Any], dict[str, Any]]] = []
        updates: list[tuple[RowResult, dict[str, Any], list[str], dict[str, Any]]] = []
        for result, data, history in pending:
            existing = by_source.get(data.get("source_id") or "") or by_key.get(data.get("dedupe_key") or "")
            if existing is None:
                creates.append((result, data, history))
                continue
            result.lead_id = existing["id"]
            self._remember(data, existing["id"])
            if existing["id"] in self.seen_leads or existing["status"] != LeadStatus.DRAFT:
                result.status = "duplicate"
                continue
            self.seen_leads.add(existing["id"])
            change = self._changes(existing, data, now)
            if change is None:
                result.status = "duplicate"
            else:
                result.status = "updated"
                updates.append((result, change, sorted(k for k in change if k in data), existing))
        kind = self._actor_kind()
        actor_id = self.actor.id if self.actor else None
        events: list[dict[str, Any]] = []
        if creates:
            rows = [self._new_row(data, now) for _r, data, _h in creates]
            ids = _insert_leads(rows)
            for (result, data, history), lead_id, row in zip(creates, ids, rows, strict=True):
                result.status = "created"
                result.lead_id = lead_id
                self._remember(data, lead_id)
                self.seen_leads.add(lead_id)
                payload = {**self.event_data, "row": result.row, "temperature": row["temperature"].value}
                payload.update({k: v for k, v in history.items() if v})
                events.append(self._event(self.event_type, lead_id, payload, kind, actor_id, now))
        if updates:
            db.session.execute(
                sa.update(Lead), [{"id": r.lead_id, **change} for r, change, _f, _e in updates]
            )
            for result, change, changed_fields, existing in updates:
                payload = {**self.event_data, "row": result.row, "fields": changed_fields}
                if "temperature" in change and change["temperature"] != existing["temperature"]:
                    payload["temperature"] = {
                        "from": existing["temperature"].value,
                        "to": change["temperature"].value,
                    }
                events.append(
                    self._event(LeadEvent.LEAD_UPDATED, result.lead_id, payload, kind, actor_id, now)
                )
        if events:
            _insert_rows(Event.__table__, events)
        if self.publish and creates:
            created_ids = [r.lead_id for r, _d, _h in creates]
            leads = db.session.scalars(sa.select(Lead).where(Lead.id.in_(created_ids))).all()
            publish_leads(self.actor, leads, kind=self.kind)

    def _remember(self, data: dict[str, Any], lead_id: int) -> None:
        if data.get("source_id"):
            self.seen_source_ids[data["source_id"]] = lead_id
        if data.get("dedupe_key"):
            self.seen_keys[data["dedupe_key"]] = lead_id

    def _event(
        self, type_: LeadEvent, lead_id: int | None, data: dict, kind: str, actor_id: int | None, now
    ) -> dict:
        return {
            "type": type_.value,
            "occurred_at": now,
            "manufacturer_id": self.manufacturer.id,
            "partner_id": None,
            "lead_id": lead_id,
            "offer_id": None,
            "claim_id": None,
            "actor_user_id": actor_id,
            "actor_kind": kind,
            "data": data,
        }

    def _new_row(self, data: dict[str, Any], now) -> dict[str, Any]:
        row: dict[str, Any] = {name: data.get(name) for name in UPDATABLE}
        row["currency"] = row["currency"] or self.currency
        temperature, reason = qualify(data, data.get("imported_rating"), self.rules)
        row.update(
            manufacturer_id=self.manufacturer.id,
            created_by_id=self.actor.id if self.actor else None,
            dedupe_key=data.get("dedupe_key"),
            temperature=temperature,
            temperature_reason=reason[:300],
            temperature_changed_at=now,
            status=LeadStatus.DRAFT,
            created_at=now,
            updated_at=now,
        )
        return row

    def _changes(self, existing: dict[str, Any], data: dict[str, Any], now) -> dict[str, Any] | None:
        """The columns to set on an existing draft, or None when the row says nothing new."""
        change = {}
        for name in self.compared:
            if name not in data:
                continue
            value = data[name]
            if name == "currency" and value is None:
                continue
            if name == "contact_email" and value and (existing[name] or "").lower() == value.lower():
                continue  # the same address in other letters: not worth an update
            if name == "company_name" and normalise_company(existing[name] or "") == normalise_company(value):
                continue
            if existing[name] != value:
                change[name] = value
        if not change:
            return None
        merged = {**existing, **change}
        key = dedupe_key(merged.get("contact_email"), merged.get("company_name"), merged.get("contact_phone"))
        if key != existing["dedupe_key"]:
            change["dedupe_key"] = key
        temperature, reason = qualify(merged, merged.get("imported_rating"), self.rules)
        change["temperature_reason"] = reason[:300]
        if temperature != existing["temperature"]:
            change["temperature"] = temperature
            change["temperature_changed_at"] = now
        change["updated_at"] = now
        return change


def _insert_leads(rows: list[dict[str, Any]]) -> list[int]:
    """Insert lead rows; returns their ids in order. PostgreSQL: ids are drawn from the sequence
    first and the rows go in with COPY. SQLite: one executemany (Core, not the ORM)."""
    table = Lead.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, :n)"),
                {"n": len(rows)},
            ).scalars()
        )
        for row, lead_id in zip(rows, ids, strict=True):
            row["id"] = lead_id
        _insert_rows(table, rows)
        return ids
    # Columns empty in every row of the batch are left to the database (NULL): less to bind.
    empty = [key for key in rows[0] if all(row[key] is None for row in rows)]
    if empty:
        rows = [{k: v for k, v in row.items() if k not in empty} for row in rows]
    # One executemany under the transaction's write lock: SQLite gives a rowid table's new rows
    # consecutive ids ending at last_insert_rowid() (INSERT ... RETURNING in parameter order would
    # cost a statement per row). Checked, so a surprise fails the batch instead of mislabelling it.
    db.session.execute(sa.insert(table), rows)
    last = db.session.execute(sa.text("SELECT last_insert_rowid()")).scalar_one()
    first = last - len(rows) + 1
    batch_ids = sa.select(sa.func.count()).where(
        Lead.id.between(first, last),
        Lead.manufacturer_id == rows[0]["manufacturer_id"],
        Lead.created_at == rows[0]["created_at"],
    )
    if db.session.execute(batch_ids).scalar_one() != len(rows):
        raise RuntimeError("the ids of an inserted batch are not consecutive")
    return list(range(first, last + 1))


def _insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, in the session's transaction. PostgreSQL: COPY (the
    server and psycopg do a fraction of the work of INSERTs); elsewhere an executemany INSERT."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.insert(table), rows)
        return
    columns = list(rows[0])
    # COPY runs no Python-side column defaults: add them for the columns the rows leave out.
    defaults = {}
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None and not column.primary_key:
            default = column.default
            defaults[column.name] = default.arg if default.is_scalar else default.arg(None)
    columns += list(defaults)
    # Values as the column types would bind them (enums to strings, JSON to text).
    converters = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, sa.JSON):
            converters.append(lambda value: None if value is None else json.dumps(value, default=str))
        elif isinstance(column_type, StrEnum):
            converters.append(lambda value: None if value is None else getattr(value, "value", value))
        else:
            converters.append(None)
    quoted = ", ".join(f'"{name}"' for name in columns)
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            values = zip([*row.values(), *defaults.values()], converters, strict=True)
            copy.write_row([value if convert is None else convert(value) for value, convert in values])


# --- file imports ----------------------------------------------------------------------------------


def upload_folder() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "uploads"
    path = folder / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_upload_path(file_name: str) -> Path:
    """Where an upload is stored: a random name (never the user's) keeping a safe extension."""
    suffix = Path(file_name).suffix.lower()
    suffix = suffix if suffix in (".csv", ".txt", ".tsv", ".xlsx") else ".dat"
    return upload_folder() / f"{uuid.uuid4().hex}{suffix}"


def limits() -> files.Limits:
    """What one import file may cost (``LEAD_IMPORT_MAX_*`` settings)."""
    return files.Limits.from_config(current_app.config)


def _numeric_sample(path: Path, settings: files.FileSettings, mapping: list[str | None]) -> list[str]:
    columns = [i for i, name in enumerate(mapping) if name in NUMERIC_FIELDS]
    sample: list[str] = []
    if not columns:
        return sample
    for n, (_row, record) in enumerate(files.iter_records(path, settings, limits())):
        if n == 0 or isinstance(record, files.BadRecord):
            continue
        if n > 500:
            break
        sample.extend(str(record[i]) for i in columns if i < len(record) and isinstance(record[i], str))
    return sample


def create_import(
    actor: User | None,
    manufacturer: Organisation,
    path: Path,
    *,
    file_name: str,
    campaign_id: int | None = None,
    publish: bool = False,
    kind: str = "user",
) -> LeadImport:
    """Read the file's header, detect how to read it and map its columns (the CLI, which runs the
    import itself); raises :class:`ImportFileError` when it cannot be read as a table at all."""
    record = LeadImport(
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id if actor else None,
        campaign_id=campaign_id,
        actor_kind=kind,
        file_name=file_name.replace("\x00", "")[:255],
        stored_path=str(path),
        file_size=path.stat().st_size,
        publish=publish,
    )
    _read_upload(record)
    db.session.add(record)
    db.session.flush()
    return record


def _read_upload(record: LeadImport) -> None:
    """Detect how the record's file reads (format, encoding, delimiter, numbers) and map its columns;
    :class:`ImportFileError` when it cannot be read as a table at all."""
    path = Path(record.stored_path)
    try:
        settings = files.detect_settings(path, record.file_name, limits())
        headers, sample = files.read_header_and_sample(path, settings, PREVIEW_ROWS, limits())
        mapping = detect_mapping(headers)
        number_format = detect_number_format(_numeric_sample(path, settings, mapping), settings.delimiter)
    except files.UnreadableFile as error:
        raise ImportFileError(str(error), field="file") from None
    record.file_format = settings.format
    record.settings = {
        **settings.as_dict(),
        "number_format": number_format,
        "preview": _preview_sample(sample, len(headers)),
    }
    record.headers = headers
    record.mapping = mapping
    record.status = ImportStatus.UPLOADED


def receive_upload(
    actor: User,
    manufacturer: Organisation,
    path: Path,
    *,
    file_name: str,
    campaign_id: int | None = None,
    publish: bool = False,
) -> LeadImport:
    """Keep a browser upload and queue the ``leads.read_upload`` job that reads it: the request looks
    at the first bytes only (empty, old .xls), so a large or hostile file never holds it."""
    try:
        file_format = files.detect_format(path, file_name)
    except files.UnreadableFile as error:
        raise ImportFileError(str(error), field="file") from None
    record = LeadImport(
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id,
        campaign_id=campaign_id,
        actor_kind="user",
        file_name=file_name.replace("\x00", "")[:255],
        stored_path=str(path),
        file_size=path.stat().st_size,
        file_format=file_format,
        settings={"format": file_format},
        headers=[],
        mapping=[],
        publish=publish,
        status=ImportStatus.READING,
    )
    db.session.add(record)
    db.session.flush()
    enqueue("leads.read_upload", record.id)
    return record


def read_upload_job(import_id: int) -> dict[str, Any]:
    """The ``leads.read_upload`` job: detect how an upload reads and map it, for the preview; a file
    that cannot be read fails the import with the reason (and is deleted)."""
    record = db.session.get(LeadImport, import_id)
    if record is None or record.status != ImportStatus.READING:
        return {"skipped": True}
    try:
        _read_upload(record)
    except (ImportFileError, OSError) as error:
        record.status = ImportStatus.FAILED
        record.message = getattr(error, "message", None) or "The uploaded file is gone; upload it again."
        record.finished_at = clock.now()
        Path(record.stored_path).unlink(missing_ok=True)
    return {"import_id": record.id, "status": record.status.value}


LIVE_JOB_STATUSES = frozenset({JobStatus.PENDING, JobStatus.ENQUEUED, JobStatus.RUNNING})
READING_LOST_MESSAGE = (
    "The file was not read: the job reading it was lost or gave up. Upload the file again; if this "
    "happens again, check that the worker is running."
)


def fail_lost_readings(records: Sequence[LeadImport], now: datetime | None = None) -> list[LeadImport]:
    """Fail the uploads among ``records`` that will never leave "reading": their ``leads.read_upload``
    job failed for good, or they have been reading longer than ``LEAD_IMPORT_READING_TIMEOUT_SECONDS``
    without the job running (it was lost, or no worker takes it). Flushed, not committed; returns the
    records failed. A job that turns up later finds the import no longer reading and skips it."""
    reading = {record.id: record for record in records if record.status == ImportStatus.READING}
    if not reading:
        return []
    now = now or clock.now()
    timeout = timedelta(seconds=current_app.config["LEAD_IMPORT_READING_TIMEOUT_SECONDS"])
    jobs: dict[int, set[JobStatus]] = {}
    for args, status in db.session.execute(
        sa.select(OutboxJob.args, OutboxJob.status)
        .where(OutboxJob.task == "leads.read_upload")
        # Live or given up; finished jobs (and their history) say nothing about a record still reading.
        .where(OutboxJob.status.in_([*LIVE_JOB_STATUSES, JobStatus.FAILED]))
    ):
        if args and args[0] in reading:
            jobs.setdefault(args[0], set()).add(status)
    failed = []
    for import_id, record in reading.items():
        statuses = jobs.get(import_id, set())
        created = record.created_at
        if created is not None and created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        overdue = created is None or now - created > timeout
        given_up = JobStatus.FAILED in statuses and not statuses & LIVE_JOB_STATUSES
        if given_up or (overdue and JobStatus.RUNNING not in statuses):
            record.status = ImportStatus.FAILED
            record.message = READING_LOST_MESSAGE
            record.finished_at = now
            Path(record.stored_path).unlink(missing_ok=True)
            failed.append(record)
    db.session.flush()
    return failed


PREVIEW_CELL_CHARS = 60
PREVIEW_ROWS = 5


def _preview_sample(sample: list[list[Any]], width: int) -> list[list[str]]:
    """The preview's rows as stored on the record (the preview page does not open the file again):
    cells cut to what the table shows, as text JSON takes on every database."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        cut = str(value)[: PREVIEW_CELL_CHARS + 1].replace("\x00", "")
        return cut.encode("utf-8", "replace").decode("utf-8")  # no lone surrogate

    return [[text(value) for value in row[:width]] for row in sample[:PREVIEW_ROWS]]


def preview_columns(record: LeadImport) -> tuple[list[int], int]:
    """The columns the preview shows (the first ``LEAD_IMPORT_PREVIEW_COLUMNS``, and any mapped one
    beyond them) and how many it leaves out: a page for a file with 1,000 columns stays small."""
    shown = int(current_app.config.get("LEAD_IMPORT_PREVIEW_COLUMNS", 50))
    columns = [i for i, name in enumerate(record.mapping) if i < shown or name]
    return columns, len(record.headers) - len(columns)


def preview_rows(record: LeadImport) -> list[list[str]]:
    """The first rows, cut to the preview's columns (cells cut to what the table shows)."""
    sample = record.settings.get("preview")
    if sample is None:  # read before the preview was stored with the record
        settings = files.FileSettings.from_dict(record.settings)
        try:
            _headers, sample = files.read_header_and_sample(
                Path(record.stored_path), settings, PREVIEW_ROWS, limits()
            )
        except files.UnreadableFile as error:
            raise ImportFileError(str(error), field="file") from None
    columns, _hidden = preview_columns(record)

    def cell(r: list[Any], i: int) -> str:
        value = r[i] if i < len(r) else None
        return "" if value is None else str(value)[: PREVIEW_CELL_CHARS + 1]

    return [[cell(r, i) for i in columns] for r in sample]


def configure_import(
    record: LeadImport,
    *,
    mapping: list[str | None] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    number_format: str | None = None,
    campaign_id: int | None = None,
    publish: bool | None = None,
) -> None:
    """Change how an uploaded (not yet started) import reads and maps its file."""
    if record.status != ImportStatus.UPLOADED:
        raise Conflict(_("This import has started; its settings cannot change."))
    settings = dict(record.settings)
    reread = False
    if encoding and encoding != settings.get("encoding") and record.file_format == "csv":
        if encoding not in files.ENCODINGS:
            raise DomainError(_("Unknown encoding."), field="encoding")
        settings["encoding"], reread = encoding, True
    if delimiter and delimiter != settings.get("delimiter") and record.file_format == "csv":
        if delimiter not in files.DELIMITERS:
            raise DomainError(_("Unknown delimiter."), field="delimiter")
        settings["delimiter"], reread = delimiter, True
    if number_format:
        if number_format not in ("de", "en"):
            raise DomainError(_("Unknown number format."), field="number_format")
        settings["number_format"] = number_format
    record.settings = settings
    if reread:
        try:
            headers, sample = files.read_header_and_sample(
                Path(record.stored_path), files.FileSettings.from_dict(settings), PREVIEW_ROWS, limits()
            )
        except files.UnreadableFile as error:
            raise ImportFileError(str(error), field="delimiter") from None
        record.settings = {**settings, "preview": _preview_sample(sample, len(headers))}
        record.headers = headers
        record.mapping = detect_mapping(headers)
    elif mapping is not None:
        record.mapping = validate_mapping(record.headers, mapping, complete=False)
    if campaign_id is not None:
        record.campaign_id = campaign_id or None
    if publish is not None:
        record.publish = publish


def validate_mapping(
    headers: list[str], mapping: list[str | None], *, complete: bool = True
) -> list[str | None]:
    """One field per column at most, known fields only; ``complete``: enough to make leads."""
    if len(mapping) != len(headers):
        raise DomainError(_("The mapping must name a field (or none) for each column."), field="mapping")
    cleaned: list[str | None] = []
    used: dict[str, str] = {}
    for header, name in zip(headers, mapping, strict=True):
        name = name or None
        if name is not None and name not in FIELDS_BY_NAME:
            raise DomainError(_("Unknown field: %(name)s", name=name), field="mapping")
        if name is not None and name in used:
            raise DomainError(
                _(
                    "Columns %(first)s and %(second)s both map to %(field)s; choose one.",
                    first=used[name] or "?",
                    second=header or "?",
                    field=str(FIELDS_BY_NAME[name].label),
                ),
                field="mapping",
            )
        if name is not None:
            used[name] = header
        cleaned.append(name)
    if complete:
        if "company_name" not in used:
            raise DomainError(_("Map a column to Company: every lead needs one."), field="mapping")
        if "contact_email" not in used and "contact_phone" not in used:
            raise DomainError(
                _("Map a column to E-mail or Phone: partners must reach the lead."), field="mapping"
            )
    return cleaned


def start_import(record: LeadImport, *, run_in_background: bool = True) -> None:
    """Check the mapping and queue the import; the ``leads.import`` job runs it after the commit
    (``run_in_background=False``: the caller runs ``run_import`` itself, as the CLI does)."""
    if record.status != ImportStatus.UPLOADED:
        raise Conflict(_("This import has started already."))
    record.mapping = validate_mapping(record.headers, record.mapping)
    record.status = ImportStatus.QUEUED
    if run_in_background:
        enqueue("leads.import", record.id)


def run_import_job(import_id: int) -> dict[str, Any]:
    """The ``leads.import`` job."""
    return run_import(import_id)


def run_import(import_id: int, *, on_error: Callable[[int, str, str], None] | None = None) -> dict[str, Any]:
    """Import the file of a queued import, committing per batch. Safe to run twice: only one run
    holds an import at a time, and a run after a crash resumes after the last committed batch."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(LeadImport)
        .where(
            LeadImport.id == import_id,
            sa.or_(
                LeadImport.status == ImportStatus.QUEUED,
                sa.and_(
                    LeadImport.status == ImportStatus.RUNNING, LeadImport.heartbeat_at < now - STALE_AFTER
                ),
            ),
        )
        .values(
            status=ImportStatus.RUNNING,
            attempts=LeadImport.attempts + 1,
            heartbeat_at=now,
            started_at=sa.func.coalesce(LeadImport.started_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    unit_of_work.checkpoint()  # the claim shows at once: another run of this import skips it
    if claimed != 1:
        return {"skipped": True}
    record = db.session.get(LeadImport, import_id)
    assert record is not None
    try:
        _process(record, on_error)
    except files.UnreadableFile as error:
        unit_of_work.discard()  # the batch that was being written; the committed ones stay
        _finish_failed(import_id, str(error))
        return {"failed": str(error)}
    except Exception:
        unit_of_work.discard()
        record = db.session.get(LeadImport, import_id)
        assert record is not None
        if record.attempts >= MAX_ATTEMPTS:
            record.status = ImportStatus.FAILED
            record.message = "The import failed repeatedly; the rows before the failure are imported."
            record.finished_at = clock.now()
        else:
            record.status = ImportStatus.QUEUED  # the job's retry resumes it
        unit_of_work.checkpoint()  # stored before the job fails (the runner rolls back what is left)
        raise
    return summary(record)


def _finish_failed(import_id: int, message: str) -> None:
    record = db.session.get(LeadImport, import_id)
    assert record is not None
    record.status = ImportStatus.FAILED
    record.message = message
    record.finished_at = clock.now()
    unit_of_work.checkpoint()  # stored even when the caller goes on to fail (the CLI reports it)


def summary(record: LeadImport) -> dict[str, Any]:
    return {
        "import_id": record.id,
        "status": record.status.value,
        "rows": record.rows_done,
        "created": record.created_count,
        "updated": record.updated_count,
        "duplicates": record.duplicate_count,
        "rejected": record.rejected_count,
    }


def _column_names(record: LeadImport) -> dict[str, str]:
    names = {name: record.headers[i] for i, name in enumerate(record.mapping) if name}
    for spec in IMPORT_FIELDS:
        names.setdefault(spec.name, spec.name)
    return names


def _iter_data(record: LeadImport) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, record) of every data record after the header."""
    rows = files.iter_records(
        Path(record.stored_path), files.FileSettings.from_dict(record.settings), limits()
    )
    first = True
    for row, cells in rows:
        if first:
            first = False
            continue
        yield row, cells


def _process(record: LeadImport, on_error: Callable[[int, str, str], None] | None) -> None:
    settings = files.FileSettings.from_dict(record.settings)
    path = Path(record.stored_path)
    if not path.exists():
        raise files.UnreadableFile("The uploaded file is gone; upload it again.")
    if record.total_rows is None:
        record.total_rows = files.count_records(path, settings, limits())
        unit_of_work.checkpoint()  # the progress bar knows the total from now on
    manufacturer = db.session.get(Organisation, record.manufacturer_id)
    actor = db.session.get(User, record.created_by_id) if record.created_by_id else None
    mapping = list(record.mapping)
    width = len(record.headers)
    columns = [(i, name) for i, name in enumerate(mapping) if name]
    writer = LeadWriter(
        manufacturer,
        actor=actor,
        kind=record.actor_kind,
        number_format=record.settings.get("number_format", "en"),
        fields=[name for _i, name in columns],
        default_campaign_id=record.campaign_id,
        publish=record.publish,
        event_data={"import_id": record.id},
    )
    column_names = _column_names(record)
    batch_size = int(current_app.config.get("LEAD_IMPORT_BATCH_SIZE", 1000))
    rejected = _RejectedRows(record)
    try:
        batch: list[tuple[int, dict[str, Any], list[Any]]] = []
        for n, (row, cells) in enumerate(_iter_data(record)):
            if n < record.rows_done:
                continue  # committed by an earlier run
            batch.append((row, {name: cells[i] for i, name in columns if i < len(cells)}, cells))
            if len(batch) >= batch_size:
                _write_batch(record, writer, batch, width, column_names, rejected, on_error)
                batch = []
        if batch:
            _write_batch(record, writer, batch, width, column_names, rejected, on_error)
    finally:
        rejected.close()
    record.status = ImportStatus.DONE
    record.finished_at = clock.now()
    record.total_rows = record.rows_done
    unit_of_work.checkpoint()  # done is stored before the upload is deleted (a retry needs the file)
    if path.parent == upload_folder():
        path.unlink(missing_ok=True)  # an upload is done with; the rejected rows have their own file


def _write_batch(
    record: LeadImport,
    writer: LeadWriter,
    batch: list[tuple[int, dict[str, Any], list[Any]]],
    width: int,
    column_names: dict[str, str],
    rejected: _RejectedRows,
    on_error: Callable[[int, str, str], None] | None,
) -> None:
    valid: list[tuple[int, dict[str, Any]]] = []
    too_wide: list[RowResult] = []
    for row, raw, cells in batch:
        extra = [c for c in cells[width:] if c not in (None, "")]
        if isinstance(cells, files.BadRecord):
            too_wide.append(RowResult(row=row, status="rejected", errors={"_row": [cells.problem]}))
        elif extra:
            message = f"The row has {len(cells)} cells but the header names {width} columns"
            too_wide.append(RowResult(row=row, status="rejected", errors={"_row": [message]}))
        else:
            valid.append((row, raw))
    results = writer.write(valid) + too_wide
    cells_by_row = {row: cells for row, _raw, cells in batch}
    for result in sorted(results, key=lambda r: r.row):
        if result.status == "created":
            record.created_count += 1
        elif result.status == "updated":
            record.updated_count += 1
        elif result.status == "duplicate":
            record.duplicate_count += 1
        else:
            record.rejected_count += 1
            messages = []
            for name, texts in result.errors.items():
                column = "" if name in ("_row", "_schema") else column_names.get(name, name)
                for text in texts:
                    record.error_count += 1
                    if len(record.errors) < MAX_STORED_ERRORS:
                        record.errors = [*record.errors, [result.row, column, text]]
                    if on_error is not None:
                        on_error(result.row, column, text)
                    messages.append(f"{column}: {text}" if column else text)
            rejected.add(result.row, "; ".join(messages), cells_by_row[result.row])
    record.rows_done += len(batch)
    record.rejected_bytes = rejected.flush()
    record.heartbeat_at = clock.now()
    # Per batch: the progress shows, and a run after a crash resumes after the last stored batch.
    unit_of_work.checkpoint()


class _RejectedRows:
    """The rejected-rows CSV: row, reason, then the row's own cells (formula-escaped). Opened at the
    length the last committed batch left, so a resumed run writes no row twice."""

    def __init__(self, record: LeadImport) -> None:
        self.record = record
        self.handle = None
        self.writer: Any = None

    def _open(self) -> None:
        if self.record.rejected_path is None:
            self.record.rejected_path = str(upload_folder() / f"import-{self.record.id}-rejected.csv")
        path = Path(self.record.rejected_path)
        exists = path.exists() and self.record.rejected_bytes > 0
        self.handle = path.open("r+" if exists else "w", encoding="utf-8", newline="")
        if exists:
            self.handle.truncate(self.record.rejected_bytes)
            self.handle.seek(self.record.rejected_bytes)
        self.writer = csv.writer(self.handle)
        if not exists:
            self.handle.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
            self.writer.writerow(["row", "reason", *(safe_cell(h) for h in self.record.headers)])

    def add(self, row: int, reason: str, cells: list[Any]) -> None:
        if self.handle is None:
            self._open()
        self.writer.writerow([row, safe_cell(reason), *(safe_cell(c) for c in cells)])

    def flush(self) -> int:
        if self.handle is None:
            return self.record.rejected_bytes
        self.handle.flush()
        return self.handle.tell()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
