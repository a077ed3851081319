"""Back-office pages for manufacturers and channel managers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from exchange.auth import roles_required
from exchange.extensions import db
from exchange.models import Campaign, Enrollment, Lead, Organisation, Role, Tier
from exchange.tenancy import current_org, scoped
from manufacturer_admin import bp
from manufacturer_admin.forms import ProgramSettingsForm


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
    return render_template(
        "manage/dashboard.html",
        by_status=by_status,
        by_temperature=by_temperature,
        total=sum(by_status.values()),
        partners=partners,
        campaigns=campaigns,
    )


@bp.route("/partners")
def partners():
    org = current_org()
    query = (
        scoped(Enrollment, org)
        .join(Organisation, Organisation.id == Enrollment.partner_id)
        .add_columns(Organisation.name)
        .order_by(Organisation.name)
    )
    tier_filter = request.args.get("tier")
    if tier_filter in {t.value for t in Tier}:
        query = query.where(Enrollment.tier == Tier(tier_filter))
    rows = db.session.execute(query).all()
    return render_template("manage/partners.html", rows=rows, tier_filter=tier_filter, tiers=list(Tier))


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
