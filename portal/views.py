"""Partner pages."""

from __future__ import annotations

from flask import render_template

from exchange.extensions import db
from exchange.models import Offer, OfferState
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
