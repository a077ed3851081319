"""Claimed leads: "My leads" and working one lead (contact, status, notes, assignment, return)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from exchange.accounts.permissions import Permission, can
from exchange.models import Claim, ClaimStatus, ContactChannel, Event, LeadStatus, User
from exchange.notify.partner_payloads import REVEALING_CLAIM_STATUSES
from exchange.offers import claims as claim_service
from exchange.offers import reveals
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.labels import CONTACT_CHANNELS
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.sla.vocabulary import SlaClock
from exchange.web.errors import refused
from portal import bp
from portal.forms import (
    STATUS_LABELS,
    AssignForm,
    ContactForm,
    NoteForm,
    ReturnForm,
    StatusForm,
)


def next_deadline(claim: Claim) -> tuple[SlaClock, datetime] | None:
    """The clock that matters now: first contact until it happened, then the next update."""
    if claim.status != ClaimStatus.ACTIVE:
        return None
    if claim.first_contact_at is None and claim.first_contact_deadline is not None:
        return (SlaClock.FIRST_CONTACT, claim.first_contact_deadline)
    if claim.next_update_deadline is not None:
        return (SlaClock.UPDATE, claim.next_update_deadline)
    return None


@bp.route("/leads")
def my_leads():
    org = current_org()
    show = request.args.get("show", "open")
    query = scoped(Claim, org)
    if show == "open":
        query = query.where(Claim.status == ClaimStatus.ACTIVE)
    elif show == "mine":
        query = query.where(Claim.status == ClaimStatus.ACTIVE, Claim.assigned_to_id == current_user.id)
    elif show == "overdue":  # what blocks new claims: first contacts past their deadline
        query = query.where(
            Claim.status == ClaimStatus.ACTIVE,
            Claim.first_contact_at.is_(None),
            Claim.first_contact_deadline < clock.now(),
        )
    query = query.options(joinedload(Claim.lead), joinedload(Claim.assigned_to)).order_by(
        sa.case((Claim.status == ClaimStatus.ACTIVE, 0), else_=1),
        sa.func.coalesce(Claim.first_contact_deadline, Claim.next_update_deadline),
        Claim.id.desc(),
    )
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template(
        "portal/my_leads.html",
        page=page,
        show=show,
        next_deadline=next_deadline,
        revealing=REVEALING_CLAIM_STATUSES,
    )


def _team(org_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            # who can work a lead: active, and signed up (an invited colleague has not chosen a password)
            .where(
                User.organisation_id == org_id,
                User.is_active_user.is_(True),
                User.password_hash.is_not(None),
            )
            .order_by(User.name)
        )
    )


@bp.route("/leads/<int:claim_id>")
def lead_detail(claim_id: int):
    org = current_org()
    claim = get_scoped_or_404(Claim, claim_id, org)
    show_contact = claim.status in REVEALING_CLAIM_STATUSES
    if show_contact:
        reveals.record_contact_view(current_user, claim, "page")
    history = db.session.scalars(
        scoped(Event, org)
        .where(Event.lead_id == claim.lead_id, Event.claim_id == claim.id)
        .order_by(Event.id)
    ).all()
    assign_form = AssignForm()
    assign_form.assignee.choices = [(u.id, u.name) for u in _team(org.id)]
    assign_form.assignee.data = claim.assigned_to_id
    status_form = StatusForm(currency=claim.lead.currency)
    return render_template(
        "portal/lead_detail.html",
        claim=claim,
        lead=claim.lead,
        show_contact=show_contact,
        # Once the claim has ended (returned, revoked) the partner sees the teaser: no name, no description.
        lead_name=claim.lead.company_name if show_contact else _("Lead %(id)s", id=claim.lead_id),
        history=history,
        contact_form=ContactForm(),
        status_form=status_form,
        note_form=NoteForm(),
        assign_form=assign_form,
        return_form=ReturnForm(),
        next_deadline=next_deadline(claim),
        channel_labels=CONTACT_CHANNELS,
        status_labels=STATUS_LABELS,
        is_admin=can(current_user, Permission.ASSIGN_LEADS),
    )


def _local_to_utc(value: datetime | None) -> datetime | None:
    """A datetime-local input is in the viewer's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=get_timezone())


def _act(claim_id: int, form_class, action, success: str):
    claim = get_scoped_or_404(Claim, claim_id, current_org())
    form = form_class()
    if form_class is AssignForm:
        form.assignee.choices = [(u.id, u.name) for u in _team(current_org().id)]
    if not form.validate_on_submit():
        for field, messages in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {' '.join(messages)}", "danger")
        return redirect(url_for("portal.lead_detail", claim_id=claim_id))
    with refused():
        action(claim, form)
        flash(success, "success")
    return redirect(url_for("portal.lead_detail", claim_id=claim_id))


@bp.route("/leads/<int:claim_id>/contact", methods=["POST"])
def log_contact(claim_id: int):
    return _act(
        claim_id,
        ContactForm,
        lambda claim, form: claim_service.log_contact(
            current_user,
            claim,
            ContactChannel(form.channel.data),
            _local_to_utc(form.at.data),
            form.note.data,
        ),
        _("Contact logged."),
    )


@bp.route("/leads/<int:claim_id>/status", methods=["POST"])
def update_status(claim_id: int):
    return _act(
        claim_id,
        StatusForm,
        lambda claim, form: claim_service.update_status(
            current_user,
            claim,
            LeadStatus(form.status.data),
            amount=form.amount.data,
            currency=form.currency.data,
            reason=form.reason.data,
            note=form.note.data,
        ),
        _("Status updated."),
    )


@bp.route("/leads/<int:claim_id>/note", methods=["POST"])
def add_note(claim_id: int):
    return _act(
        claim_id,
        NoteForm,
        lambda claim, form: claim_service.add_note(current_user, claim, form.text.data),
        _("Note added."),
    )


@bp.route("/leads/<int:claim_id>/assign", methods=["POST"])
def assign(claim_id: int):
    def action(claim, form):
        assignee = get_scoped_or_404(User, form.assignee.data, current_org())
        claim_service.assign(current_user, claim, assignee)

    return _act(claim_id, AssignForm, action, _("Lead assigned."))


@bp.route("/leads/<int:claim_id>/return", methods=["POST"])
def return_lead(claim_id: int):
    return _act(
        claim_id,
        ReturnForm,
        lambda claim, form: claim_service.return_lead(current_user, claim, form.reason.data),
        _("The lead went back to the manufacturer."),
    )
