"""A file import before it runs: keeping the upload, reading it in the ``leads.read_upload`` job
(format, encoding, delimiter, number format, the columns' mapping), the preview, the settings a user
changes, and failing uploads whose reading was lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from exchange.leads.import_kind import LEADS, ImportKind
from exchange.leads.intake import detection, files, records
from exchange.leads.intake.values import detect_number_format
from exchange.models import ImportStatus, JobStatus, LeadImport, Organisation, OutboxJob, User
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue


class ImportFileError(DomainError):
    """The file cannot be read (or cannot be imported as mapped)."""


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


def limits() -> records.Limits:
    """What one import file may cost (``LEAD_IMPORT_MAX_*`` settings)."""
    return records.Limits.from_config(current_app.config)


def _numeric_sample(
    path: Path, settings: records.FileSettings, mapping: list[str | None], numeric: tuple[str, ...]
) -> list[str]:
    columns = [i for i, name in enumerate(mapping) if name in numeric]
    sample: list[str] = []
    if not columns:
        return sample
    for n, (_row, record) in enumerate(files.iter_records(path, settings, limits())):
        if n == 0 or isinstance(record, records.BadRecord):
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
    catalogue: ImportKind = LEADS,
    options: dict[str, Any] | None = None,
) -> LeadImport:
    """Read the file's header, detect how to read it and map its columns (the CLI, which runs the
    import itself); raises :class:`ImportFileError` when it cannot be read as a table at all."""
    record = LeadImport(
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id if actor else None,
        campaign_id=campaign_id,
        actor_kind=kind,
        kind=catalogue.name,
        options=options or {},
        file_name=file_name.replace("\x00", "")[:255],
        stored_path=str(path),
        file_size=path.stat().st_size,
        publish=publish,
    )
    _read_upload(record, catalogue)
    db.session.add(record)
    db.session.flush()
    return record


def _read_upload(record: LeadImport, catalogue: ImportKind) -> None:
    """Detect how the record's file reads (format, encoding, delimiter, numbers) and map its columns;
    :class:`ImportFileError` when it cannot be read as a table at all."""
    path = Path(record.stored_path)
    try:
        settings = detection.detect_settings(path, record.file_name, limits())
        headers, sample = files.read_header_and_sample(path, settings, PREVIEW_ROWS, limits())
        mapping = catalogue.catalogue.detect_mapping(headers)
        sample_numbers = _numeric_sample(path, settings, mapping, catalogue.numeric_fields)
        number_format = detect_number_format(sample_numbers, settings.delimiter)
    except records.UnreadableFile as error:
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
    catalogue: ImportKind = LEADS,
    options: dict[str, Any] | None = None,
) -> LeadImport:
    """Keep a browser upload and queue the ``leads.read_upload`` job that reads it: the request looks
    at the first bytes only (empty, old .xls), so a large or hostile file never holds it."""
    try:
        file_format = detection.detect_format(path, file_name)
    except records.UnreadableFile as error:
        raise ImportFileError(str(error), field="file") from None
    record = LeadImport(
        manufacturer_id=manufacturer.id,
        created_by_id=actor.id,
        campaign_id=campaign_id,
        actor_kind="user",
        kind=catalogue.name,
        options=options or {},
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
    enqueue(catalogue.read_task, record.id)
    return record


def read_upload_job(import_id: int, catalogue: ImportKind = LEADS) -> dict[str, Any]:
    """The ``leads.read_upload`` job: detect how an upload reads and map it, for the preview; a file
    that cannot be read fails the import with the reason (and is deleted)."""
    record = db.session.get(LeadImport, import_id)
    if record is None or record.status != ImportStatus.READING or record.kind != catalogue.name:
        return {"skipped": True}
    try:
        _read_upload(record, catalogue)
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


def fail_lost_readings(
    records: Sequence[LeadImport], now: datetime | None = None, catalogue: ImportKind = LEADS
) -> list[LeadImport]:
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
        .where(OutboxJob.task == catalogue.read_task)
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
        settings = records.FileSettings.from_dict(record.settings)
        try:
            _headers, sample = files.read_header_and_sample(
                Path(record.stored_path), settings, PREVIEW_ROWS, limits()
            )
        except records.UnreadableFile as error:
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
    catalogue: ImportKind = LEADS,
) -> None:
    """Change how an uploaded (not yet started) import reads and maps its file."""
    if record.status != ImportStatus.UPLOADED:
        raise Conflict(_("This import has started; its settings cannot change."))
    settings = dict(record.settings)
    reread = False
    if encoding and encoding != settings.get("encoding") and record.file_format == "csv":
        if encoding not in detection.ENCODINGS:
            raise DomainError(_("Unknown encoding."), field="encoding")
        settings["encoding"], reread = encoding, True
    if delimiter and delimiter != settings.get("delimiter") and record.file_format == "csv":
        if delimiter not in detection.DELIMITERS:
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
                Path(record.stored_path), records.FileSettings.from_dict(settings), PREVIEW_ROWS, limits()
            )
        except records.UnreadableFile as error:
            raise ImportFileError(str(error), field="delimiter") from None
        record.settings = {**settings, "preview": _preview_sample(sample, len(headers))}
        record.headers = headers
        record.mapping = catalogue.catalogue.detect_mapping(headers)
    elif mapping is not None:
        record.mapping = validate_mapping(record.headers, mapping, complete=False, catalogue=catalogue)
    if campaign_id is not None:
        record.campaign_id = campaign_id or None
    if publish is not None:
        record.publish = publish


def validate_mapping(
    headers: list[str],
    mapping: list[str | None],
    *,
    complete: bool = True,
    catalogue: ImportKind = LEADS,
) -> list[str | None]:
    """One field per column at most, known fields only; ``complete``: enough to make records."""
    fields = catalogue.catalogue.by_name
    if len(mapping) != len(headers):
        raise DomainError(_("The mapping must name a field (or none) for each column."), field="mapping")
    cleaned: list[str | None] = []
    used: dict[str, str] = {}
    for header, name in zip(headers, mapping, strict=True):
        name = name or None
        if name is not None and name not in fields:
            raise DomainError(_("Unknown field: %(name)s", name=name), field="mapping")
        if name is not None and name in used:
            raise DomainError(
                _(
                    "Columns %(first)s and %(second)s both map to %(field)s; choose one.",
                    first=used[name] or "?",
                    second=header or "?",
                    field=str(fields[name].label),
                ),
                field="mapping",
            )
        if name is not None:
            used[name] = header
        cleaned.append(name)
    if complete:
        catalogue.check_complete(used)
    return cleaned
