"""Back-office pages for manufacturers and channel managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.accounts.sessions import roles_required
from exchange.analytics import figures
from exchange.models import (
    Campaign,
    CoverageArea,
    Enrollment,
    Lead,
    LeadStatus,
    Organisation,
    PartnerProfile,
    Role,
    Tier,
)
from exchange.models.enums import CLAIMED_STATUSES, IN_PROGRESS_STATUSES
from exchange.offers.capacity import in_progress_counts
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, scoped
from manufacturer_admin import bp
from manufacturer_admin.forms import ProgramSettingsForm

DASHBOARD_DAYS = 30  # the SLA figures on the dashboard: claims of the last 30 days


@bp.route("/")
def dashboard():
    org = current_org()
    by_status = dict(
        db.session.execute(
            sa.select(Lead.status, sa.func.count())
            .where(Lead.manufacturer_id == org.id)
            .group_by(Lead.status)
        ).all()
    )
    by_temperature = dict(
        db.session.execute(
            sa.select(Lead.temperature, sa.func.count())
            .where(Lead.manufacturer_id == org.id)
            .group_by(Lead.temperature)
        ).all()
    )
    partners = db.session.scalar(sa.select(sa.func.count()).select_from(scoped(Enrollment, org).subquery()))
    campaigns = db.session.scalar(sa.select(sa.func.count()).select_from(scoped(Campaign, org).subquery()))
    now = clock.now()
    sla = figures.sla_figures(org.id, since=now - timedelta(days=DASHBOARD_DAYS), now=now)
    claimed = sum(by_status.get(s, 0) for s in CLAIMED_STATUSES)
    unclaimed = by_status.get(LeadStatus.UNCLAIMED, 0)
    return render_template(
        "manage/dashboard.html",
        by_status=by_status,
        by_temperature=by_temperature,
        total=sum(by_status.values()),
        partners=partners,
        campaigns=campaigns,
        on_offer=by_status.get(LeadStatus.OFFERED, 0) + by_status.get(LeadStatus.PUBLISHED, 0),
        in_progress=sum(by_status.get(s, 0) for s in IN_PROGRESS_STATUSES),
        response_rate=figures.response_rate(claimed, claimed + unclaimed),
        unclaimed=unclaimed,
        sla=sla,
    )


PARTNERS_PER_PAGE = 100
# How the partner list can be sorted: key -> (label, value of a row, highest first?)
PARTNER_SORTS = {
    "name": (_l("Name"), lambda row: row.name.casefold(), False),
    "response_rate": (_l("Response rate"), lambda row: row.figures.get("response_rate"), True),
    "claim_minutes": (_l("Time to claim"), lambda row: row.figures.get("claim_minutes_median"), False),
    "sla_compliance": (_l("SLA compliance"), lambda row: row.figures.get("sla_compliance"), True),
    "breaches": (_l("SLA breaches"), lambda row: row.figures.get("breaches"), True),
    "load": (_l("Load"), lambda row: row.in_progress / row.capacity if row.capacity else 1.0, True),
}


@dataclass
class PartnerRow:
    enrollment: Enrollment
    name: str
    capacity: int
    in_progress: int
    countries: list[str]
    figures: dict[str, Any]


@bp.route("/partners")
def partners():
    """The programme's partners with the figures a channel manager steers by: responsiveness over the
    trailing window (what matching uses), load against capacity, coverage."""
    org = current_org()
    query = (
        scoped(Enrollment, org)
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .outerjoin(PartnerProfile, PartnerProfile.partner_id == Enrollment.partner_id)
        .add_columns(Organisation.name, PartnerProfile.capacity)
    )
    tier_filter = request.args.get("tier")
    if tier_filter in {t.value for t in Tier}:
        query = query.where(Enrollment.tier == Tier(tier_filter))
    search = (request.args.get("q") or "").strip()[:100]
    if search:
        query = query.where(Organisation.name.icontains(search, autoescape=True))
    found = db.session.execute(query).all()
    ids = [enrollment.partner_id for enrollment, _name, _capacity in found]
    in_progress = in_progress_counts(ids)
    countries: dict[int, set[str]] = {}
    if ids:
        for partner_id, country in db.session.execute(
            sa.select(CoverageArea.partner_id, CoverageArea.country).where(CoverageArea.partner_id.in_(ids))
        ):
            countries.setdefault(partner_id, set()).add(country)
    rows = [
        PartnerRow(
            enrollment=enrollment,
            name=name,
            capacity=capacity or 0,
            in_progress=in_progress.get(enrollment.partner_id, 0),
            countries=sorted(countries.get(enrollment.partner_id, ())),
            figures=dict(enrollment.responsiveness or {}),
        )
        for enrollment, name, capacity in found
    ]
    sort = request.args.get("sort", "name")
    if sort not in PARTNER_SORTS:
        sort = "name"
    _label, key, highest_first = PARTNER_SORTS[sort]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]  # no history yet: always last
    known.sort(key=lambda row: row.name.casefold())
    known.sort(key=key, reverse=highest_first)  # stable: names stay A-Z among equal figures
    unknown.sort(key=lambda row: row.name.casefold())
    ordered = known + unknown
    pages = max(1, -(-len(ordered) // PARTNERS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template(
        "manage/partners.html",
        rows=ordered[(page - 1) * PARTNERS_PER_PAGE : page * PARTNERS_PER_PAGE],
        total=len(ordered),
        page=page,
        pages=pages,
        search=search,
        args={k: v for k, v in {"tier": tier_filter, "sort": sort, "q": search}.items() if v},
        tier_filter=tier_filter,
        tiers=list(Tier),
        sort=sort,
        sorts={name: label for name, (label, _key, _desc) in PARTNER_SORTS.items()},
    )


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.MANUFACTURER_ADMIN)
def settings():
    org = current_org()
    program = org.program
    form = ProgramSettingsForm(obj=program, name=org.name)
    if request.method == "GET":
        form.name.data = org.name
        form.large_deal_min_tier.data = (
            program.large_deal_min_tier.value if program.large_deal_min_tier else ""
        )
    if form.validate_on_submit():
        org.name = form.name.data
        program.currency = form.currency.data
        program.wave_size = form.wave_size.data
        program.cooling_days_per_step = form.cooling_days_per_step.data or 0
        program.large_deal_threshold = form.large_deal_threshold.data
        program.large_deal_min_tier = (
            Tier(form.large_deal_min_tier.data) if form.large_deal_min_tier.data else None
        )
        db.session.commit()
        flash(_("Programme settings saved."), "success")
        return redirect(url_for("manage.settings"))
    return render_template("manage/settings.html", form=form)
