"""A partner's own responsiveness figures and how they move its ranking."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template

from exchange.models import Enrollment, Organisation
from exchange.offers.explain import render_reasons
from exchange.offers.matchmaking import partner_standing
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, scoped
from portal import bp


@bp.route("/performance")
def performance():
    org = current_org()
    rows = db.session.execute(
        scoped(Enrollment, org)
        .join(Organisation, Organisation.id == Enrollment.manufacturer_id)
        .add_columns(Organisation.name)
        .order_by(sa.func.lower(Organisation.name))
    ).all()
    programmes = []
    for enrollment, name in rows:
        standing = partner_standing(org.id, enrollment.manufacturer_id)
        programmes.append(
            {"name": name, "tier": enrollment.tier, "why": render_reasons(standing["reasons"]), **standing}
        )
    return render_template("portal/performance.html", programmes=programmes)
