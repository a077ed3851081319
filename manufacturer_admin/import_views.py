"""Bulk import in the browser: upload -> preview with the detected mapping (editable per column) ->
background job with a live progress bar -> result with counts and the rejected rows as a CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename
from wtforms import SelectChoice

from exchange.accounts.permissions import Permission, require
from exchange.leads import import_upload
from exchange.leads.import_kind import LEADS, ImportKind
from exchange.leads.intake.headers import IMPORT_FIELDS
from exchange.leads.lead_import import start_import
from exchange.models import Campaign, ImportStatus, LeadImport
from exchange.platform import events, unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from manufacturer_admin import bp
from manufacturer_admin.lead_forms import ImportSettingsForm, ImportUploadForm, import_formats_help


def _campaign_choices() -> list[SelectChoice]:
    campaigns = db.session.scalars(scoped(Campaign, current_org()).order_by(Campaign.name))
    return [SelectChoice("", _("None"))] + [SelectChoice(str(c.id), c.name) for c in campaigns]


def _campaign_id(value: str | None) -> int | None:
    if not value:
        return None
    campaign = db.session.scalar(scoped(Campaign, current_org()).where(Campaign.id == int(value)))
    return campaign.id if campaign else None


def submitted_upload(form: FlaskForm, prepare: Callable[[FlaskForm], None] | None = None) -> bool | None:
    """Validate an upload form; None when the body is over ``LEAD_IMPORT_MAX_BYTES`` (flashed)."""
    # Werkzeug streams large uploads to a temporary file; the limit applies to this form only.
    request.max_content_length = current_app.config["LEAD_IMPORT_MAX_BYTES"]
    try:
        if prepare is not None:
            prepare(form)
        return form.validate_on_submit()
    except RequestEntityTooLarge:
        limit = current_app.config["LEAD_IMPORT_MAX_BYTES"] // (1024 * 1024)
        flash(_("The file is larger than %(n)d MB; split it into several files.", n=limit), "error")
        return None


def keep_upload(form: FlaskForm, receive: Callable[[Path, str], LeadImport]) -> LeadImport | None:
    """Store the form's file and hand it to ``receive(path, file name)``; a refusal deletes it and
    becomes the file field's error (None)."""
    upload = form.file.data
    file_name = secure_filename(upload.filename or "") or "upload.csv"
    path = import_upload.new_upload_path(upload.filename or file_name)
    upload.save(path)
    try:
        return receive(path, upload.filename or file_name)
    except DomainError as error:
        unit_of_work.discard()
        path.unlink(missing_ok=True)
        form.file.errors = [*form.file.errors, error.message]
        return None


def import_history(kind: ImportKind) -> list[LeadImport]:
    """The programme's last imports of ``kind``, uploads that will never be read failed first."""
    history = db.session.scalars(
        scoped(LeadImport, current_org())
        .where(LeadImport.kind == kind.name)
        .order_by(LeadImport.created_at.desc(), LeadImport.id.desc())
        .limit(50)
    ).all()
    import_upload.fail_lost_readings(history, catalogue=kind)
    return history


def import_or_404(import_id: int, kind: ImportKind) -> LeadImport:
    """The programme's import of ``kind`` (another kind's id is as unknown as another programme's),
    failed first if its upload will never be read (import_upload.fail_lost_readings)."""
    record = get_scoped_or_404(LeadImport, import_id, current_org())
    if record.kind != kind.name:
        abort(404)
    import_upload.fail_lost_readings([record], catalogue=kind)
    return record


def mapping_from_form(record: LeadImport) -> list[str | None]:
    """The ``map_<column>`` choices; a column the preview did not show keeps its mapping."""
    return [
        (request.form.get(f"map_{i}") or None) if f"map_{i}" in request.form else record.mapping[i]
        for i in range(len(record.headers))
    ]


def preview_context(record: LeadImport, mapping_error: str | None) -> dict[str, Any]:
    try:
        sample = import_upload.preview_rows(record)
    except DomainError as error:
        sample, mapping_error = [], error.message
    columns, hidden_columns = import_upload.preview_columns(record)
    return {
        "record": record,
        "sample": sample,
        "columns": columns,
        "hidden_columns": hidden_columns,
        "mapping_error": mapping_error,
    }


