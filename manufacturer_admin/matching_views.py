"""Matching for the manufacturer: a lead's ranked partners and why others are not eligible, the
coverage gaps, and the component weights."""

from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DecimalField, SubmitField
from wtforms.validators import InputRequired, NumberRange

import matching
import matching.codes
from exchange.accounts.permissions import Permission, can, require
from exchange.accounts.programs import update_weights
from exchange.models import Enrollment, Lead, Offer, Organisation
from exchange.offers.explain import COMPONENT_LABELS, INELIGIBLE, render_reasons
from exchange.offers.matchmaking import ProgramMatcher, unmatched_leads
from exchange.offers.waves import pool_wave
from exchange.partners.availability import NO_OFFERS_LABELS, NoOffersCause, partners_without_offers
from exchange.partners.readiness import visible_to_programme
from exchange.platform.extensions import db
from exchange.platform.labels import GAP_CAUSES
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.sla.clocks import lead_terms
from exchange.web.errors import refused
from manufacturer_admin import bp


@bp.route("/leads/<int:lead_id>/partners")
def lead_partners(lead_id: int):
    """Every partner of the programme for one lead: the eligible ones ranked with their score
    breakdown, the others with the reasons they cannot be offered it."""
    org = current_org()
    lead = get_scoped_or_404(Lead, lead_id, org)
    matcher = ProgramMatcher(org.id)
    ranking = matcher.ranking(lead)
    names = dict(
        db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([p.id for p in matcher.partners])
            )
        ).all()
    )
    # A partner that has not accepted the invitation shows as the manufacturer typed it, only as
    # not enrolled: why else it could not take the lead would tell its coverage, capacity or pause.
    unaccepted = dict(
        db.session.execute(
            sa.select(Enrollment.partner_id, Enrollment.invited_name).where(
                Enrollment.manufacturer_id == org.id, sa.not_(visible_to_programme())
            )
        ).all()
    )
    for partner_id, invited_name in unaccepted.items():
        names[partner_id] = invited_name or _("Invited partner")
    offers = {o.partner_id: o for o in db.session.scalars(scoped(Offer, org).where(Offer.lead_id == lead.id))}
    eligible = [
        {
            "partner": names.get(s.partner_id, s.partner_id),
            "partner_id": s.partner_id,
            "accepted": s.partner_id not in unaccepted,  # its scorecard exists
            "score": s.score,
            "components": s.components,
            "why": render_reasons([[r.code, dict(r.params)] for r in s.reasons]),
            "offer": offers.get(s.partner_id),
        }
        for s in ranking.eligible
    ]
    by_reason: dict[str, list[str]] = defaultdict(list)
    for partner in ranking.ineligible:
        reasons = [matching.codes.NOT_ENROLLED] if partner.partner_id in unaccepted else partner.reasons
        for reason in reasons:
            by_reason[reason].append(names.get(partner.partner_id, str(partner.partner_id)))
    return render_template(
        "manage/lead_partners.html",
        lead=lead,
        eligible=eligible,
        by_reason=dict(by_reason),
        reason_labels=INELIGIBLE,
        component_labels=COMPONENT_LABELS,
        components=matching.COMPONENTS,
        gap=matching.gap_cause(ranking) if not ranking.eligible else None,
        gap_labels=GAP_CAUSES,
        pool_wave=pool_wave(lead_terms(lead)),
    )


@bp.route("/coverage-gaps")
@require(Permission.VIEW_ANALYTICS)
def coverage_gaps():
    """Published leads no partner can take, grouped by cause: where to recruit."""
    org = current_org()
    leads = list(db.session.scalars(unmatched_leads(org.id).order_by(Lead.country, Lead.id)))
    groups: dict[str, list[Lead]] = defaultdict(list)
    for lead in leads:
        groups[(lead.match_summary or {}).get("cause") or "no_partners"].append(lead)
    countries = {cause: Counter(lead.country or "–" for lead in group) for cause, group in groups.items()}
    order = [*matching.codes.GAP_FUNNEL, matching.codes.NO_PARTNERS]
    ordered = sorted(
        groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    )
    without_offers = partners_without_offers(org.id)
    return render_template(
        "manage/coverage_gaps.html",
        groups=ordered,
        countries=countries,
        labels=GAP_CAUSES,
        total=len(leads),
        without_offers=without_offers,
        cause_counts=Counter(cause for partner in without_offers for cause in partner.causes),
        causes=list(NoOffersCause),
        cause_labels=NO_OFFERS_LABELS,
        # The directory's partner page, once it exists (the helper building it registers the route).
        link_partners="manage.partner_detail" in current_app.view_functions,
    )


class WeightsForm(FlaskForm):
    submit = SubmitField(_l("Save weights"))


for _name in matching.COMPONENTS:
    setattr(
        WeightsForm,
        _name,
        DecimalField(
            COMPONENT_LABELS[_name],
            places=2,
            validators=[InputRequired(), NumberRange(min=0, max=100)],
        ),
    )


@bp.route("/matching", methods=["GET", "POST"])
def matching_weights():
    org = current_org()
    current = matching.validate_weights(org.program.matching_weights or None)
    form = WeightsForm(data={name: round(current[name] * 100, 2) for name in matching.COMPONENTS})
    readonly = not can(current_user, Permission.EDIT_MATCHING_WEIGHTS)
    if request.method == "POST":
        if readonly:
            flash(_("Only a manufacturer admin changes the weights."), "danger")
            return redirect(url_for("manage.matching_weights")), 303
        form = WeightsForm()
        if form.validate_on_submit():
            with refused():
                update_weights(
                    current_user, org, {name: float(getattr(form, name).data) for name in matching.COMPONENTS}
                )
                flash(_("Weights saved. Offers not yet seen by partners are re-ranked now."), "success")
                return redirect(url_for("manage.matching_weights"))
    return render_template(
        "manage/matching_weights.html",
        form=form,
        readonly=readonly,
        components=matching.COMPONENTS,
        defaults=matching.DEFAULT_WEIGHTS,
        current=current,
    )
