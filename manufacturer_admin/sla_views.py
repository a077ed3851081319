"""The SLA policy editor at ``/manage/sla``: admins edit, channel managers read."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission, can, require
from exchange.models import Event, User
from exchange.platform import unit_of_work
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, scoped
from exchange.sla.policies import (
    FIELD_LABELS,
    TEMPERATURE_LABELS,
    TEMPERATURES,
    PolicyInvalid,
    default_policy,
    describe_minutes,
    policies_for,
    reset_policies,
    update_policies,
)
from manufacturer_admin import bp
from manufacturer_admin.sla_forms import BREACH_ACTIONS, SlaPoliciesForm, SlaResetForm

POLICY_EVENTS = (AuditEvent.SLA_POLICY_UPDATED, AuditEvent.SLA_POLICY_RESET)


def _defaults() -> dict[str, dict[str, str]]:
    """What each temperature's defaults read like, for the hints under the inputs."""
    actions = dict(BREACH_ACTIONS)
    shown = {}
    for temperature in TEMPERATURES:
        policy = default_policy(temperature)
        shown[temperature.value] = {
            "claim_window": describe_minutes(policy.claim_window_minutes),
            "first_contact": describe_minutes(policy.first_contact_minutes),
            "update_cadence": describe_minutes(policy.update_cadence_minutes, business=False),
            "waves": str(policy.waves),
            "business_time": _("Partner's business hours") if policy.business_time else _("Around the clock"),
            "reminder_percent": f"{policy.reminder_percent} %",
            "breach_action": str(actions[policy.breach_action.value]),
            "notify_channel_manager": _("Yes") if policy.notify_channel_manager else _("No"),
        }
    return shown


def _last_change(org):
    event = db.session.scalar(
        scoped(Event, org).where(Event.type.in_(POLICY_EVENTS)).order_by(Event.id.desc()).limit(1)
    )
    if event is None:
        return None
    actor = db.session.get(User, event.actor_user_id) if event.actor_user_id else None
    return {
        "at": event.occurred_at,
        "by": actor.name if actor else None,
        "reset": event.type.endswith("reset"),
    }


def _page(form: SlaPoliciesForm, status: int = 200):
    org = current_org()
    readonly = not can(current_user, Permission.EDIT_SLA_POLICIES)
    return (
        render_template(
            "manage/sla_policies.html",
            form=form,
            reset_form=SlaResetForm(prefix="reset"),
            readonly=readonly,
            temperatures=[(t.value, TEMPERATURE_LABELS[t]) for t in TEMPERATURES],
            labels=FIELD_LABELS,
            defaults=_defaults(),
            last_change=_last_change(org),
        ),
        status,
    )


@bp.route("/sla", methods=["GET", "POST"])
@require(Permission.EDIT_SLA_POLICIES, methods={"POST"})  # every manufacturer role reads them
def sla_policies():
    org = current_org()
    form = SlaPoliciesForm()
    if request.method == "GET":
        form.fill(policies_for(org))
        return _page(form)
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _page(form, 422)
    try:
        changes = update_policies(org, form.policy_values(), actor=current_user)
    except PolicyInvalid as error:  # the messages go on the table's cells
        unit_of_work.discard()
        form.show_errors(error)
        flash(_("Please correct the marked fields."), "error")
        return _page(form, 422)
    if changes:
        flash(
            _("SLA policies saved. Leads published from now on use them; published leads keep theirs."),
            "success",
        )
    else:
        flash(_("Nothing changed."), "info")
    return redirect(url_for("manage.sla_policies"))


@bp.route("/sla/reset", methods=["POST"])
@require(Permission.EDIT_SLA_POLICIES)
def reset_sla_policies():
    form = SlaResetForm(prefix="reset")
    if not form.validate_on_submit():
        abort(400)
    changes = reset_policies(current_org(), actor=current_user)
    if changes:
        flash(_("SLA policies reset to the defaults."), "success")
    else:
        flash(_("The SLA policies already are the defaults."), "info")
    return redirect(url_for("manage.sla_policies"))
