"""A partner's enrollment from the manufacturer's side: suspend, end, reactivate, reassign claims
(``/manage/partners/<enrollment_id>/...``). The buttons are ``manage/partner_lifecycle.html``, which
the partner's page includes; URL ids are enrollment ids, never the partner organisation's."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from exchange.accounts.password_links import site_base_url
from exchange.accounts.permissions import Permission, can, require
from exchange.models import Enrollment, EnrollmentStatus
from exchange.offers import enrollment_effects
from exchange.partners import enrollments
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, get_scoped_or_404
from exchange.web.errors import refused
from manufacturer_admin import bp
from manufacturer_admin.forms import EnrollmentReasonForm

S = EnrollmentStatus


def lifecycle(enrollment: Enrollment) -> dict[str, Any]:
    """What ``manage/partner_lifecycle.html`` shows for ``enrollment``: the actions its status allows
    (only for those who may take them) and the partner's active claims in this programme."""
    allowed = can(current_user, Permission.MANAGE_PARTNERS)
    status = enrollment.status
    claims = (
        list(db.session.scalars(enrollment_effects.active_claims(enrollment)))
        if status in enrollment_effects.REASSIGNABLE_FROM
        else []
    )
    return {
        "may": allowed,
        "suspend": allowed and status == S.ACTIVE,
        "end": allowed and status in enrollments.ALLOWED_FROM[S.ENDED],
        "reactivate": allowed and status in (S.SUSPENDED, S.ENDED, S.DECLINED),
        "reinvite": status in (S.ENDED, S.DECLINED),
        "claims": claims,
        "reassign": allowed and bool(claims),
        "form": EnrollmentReasonForm(formdata=None),
    }


@bp.app_template_global("partner_lifecycle")
def _partner_lifecycle(enrollment: Enrollment) -> dict[str, Any]:
    return lifecycle(enrollment)


# The manufacturer's partner page (helper ``directory``), whichever name it has; else the list.
PARTNER_PAGES = ("manage.partner_detail", "manage.partner")


def _back(enrollment: Enrollment):
    for endpoint in PARTNER_PAGES:
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint, enrollment_id=enrollment.id))
    return redirect(url_for("manage.partners"))


def _load(enrollment_id: int) -> tuple[Enrollment, EnrollmentReasonForm]:
    enrollment = get_scoped_or_404(Enrollment, enrollment_id, current_org())
    form = EnrollmentReasonForm()
    if not form.validate_on_submit():
        abort(400)
    return enrollment, form


@bp.route("/partners/<int:enrollment_id>/suspend", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def suspend_partner(enrollment_id: int):
    enrollment, form = _load(enrollment_id)
    with refused():
        closed = enrollment_effects.suspend(current_user._get_current_object(), enrollment, form.reason.data)
        flash(
            ngettext(
                "The partner is suspended; %(num)d open offer closed.",
                "The partner is suspended; %(num)d open offers closed.",
                closed,
            ),
            "success",
        )
    return _back(enrollment)


@bp.route("/partners/<int:enrollment_id>/end", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def end_partner(enrollment_id: int):
    enrollment, form = _load(enrollment_id)
    with refused():
        closed = enrollment_effects.end(current_user._get_current_object(), enrollment, form.reason.data)
        flash(
            ngettext(
                "The enrollment is ended; %(num)d open offer closed.",
                "The enrollment is ended; %(num)d open offers closed.",
                closed,
            ),
            "success",
        )
    return _back(enrollment)


@bp.route("/partners/<int:enrollment_id>/reactivate", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def reactivate_partner(enrollment_id: int):
    enrollment, form = _load(enrollment_id)
    with refused():
        enrollments.reactivate(
            current_user._get_current_object(), enrollment, form.reason.data, base_url=site_base_url()
        )
        if enrollment.status == S.ACTIVE:
            flash(_("The partner is active again and receives offers with the next matching."), "success")
        else:
            flash(_("The partner is invited again; its admin accepts or declines in the portal."), "success")
    return _back(enrollment)


@bp.route("/partners/<int:enrollment_id>/reassign", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def reassign_partner_claims(enrollment_id: int):
    enrollment, form = _load(enrollment_id)
    # The page's form names the claims it shows (``chosen``: none ticked is a refusal); without
    # it, every active claim of the partner in this programme.
    chosen = request.form.getlist("claim_ids", type=int) if request.form.get("chosen") else None
    with refused():
        taken = enrollment_effects.reassign_claims(
            current_user._get_current_object(), enrollment, chosen, form.reason.data
        )
        flash(
            ngettext(
                "%(num)d lead is taken from the partner and matched again.",
                "%(num)d leads are taken from the partner and matched again.",
                len(taken),
            ),
            "success" if taken else "info",
        )
    return _back(enrollment)
