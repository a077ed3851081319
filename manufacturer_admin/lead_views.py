"""The manufacturer's lead list (filters, search, sort, pages, bulk publish / withdraw, CSV export),
the lead page with its history, and the single-lead form."""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from exchange.accounts.permissions import Permission, can, require
from exchange.leads import lifecycle as lead_service
from exchange.leads.intake.schema import LeadInputSchema
from exchange.leads.qualification import CRITERIA, rules_for
from exchange.models import (
    Campaign,
    Claim,
    Event,
    Lead,
    LeadStatus,
    Offer,
    Organisation,
    ProductLine,
    Temperature,
    User,
)
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.offers.waves import pool_wave
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.security import safe_next
from exchange.platform.spreadsheet import safe_cell
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.sla.clocks import lead_terms
from exchange.web.errors import refused
from manufacturer_admin import bp
from manufacturer_admin.lead_filters import SORTS, filtered_leads, parse_filters
from manufacturer_admin.lead_forms import LeadForm

PER_PAGE = 50
FORM_FIELDS = (
    "company_name", "contact_first_name", "contact_last_name", "contact_title", "contact_email",
    "contact_phone", "street", "postal_code", "city", "region", "country", "industry", "employees",
    "annual_revenue", "website", "product_line", "product_interest", "estimated_value", "currency",
    "campaign_id", "source_id", "lead_source", "description", "need", "fit", "budget", "authority",
    "timeframe", "rating",
)  # fmt: skip


def _campaigns(org: Organisation) -> list[Campaign]:
    return list(db.session.scalars(scoped(Campaign, org).order_by(Campaign.name)))


def _product_lines(org: Organisation) -> list[ProductLine]:
    return list(db.session.scalars(scoped(ProductLine, org).order_by(ProductLine.name)))


@bp.route("/leads")
def leads():
    org = current_org()
    filters, errors = parse_filters(request.args)
    for field, messages in errors.items():
        flash(_("Filter %(field)s ignored: %(message)s", field=field, message=" ".join(messages)), "warning")
    page_number = request.args.get("page", 1, type=int) or 1
    page = db.paginate(
        filtered_leads(org, filters), page=max(page_number, 1), per_page=PER_PAGE, error_out=False
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "manage/leads.html",
        page=page,
        filters=filters,
        args=args,
        campaigns=_campaigns(org),
        product_lines=_product_lines(org),
        statuses=list(LeadStatus),
        temperatures=list(Temperature),
        sortable=list(SORTS),
        can_edit=can(current_user, Permission.MANAGE_LEADS),
    )


EXPORT_COLUMNS = (
    "id", "source_id", "status", "temperature", "temperature_reason", "company_name", "contact_first_name",
    "contact_last_name", "contact_title", "contact_email", "contact_phone", "street", "postal_code", "city",
    "region", "country", "industry", "employees", "annual_revenue", "website", "product_interest",
    "estimated_value", "currency", "lead_source", "need", "fit", "budget", "authority", "timeframe",
    "description", "created_at", "published_at", "closed_at",
)  # fmt: skip


# What became of a lead, after its own fields: who claimed it last and when, its first contact, when its
# status last changed, and how it closed (a partner name can be formula-like too: escaped as well).
OUTCOME_COLUMNS = (
    "claimed_by", "claimed_at", "first_contact_at", "status_changed_at", "won_at", "lost_at",
    "won_amount", "won_currency", "lost_reason",
)  # fmt: skip
EXPORT_BATCH = 500


def _outcomes(batch: list[Lead]) -> dict[int, dict[str, Any]]:
    """The outcome columns of a batch of leads: three queries however large the batch."""
    ids = [lead.id for lead in batch]
    latest = (
        sa.select(sa.func.max(Claim.id))
        .where(Claim.lead_id.in_(ids))
        .group_by(Claim.lead_id)
        .scalar_subquery()
    )
    claims_by_lead = {
        claim.lead_id: (claim, name)
        for claim, name in db.session.execute(
            sa.select(Claim, Organisation.name)
            .join(Organisation, Organisation.id == Claim.partner_id)
            .where(Claim.id.in_(latest))
        )
    }
    changed: dict[int, Any] = {}
    for lead_id, occurred_at, data in db.session.execute(
        sa.select(Event.lead_id, Event.occurred_at, Event.data)
        .where(Event.lead_id.in_(ids), Event.type.startswith("lead."))
        .order_by(Event.lead_id, Event.occurred_at)
    ):
        data = data or {}  # every status change is recorded with "from" and "to" (leads.transition)
        if data.get("to") and data.get("to") != data.get("from"):
            changed[lead_id] = occurred_at
    result = {}
    for lead in batch:
        claim, partner = claims_by_lead.get(lead.id, (None, None))
        result[lead.id] = {
            "claimed_by": partner,
            "claimed_at": claim.claimed_at if claim else None,
            "first_contact_at": claim.first_contact_at if claim else None,
            "status_changed_at": changed.get(lead.id),
            "won_at": lead.closed_at if lead.status == LeadStatus.WON else None,
            "lost_at": lead.closed_at if lead.status == LeadStatus.LOST else None,
            "won_amount": lead.won_amount,
            "won_currency": lead.won_currency if lead.won_amount is not None else None,
            "lost_reason": lead.lost_reason,
        }
    return result


