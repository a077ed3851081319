"""The partner's availability: ``/portal/availability``. Every partner user sees whether new offers
are paused; the partner admin pauses them ("away until", optional, and a reason) or resumes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField, SubmitField
from wtforms.validators import Optional

from exchange.accounts.permissions import Permission, can, require
from exchange.partners import availability as service
from exchange.platform.tenancy import current_org
from exchange.web.errors import refused
from portal import bp


class PauseForm(FlaskForm):
    until = DateField(
        _l("Away until"),
        validators=[Optional()],
        description=_l(
            "Offers start again on this day (at midnight, your time). "
            "Leave it empty to pause until you resume."
        ),
    )
    reason = StringField(
        _l("Reason"),
        render_kw={"maxlength": service.MAX_REASON, "required": True},
        description=_l("Your manufacturers see it, e.g. “Trade fair” or “Team on holiday”."),
    )
    submit = SubmitField(_l("Pause new offers"))


class ResumeForm(FlaskForm):
    submit = SubmitField(_l("Resume new offers"))


def _render(form: PauseForm, status: int = 200):
    org = current_org()
    state = service.availability(org.profile)
    return (
        render_template(
            "portal/availability.html",
            state=state,
            form=form,
            resume_form=ResumeForm(),
            may_change=can(current_user, Permission.MANAGE_PROGRAMMES),
        ),
        status,
    )


@bp.route("/availability", methods=["GET", "POST"])
@require(Permission.MANAGE_PROGRAMMES, methods=("POST",))
def availability():
    form = PauseForm()
    if not form.is_submitted():
        state = service.availability(current_org().profile)
        if state.paused:  # changing the pause starts from what is set
            form.reason.data = state.reason
            if state.paused_until is not None:
                form.until.data = state.paused_until.astimezone(ZoneInfo(str(get_timezone()))).date()
        return _render(form)
    if not form.validate():
        return _render(form, 422)
    until = service.start_of_day(form.until.data, get_timezone()) if form.until.data else None
    with refused(form):
        service.pause(
            current_user._get_current_object(), current_org(), until=until, reason=form.reason.data or ""
        )
        flash(_("New offers are paused."), "success")
        return redirect(url_for("portal.availability"))
    return _render(form, 422)


@bp.route("/availability/resume", methods=["POST"])
@require(Permission.MANAGE_PROGRAMMES)
def resume_availability():
    if not ResumeForm().validate_on_submit():
        return _render(PauseForm(formdata=None), 400)
    with refused():
        service.resume(current_user._get_current_object(), current_org())
        flash(_("You receive new offers again."), "success")
    return redirect(url_for("portal.availability"))
