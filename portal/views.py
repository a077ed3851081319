"""Partner pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from exchange.auth import roles_required
from exchange.extensions import db
from exchange.models import Enrollment, Offer, OfferState, Organisation, Role, User
from exchange.tenancy import current_org, get_scoped_or_404, scoped
from portal import bp


@bp.route("/")
def offers():
    org = current_org()
    query = scoped(Offer, org).where(Offer.state == OfferState.OPEN).order_by(Offer.score.desc(), Offer.id)
    page = db.paginate(query, per_page=25, error_out=False)
    return render_template("portal/offers.html", page=page)


@bp.route("/offers/<int:offer_id>")
def offer_detail(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    return render_template("portal/offer_detail.html", offer=offer)


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