@bp.route("/leads/export.csv")
def export_leads():
    """The filtered list as CSV (every lead, not one page) with what became of each lead; formula-like
    cells escaped. Written to a spooled temporary file, so a large export spills to disk instead of
    filling memory."""
    org = current_org()
    filters, _errors = parse_filters(request.args)
    query = filtered_leads(org, filters).options(
        sa.orm.joinedload(Lead.campaign), sa.orm.joinedload(Lead.product_line)
    )
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b")  # noqa: SIM115 - send_file closes it
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([*EXPORT_COLUMNS, "campaign", "product_line", *OUTCOME_COLUMNS])
    exported: list[int] = []
    leads = db.session.scalars(query.execution_options(yield_per=EXPORT_BATCH))
    for batch in leads.partitions(EXPORT_BATCH):
        outcomes = _outcomes(list(batch))
        for lead in batch:
            exported.append(lead.id)
            values = [getattr(lead, name) for name in EXPORT_COLUMNS]
            values.append(lead.campaign.name if lead.campaign else None)
            values.append(lead.product_line.code if lead.product_line else None)
            values.extend(outcomes[lead.id][name] for name in OUTCOME_COLUMNS)
            writer.writerow([safe_cell(v) for v in values])
    text.detach()
    spool.seek(0)
    # The reveal audit (who took whose contacts), committed with the request before the file is sent.
    lead_service.record_export(current_user, exported)
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    return send_file(
        spool, mimetype="text/csv", as_attachment=True, download_name=f"leads-{stamp}.csv", max_age=0
    )


@bp.route("/leads/bulk", methods=["POST"])
@require(Permission.MANAGE_LEADS)
def bulk_leads():
    org = current_org()
    ids = [int(v) for v in request.form.getlist("lead_ids") if v.isdigit()]
    back = safe_next(request.form.get("next")) or url_for("manage.leads")
    if not ids:
        flash(_("Select at least one lead."), "warning")
        return redirect(back)
    selected = list(db.session.scalars(scoped(Lead, org).where(Lead.id.in_(ids))))
    action = request.form.get("action")
    if action == "publish":
        done = lead_service.publish_leads(current_user, selected)
        flash(_("%(n)d leads published.", n=len(done)), "success")
    elif action == "withdraw":
        done = lead_service.withdraw_leads(current_user, selected, reason=request.form.get("reason") or None)
        flash(_("%(n)d leads withdrawn.", n=len(done)), "success")
    else:
        abort(400)
    skipped = len(selected) - len(done)
    if skipped:
        flash(
            _("%(n)d selected leads were left alone: their status does not allow it.", n=skipped), "warning"
        )
    return redirect(back)


@bp.route("/leads/<int:lead_id>")
def lead_detail(lead_id: int):
    org = current_org()
    lead = get_scoped_or_404(Lead, lead_id, org)
    events = db.session.scalars(scoped(Event, org).where(Event.lead_id == lead.id).order_by(Event.id)).all()
    offers = db.session.scalars(
        scoped(Offer, org).where(Offer.lead_id == lead.id).order_by(Offer.wave, Offer.rank)
    ).all()
    claims = db.session.scalars(
        scoped(Claim, org).where(Claim.lead_id == lead.id).order_by(Claim.id.desc())
    ).all()
    actor_ids = {e.actor_user_id for e in events if e.actor_user_id}
    actors = (
        dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(actor_ids))).all())
        if actor_ids
        else {}
    )
    partner_ids = {e.partner_id for e in events if e.partner_id}
    partners = (
        dict(
            db.session.execute(
                sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(partner_ids))
            ).all()
        )
        if partner_ids
        else {}
    )
    return render_template(
        "manage/lead_detail.html",
        lead=lead,
        events=events,
        offers=offers,
        claims=claims,
        decline_labels=DECLINE_REASON_LABELS,
        actors=actors,
        partners=partners,
        rules=rules_for(org.program),
        can_edit=can(current_user, Permission.MANAGE_LEADS),
        withdrawable=lead.status in lead_service.WITHDRAWABLE,
        pool_wave=pool_wave(lead_terms(lead)),
    )


