"""The partner's programmes: ``/portal/programmes`` (its enrollments, and the invitations its admin
accepts or declines)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission, require
from exchange.models import Enrollment
from exchange.partners import enrollments
from exchange.platform.tenancy import current_org, get_scoped_or_404
from exchange.web.auth.forms import ConfirmForm
from exchange.web.errors import refused
from portal import bp
from portal.forms import DeclineProgrammeForm


@bp.route("/programmes")
def programmes():
    rows = enrollments.partner_enrollments(current_org().id)
    return render_template(
        "portal/programmes.html",
        invitations=[e for e in rows if enrollments.is_invited(e)],
        programmes=[e for e in rows if not enrollments.is_invited(e)],
        decline_form=DeclineProgrammeForm(),
    )


@bp.route("/programmes/<int:enrollment_id>/accept", methods=["POST"])
@require(Permission.MANAGE_PROGRAMMES)
def accept_programme(enrollment_id: int):
    enrollment = get_scoped_or_404(Enrollment, enrollment_id, current_org())
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with refused():
        enrollments.accept(current_user._get_current_object(), enrollment)
        flash(
            _(
                "You are in the programme of %(name)s. Its offers come with the next matching.",
                name=enrollment.manufacturer.name,
            ),
            "success",
        )
    return redirect(url_for("portal.programmes"))


@bp.route("/programmes/<int:enrollment_id>/decline", methods=["POST"])
@require(Permission.MANAGE_PROGRAMMES)
def decline_programme(enrollment_id: int):
    enrollment = get_scoped_or_404(Enrollment, enrollment_id, current_org())
    form = DeclineProgrammeForm()
    if not form.validate_on_submit():
        abort(400)
    with refused():
        enrollments.decline(current_user._get_current_object(), enrollment, form.reason.data)
        flash(_("You declined the invitation of %(name)s.", name=enrollment.manufacturer.name), "info")
    return redirect(url_for("portal.programmes"))
