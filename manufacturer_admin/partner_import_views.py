"""Importing a partner list in the browser (the lead import's pages and pipeline, for partners):
upload -> preview with the detected mapping (a drop-down per column) and "send invitations" -> the
``partners.import`` job with its progress bar -> the counts, the errors and the rejected rows."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField

from exchange.accounts.password_links import site_base_url
from exchange.accounts.permissions import Permission, require
from exchange.models import ImportStatus
from exchange.partners import roster_import
from exchange.partners.roster_fields import PARTNER_FIELDS
from exchange.platform.tenancy import current_org
from manufacturer_admin import bp
from manufacturer_admin.import_views import (
    import_history,
    import_or_404,
    keep_upload,
    progress_response,
    read_settings,
    rejected_download,
    settings_page,
    submitted_upload,
)
from manufacturer_admin.lead_forms import ImportSettingsForm, ImportUploadForm, import_formats_help

PARTNERS = roster_import.PARTNERS
INVITE_LABEL = _l("Send each new partner admin an invitation when the import runs")


class PartnerImportUploadForm(FlaskForm):
    file = ImportUploadForm.file
    invite = BooleanField(INVITE_LABEL, default=True)
    submit = SubmitField(_l("Upload and preview"))


class PartnerImportSettingsForm(ImportSettingsForm):
    campaign_id = None
    publish = None
    invite = BooleanField(INVITE_LABEL)


@bp.route("/partners/imports", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def partner_imports():
    form = PartnerImportUploadForm()
    submitted = submitted_upload(form)
    if submitted is None:
        return redirect(url_for("manage.partner_imports"))
    if submitted:
        record = keep_upload(
            form,
            lambda path, name: roster_import.receive_upload(
                current_user, current_org(), path, file_name=name, invite=form.invite.data
            ),
        )
        if record is not None:
            return redirect(url_for("manage.partner_import", import_id=record.id))
    return render_template(
        "manage/partner_imports.html",
        form=form,
        history=import_history(PARTNERS),
        formats_help=import_formats_help(),
    )


@bp.route("/partners/imports/<int:import_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def partner_import(import_id: int):
    record = import_or_404(import_id, PARTNERS)
    if record.status != ImportStatus.UPLOADED:
        return render_template("manage/partner_import_progress.html", record=record)
    form = PartnerImportSettingsForm(
        data={**read_settings(record), "invite": bool(record.options.get("invite", True))}
    )

    def configure(mapping: list[str | None], read: dict[str, Any]) -> None:
        roster_import.configure_import(record, mapping=mapping, invite=form.invite.data, **read)

    return settings_page(
        record,
        form,
        configure,
        lambda: roster_import.start_import(record, base_url=site_base_url()),
        template="manage/partner_import_preview.html",
        fields=PARTNER_FIELDS,
        endpoint="manage.partner_import",
    )


@bp.route("/partners/imports/<int:import_id>/progress")
@require(Permission.MANAGE_PARTNERS)
def partner_import_progress(import_id: int):
    return progress_response(import_or_404(import_id, PARTNERS))


@bp.route("/partners/imports/<int:import_id>/rejected.csv")
@require(Permission.MANAGE_PARTNERS)
def partner_import_rejected(import_id: int):
    record = import_or_404(import_id, PARTNERS)
    return rejected_download(record, url_for("manage.partner_import", import_id=import_id))