def _lead_form(org: Organisation, lead: Lead | None = None) -> LeadForm:
    form = LeadForm()
    form.campaign_id.choices = [SelectChoice("", _("No campaign"))] + [
        SelectChoice(str(c.id), c.name) for c in _campaigns(org)
    ]
    form.product_line.choices = [SelectChoice("", _("None"))] + [
        SelectChoice(p.code, p.name) for p in _product_lines(org)
    ]
    if lead is not None and request.method == "GET":
        for name in FORM_FIELDS:
            if name in CRITERIA:
                value = getattr(lead, name)
                form[name].data = "" if value is None else ("yes" if value else "no")
            elif name not in ("product_line", "campaign_id", "rating"):
                value = getattr(lead, name)
                form[name].data = "" if value is None else str(value)
        form.product_line.data = lead.product_line.code if lead.product_line else ""
        form.campaign_id.data = str(lead.campaign_id or "")
        form.rating.data = lead.imported_rating or ""
    return form


def _load_form(form: LeadForm, *, partial: bool) -> dict[str, Any] | None:
    """The form's values through LeadInputSchema; errors are put on the form's fields."""
    raw = {name: (form[name].data or "") for name in FORM_FIELDS}
    raw["campaign_id"] = raw["campaign_id"] or None
    number_format = "de" if str(get_locale() or "en").startswith("de") else "en"
    try:
        return LeadInputSchema(number_format=number_format).load(raw, partial=partial)
    except ma.ValidationError as error:
        for name, messages in error.messages.items():
            target = form._fields.get(name, form.company_name)
            target.errors = [*target.errors, *messages] if isinstance(target.errors, list) else list(messages)
        return None


@bp.route("/leads/new", methods=["GET", "POST"])
@require(Permission.MANAGE_LEADS)
def new_lead():
    org = current_org()
    form = _lead_form(org)
    if form.validate_on_submit():
        data = _load_form(form, partial=False)
        if data is not None:
            with refused(form, category="error"):
                lead = lead_service.create_lead(current_user, org, data)
                flash(_("Lead created as a draft."), "success")
                return redirect(url_for("manage.lead_detail", lead_id=lead.id))
    return render_template("manage/lead_form.html", form=form, lead=None)


@bp.route("/leads/<int:lead_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_LEADS)
def edit_lead(lead_id: int):
    org = current_org()
    lead = get_scoped_or_404(Lead, lead_id, org)
    if lead.status not in lead_service.EDITABLE_STATUSES:
        flash(
            _("Only draft leads can be edited; this one is %(status)s.", status=lead.status.value), "warning"
        )
        return redirect(url_for("manage.lead_detail", lead_id=lead.id))
    form = _lead_form(org, lead)
    if form.validate_on_submit():
        data = _load_form(form, partial=False)
        if data is not None:
            with refused(form, category="error"):
                changed = lead_service.update_lead(current_user, lead, data)
                flash(_("Lead saved.") if changed else _("Nothing changed."), "success")
                return redirect(url_for("manage.lead_detail", lead_id=lead.id))
    return render_template("manage/lead_form.html", form=form, lead=lead)


@bp.route("/leads/<int:lead_id>/publish", methods=["POST"])
@require(Permission.MANAGE_LEADS)
def publish_lead(lead_id: int):
    lead = get_scoped_or_404(Lead, lead_id, current_org())
    with refused(category="error"):
        lead_service.publish_lead(current_user, lead)
        flash(_("Lead published: matching partners are being found."), "success")
    return redirect(url_for("manage.lead_detail", lead_id=lead_id))


@bp.route("/leads/<int:lead_id>/withdraw", methods=["POST"])
@require(Permission.MANAGE_LEADS)
def withdraw_lead(lead_id: int):
    lead = get_scoped_or_404(Lead, lead_id, current_org())
    with refused(category="error"):
        lead_service.withdraw_lead(
            current_user, lead, reason=(request.form.get("reason") or "").strip() or None
        )
        flash(_("Lead withdrawn; its open offers are closed."), "success")
    return redirect(url_for("manage.lead_detail", lead_id=lead_id))
