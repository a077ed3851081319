"""Partner pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from exchange.auth import roles_required
from exchange.extensions import db
from exchange.models import Enrollment, Organisation, Role, User
from exchange.tenancy import current_org, scoped
from portal import bp


@bp.route("/profile")
@roles_required(Role.PARTNER_ADMIN)
def profile():
    org = current_org()
    enrollments = db.session.execute(
        scoped(Enrollment, org)
        .join(Organisation, Organisation.id == Enrollment.manufacturer_id)
        .add_columns(Organisation.name)
        .order_by(Organisation.name)
    ).all()
    return render_template("portal/profile.html", profile=org.profile, enrollments=enrollments)


@bp.route("/team")
@roles_required(Role.PARTNER_ADMIN)
def team():
    members = db.session.scalars(scoped(User, current_org()).order_by(sa.func.lower(User.name))).all()
    return render_template("portal/team.html", members=members)