@bp.route("/imports", methods=["GET", "POST"])
@require(Permission.MANAGE_LEADS)
def imports():
    form = ImportUploadForm()
    submitted = submitted_upload(form, lambda form: setattr(form.campaign_id, "choices", _campaign_choices()))
    if submitted is None:
        return redirect(url_for("manage.imports"))
    if submitted:
        record = keep_upload(
            form,
            lambda path, name: import_upload.receive_upload(
                current_user,
                current_org(),
                path,
                file_name=name,
                campaign_id=_campaign_id(form.campaign_id.data),
                publish=form.publish.data,
            ),
        )
        if record is not None:
            return redirect(url_for("manage.lead_import", import_id=record.id))
    return render_template(
        "manage/imports.html", form=form, history=import_history(LEADS), formats_help=import_formats_help()
    )


@bp.route("/imports/<int:import_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_LEADS)
def lead_import(import_id: int):
    record = import_or_404(import_id, LEADS)
    if record.status != ImportStatus.UPLOADED:
        return render_template("manage/import_progress.html", record=record)
    form = ImportSettingsForm(
        data={
            **read_settings(record),
            "campaign_id": str(record.campaign_id or ""),
            "publish": record.publish,
        }
    )
    form.campaign_id.choices = _campaign_choices()

    def configure(mapping: list[str | None], read: dict[str, Any]) -> None:
        import_upload.configure_import(
            record,
            mapping=mapping,
            campaign_id=_campaign_id(form.campaign_id.data) or 0,
            publish=form.publish.data,
            **read,
        )

    return settings_page(
        record,
        form,
        configure,
        lambda: start_import(record),
        template="manage/import_preview.html",
        fields=IMPORT_FIELDS,
        endpoint="manage.lead_import",
    )


def read_settings(record: LeadImport) -> dict[str, Any]:
    """How the file reads, as the settings form starts."""
    return {name: record.settings.get(name) for name in ("encoding", "delimiter", "number_format")}


def settings_page(
    record: LeadImport,
    form: FlaskForm,
    configure: Callable[[list[str | None], dict[str, Any]], None],
    start: Callable[[], None],
    *,
    template: str,
    fields: tuple,
    endpoint: str,
):
    """The preview with the mapping: a valid post ``configure``s the import with the mapping and the
    read settings, and ``start``s it on "Start import"; a refusal shows above the mapping."""
    mapping_error = None
    if form.validate_on_submit():
        read = {name: getattr(form, name).data for name in ("encoding", "delimiter", "number_format")}
        try:
            configure(mapping_from_form(record), read)
            if request.form.get("action") == "start":
                start()
        except DomainError as error:  # shown above the mapping, not on a field
            unit_of_work.discard()
            mapping_error = error.message
        else:
            return redirect(url_for(endpoint, import_id=record.id))
    return render_template(template, form=form, fields=fields, **preview_context(record, mapping_error))


@bp.route("/imports/<int:import_id>/progress")
@require(Permission.MANAGE_LEADS)
def lead_import_progress(import_id: int):
    return progress_response(import_or_404(import_id, LEADS))


def progress_response(record: LeadImport):
    """What the progress bar polls."""
    response = jsonify(
        {
            "status": record.status.value,
            "rows_done": record.rows_done,
            "total_rows": record.total_rows,
            "percent": record.percent,
            "created": record.created_count,
            "updated": record.updated_count,
            "duplicates": record.duplicate_count,
            "rejected": record.rejected_count,
            "finished": record.is_finished,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/imports/<int:import_id>/rejected.csv")
@require(Permission.MANAGE_LEADS)
def lead_import_rejected(import_id: int):
    record = import_or_404(import_id, LEADS)
    return rejected_download(record, url_for("manage.lead_import", import_id=import_id))


def rejected_download(record: LeadImport, back: str):
    """The rejected-rows CSV of ``record`` (back to ``back`` with a message when it has none)."""
    if not record.rejected_path or not Path(record.rejected_path).exists():
        flash(_("This import rejected no rows."), "info")
        return redirect(back)
    stem = Path(secure_filename(record.file_name) or "import").stem
    # The rows hold contact details but never became leads (no lead.contact_viewed to write): the
    # download is recorded on the import instead, so the audit still shows who took them.
    events.record(
        LeadEvent.REJECTED_ROWS_DOWNLOADED,
        actor=current_user,
        manufacturer_id=record.manufacturer_id,
        data={"import_id": record.id, "rows": record.rejected_count, "via": "csv"},
    )
    return send_file(
        record.rejected_path,
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"{stem}-rejected-rows.csv",
        max_age=0,
    )
