"""The pull list and single offers: see, claim, decline."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.extensions import db
from exchange.models import DeclineReason, Enrollment, Offer, OfferState, ProductLine, Temperature
from exchange.services import DomainError
from exchange.services.claims import claim_offer, decline_offer
from exchange.services.pull_list import PullFilters, mark_shown, pull_list
from exchange.tenancy import current_org, get_scoped_or_404, scoped
from portal import bp
from portal.forms import DECLINE_LABELS, ClaimForm, DeclineForm


def filters_from_args(args) -> tuple[PullFilters, dict[str, str]]:
    """Filters from query arguments; unknown or malformed values are ignored (and reported back)."""
    problems: dict[str, str] = {}

    def decimal(name: str) -> Decimal | None:
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            problems[name] = _("Not a number: %(v)s", v=raw)
            return None

    temperature = args.get("temperature") or None
    if temperature and temperature not in {t.value for t in Temperature}:
        problems["temperature"] = _("Unknown temperature: %(v)s", v=temperature)
        temperature = None
    product_line = args.get("product_line") or None
    if product_line and not product_line.isdigit():
        problems["product_line"] = _("Unknown product line.")
        product_line = None
    filters = PullFilters(
        temperature=Temperature(temperature) if temperature else None,
        product_line_id=int(product_line) if product_line else None,
        country=(args.get("country") or "").strip().upper() or None,
        region=(args.get("region") or "").strip() or None,
        min_value=decimal("min_value"),
        max_value=decimal("max_value"),
    )
    return filters, problems


def partner_product_lines(partner_id: int) -> list[ProductLine]:
    """Product lines of every programme the partner is enrolled in (for the filter)."""
    return list(
        db.session.scalars(
            sa.select(ProductLine)
            .join(Enrollment, Enrollment.manufacturer_id == ProductLine.manufacturer_id)
            .where(Enrollment.partner_id == partner_id)
            .order_by(ProductLine.name)
        )
    )


@bp.route("/")
def offers():
    org = current_org()
    filters, problems = filters_from_args(request.args)
    page = db.paginate(pull_list(org.id, filters), per_page=25, error_out=False)
    mark_shown(page.items)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return _rendered_then_committed(
        "portal/offers.html",
        page=page,
        filters=filters,
        problems=problems,
        args=args,
        product_lines=partner_product_lines(org.id),
        temperatures=list(Temperature),
    )


@bp.route("/offers/<int:offer_id>")
def offer_detail(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    if offer.state == OfferState.CLAIMED:
        claim = offer_claim(offer)
        if claim is not None:
            return redirect(url_for("portal.lead_detail", claim_id=claim.id))
    mark_shown([offer])
    return _rendered_then_committed(
        "portal/offer_detail.html",
        offer=offer,
        claim_form=ClaimForm(),
        decline_form=DeclineForm(),
        decline_labels=DECLINE_LABELS,
    )


def _rendered_then_committed(template: str, **context) -> str:
    """Render first (the loaded rows as they are), then commit what marking them seen wrote."""
    html = render_template(template, **context)
    db.session.commit()
    return html


def offer_claim(offer: Offer):
    from exchange.models import Claim

    return db.session.scalar(
        scoped(Claim, current_org()).where(Claim.offer_id == offer.id).order_by(Claim.id.desc())
    )


@bp.route("/offers/<int:offer_id>/claim", methods=["POST"])
def claim(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    form = ClaimForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "warning")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    try:
        claimed = claim_offer(current_user, offer)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id)), 303
    db.session.commit()
    flash(_("The lead is yours. Contact details are below - the first-contact clock is running."), "success")
    return redirect(url_for("portal.lead_detail", claim_id=claimed.id))


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
def decline(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    form = DeclineForm()
    if not form.validate_on_submit():
        flash(_("Choose a reason to decline."), "warning")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    try:
        decline_offer(current_user, offer, DeclineReason(form.reason.data), form.text.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    db.session.commit()
    flash(_("Offer declined. Thanks - the lead moves on to another partner."), "info")
    return redirect(url_for("portal.offers"))
