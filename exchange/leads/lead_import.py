"""The file import of leads (the browser and ``flask leads import``), run as the ``leads.import`` job.

It streams the file, commits per batch and stores its progress on the ``LeadImport`` record, so a
progress bar can follow it and a retried job resumes where the last commit ended. Nothing is dropped
silently: rows = created + updated + duplicates + rejected, and every rejected row lands in a CSV with
why. Uploading and the preview: ``import_upload``; writing a batch: ``lead_writer``; the summary and
the rejected rows: ``import_report``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from exchange.leads.import_kind import LEADS, BatchWriter, ImportKind
from exchange.leads.import_report import RejectedRows, summary
from exchange.leads.import_upload import limits, upload_folder, validate_mapping
from exchange.leads.intake import files, records
from exchange.leads.lead_writer import RowResult
from exchange.models import ImportStatus, LeadImport, Organisation, User
from exchange.platform import clock, unit_of_work
from exchange.platform.errors import Conflict
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue

MAX_STORED_ERRORS = 200  # on the record; the rejected-rows file has all of them
MAX_ATTEMPTS = 3
STALE_AFTER = timedelta(minutes=5)  # a running import without a heartbeat this long was lost


def start_import(
    record: LeadImport, *, run_in_background: bool = True, catalogue: ImportKind = LEADS
) -> None:
    """Check the mapping and queue the import; the ``leads.import`` job runs it after the commit
    (``run_in_background=False``: the caller runs ``run_import`` itself, as the CLI does)."""
    if record.status != ImportStatus.UPLOADED:
        raise Conflict(_("This import has started already."))
    record.mapping = validate_mapping(record.headers, record.mapping, catalogue=catalogue)
    record.status = ImportStatus.QUEUED
    if run_in_background:
        enqueue(catalogue.import_task, record.id)


def run_import_job(import_id: int) -> dict[str, Any]:
    """The ``leads.import`` job."""
    return run_import(import_id)


def run_import(
    import_id: int,
    *,
    on_error: Callable[[int, str, str], None] | None = None,
    catalogue: ImportKind = LEADS,
) -> dict[str, Any]:
    """Import the file of a queued import, committing per batch. Safe to run twice: only one run
    holds an import at a time, and a run after a crash resumes after the last committed batch."""
    now = clock.now()
    claimed = db.session.execute(
        sa.update(LeadImport)
        .where(
            LeadImport.id == import_id,
            LeadImport.kind == catalogue.name,
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
        _process(record, on_error, catalogue)
    except records.UnreadableFile as error:
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


def _column_names(record: LeadImport, catalogue: ImportKind) -> dict[str, str]:
    names = {name: record.headers[i] for i, name in enumerate(record.mapping) if name}
    for spec in catalogue.fields:
        names.setdefault(spec.name, spec.name)
    return names


def _iter_data(record: LeadImport) -> Iterator[tuple[int, list[Any]]]:
    """(spreadsheet row number, record) of every data record after the header."""
    rows = files.iter_records(
        Path(record.stored_path), records.FileSettings.from_dict(record.settings), limits()
    )
    first = True
    for row, cells in rows:
        if first:
            first = False
            continue
        yield row, cells


def _process(
    record: LeadImport, on_error: Callable[[int, str, str], None] | None, catalogue: ImportKind
) -> None:
    settings = records.FileSettings.from_dict(record.settings)
    path = Path(record.stored_path)
    if not path.exists():
        raise records.UnreadableFile("The uploaded file is gone; upload it again.")
    if record.total_rows is None:
        record.total_rows = files.count_records(path, settings, limits())
        unit_of_work.checkpoint()  # the progress bar knows the total from now on
    manufacturer = db.session.get(Organisation, record.manufacturer_id)
    actor = db.session.get(User, record.created_by_id) if record.created_by_id else None
    mapping = list(record.mapping)
    width = len(record.headers)
    columns = [(i, name) for i, name in enumerate(mapping) if name]
    writer = catalogue.make_writer(record, manufacturer, actor, [name for _i, name in columns])
    column_names = _column_names(record, catalogue)
    batch_size = int(current_app.config.get("LEAD_IMPORT_BATCH_SIZE", 1000))
    rejected = RejectedRows(record)
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
    if catalogue.finish is not None:
        catalogue.finish(record, actor)
    unit_of_work.checkpoint()  # done is stored before the upload is deleted (a retry needs the file)
    if path.parent == upload_folder():
        path.unlink(missing_ok=True)  # an upload is done with; the rejected rows have their own file


def _write_batch(
    record: LeadImport,
    writer: BatchWriter,
    batch: list[tuple[int, dict[str, Any], list[Any]]],
    width: int,
    column_names: dict[str, str],
    rejected: RejectedRows,
    on_error: Callable[[int, str, str], None] | None,
) -> None:
    valid: list[tuple[int, dict[str, Any]]] = []
    too_wide: list[RowResult] = []
    for row, raw, cells in batch:
        extra = [c for c in cells[width:] if c not in (None, "")]
        if isinstance(cells, records.BadRecord):
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
