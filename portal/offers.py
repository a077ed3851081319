"""The pull list and single offers: see, claim, decline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_time, get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from exchange.accounts.permissions import Permission, require
from exchange.models import (
    Claim,
    DeclineReason,
    Enrollment,
    Offer,
    OfferState,
    Organisation,
    ProductLine,
    Temperature,
)
from exchange.offers.capacity import claim_blockers
from exchange.offers.claims import claim_offer, decline_offer
from exchange.offers.explain import score_breakdown
from exchange.offers.pull_filters import read_pull_filters
from exchange.offers.pull_list import PullFilters, mark_shown, pull_list
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.offers.waves import in_open_pool
from exchange.partners.availability import availability as partner_availability
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.sla.clocks import ClaimClock, claim_clock
from exchange.sla.policies import describe_minutes
from exchange.web.errors import refused
from portal import bp
from portal.forms import ClaimForm, DeclineForm

SORT_LABELS = {
    "score": _l("Score"),
    "deal_size": _l("Deal size"),
    "deadline": _l("Deadline"),
    "temperature": _l("Temperature"),
}


def partner_programmes(partner_id: int) -> list[tuple[int, str]]:
    """(manufacturer id, name) of every programme the partner accepted (an open, declined or
    withdrawn invitation is not one it receives offers from), by name."""
    return [
        (row.id, row.name)
        for row in db.session.execute(
            sa.select(Organisation.id, Organisation.name)
            .join(Enrollment, Enrollment.manufacturer_id == Organisation.id)
            .where(Enrollment.partner_id == partner_id, Enrollment.accepted_at.is_not(None))
            .order_by(Organisation.name, Organisation.id)
        )
    ]


def filters_from_args(
    args, programmes: list[tuple[int, str]] = ()
) -> tuple[PullFilters, str, dict[str, str]]:
    """Filters and sort from the query string, read with the API's schema; a refused value is left
    off and reported back, and so is a programme the partner is not enrolled in."""
    filters, sort, problems = read_pull_filters(args)
    if filters.manufacturer_id is not None and filters.manufacturer_id not in {id_ for id_, _ in programmes}:
        problems["manufacturer"] = _("Unknown manufacturer.")
        filters = replace(filters, manufacturer_id=None)
    return filters, sort, problems


def partner_product_lines(partner_id: int) -> list[ProductLine]:
    """Product lines of every programme the partner accepted (for the filter)."""
    return list(
        db.session.scalars(
            sa.select(ProductLine)
            .join(Enrollment, Enrollment.manufacturer_id == ProductLine.manufacturer_id)
            .where(Enrollment.partner_id == partner_id, Enrollment.accepted_at.is_not(None))
            .order_by(ProductLine.name)
        )
    )


def business_duration(minutes: int) -> str:
    """Business time in words: "1 business hour", "2 business hours 15 minutes", "45 minutes"."""
    hours, rest = divmod(minutes, 60)
    if not rest or not hours:
        return describe_minutes(minutes)
    return "{} {}".format(describe_minutes(hours * 60), ngettext("%(num)s minute", "%(num)s minutes", rest))


def when(moment: datetime) -> str:
    """A moment in the near future as the viewer says it: "08:00 today", "08:00 tomorrow",
    "08:00 on Monday"."""
    zone = get_timezone()
    day = moment.astimezone(zone).date()
    today = clock.now().astimezone(zone).date()
    time_text = format_time(moment, "HH:mm")
    if day == today:
        return _("%(time)s today", time=time_text)
    if day == today + timedelta(days=1):
        return _("%(time)s tomorrow", time=time_text)
    if day < today + timedelta(days=7):
        return _("%(time)s on %(day)s", time=time_text, day=format_date(day, "EEEE"))
    return _("%(time)s on %(day)s", time=time_text, day=format_date(day, "medium"))


def clock_hint(state: ClaimClock | None) -> str | None:
    """Why a business-time countdown reads as it does: when the clock runs and how much of it is left."""
    if state is None or not state.business:
        return None
    if not state.running:
        return _(
            "%(duration)s, from %(when)s",
            duration=business_duration(state.remaining_minutes),
            when=when(state.resumes_at),
        )
    if state.pauses_at is not None:
        return _(
            "%(duration)s left: the clock stops at %(pause)s and runs on from %(when)s",
            duration=business_duration(state.remaining_minutes),
            pause=format_time(state.pauses_at, "HH:mm"),
            when=when(state.resumes_at),
        )
    return None


def _clocks(offers: list[Offer], org: Organisation) -> dict[int, tuple[ClaimClock | None, str | None]]:
    now = clock.now()
    states = {offer.id: claim_clock(offer, org.profile, now) for offer in offers}
    return {offer_id: (state, clock_hint(state)) for offer_id, state in states.items()}


def _blockers(org: Organisation):
    return claim_blockers(org.id, org.profile.capacity if org.profile else 0)


@bp.route("/")
def offers():
    org = current_org()
    programmes = partner_programmes(org.id)
    filters, sort, problems = filters_from_args(request.args, programmes)
    page = db.paginate(pull_list(org.id, filters, sort=sort), per_page=25, error_out=False)
    mark_shown(page.items)
    args = {k: v for k, v in request.args.items() if k != "page"}
    # Rendered with the loaded rows as they are; marking them seen is committed after (the request's commit).
    return render_template(
        "portal/offers.html",
        page=page,
        filters=filters,
        problems=problems,
        args=args,
        sort=sort,
        sorts=SORT_LABELS,
        programmes=programmes,
        programme_names=dict(programmes),
        product_lines=partner_product_lines(org.id),
        temperatures=list(Temperature),
        clocks=_clocks(page.items, org),
        open_pool={offer.id for offer in page.items if in_open_pool(offer)},
        blockers=_blockers(org),
        availability=partner_availability(org.profile),
        claim_form=ClaimForm(),
    )


@bp.route("/offers/<int:offer_id>")
def offer_detail(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    if offer.state == OfferState.CLAIMED:
        claim = offer_claim(offer)
        if claim is not None:
            return redirect(url_for("portal.lead_detail", claim_id=claim.id))
    mark_shown([offer])
    return render_template("portal/offer_detail.html", **_offer_context(offer, DeclineForm()))


def _offer_context(offer: Offer, decline_form: DeclineForm) -> dict:
    org = current_org()
    manufacturer = db.session.get(Organisation, offer.manufacturer_id)
    program = manufacturer.program if manufacturer else None
    state, hint = _clocks([offer], org)[offer.id]
    now = clock.now()
    return {
        "offer": offer,
        "programme": manufacturer.name if manufacturer else "–",
        "breakdown": score_breakdown(offer.components, program.matching_weights if program else None),
        "claim_clock": state,
        # Open and inside its window: the sweep may not have closed a lapsed offer yet.
        "claimable": offer.state == OfferState.OPEN
        and (offer.claim_deadline is None or offer.claim_deadline > now),
        "clock_hint": hint,
        "open_pool": in_open_pool(offer),
        "blockers": _blockers(org),
        "claim_form": ClaimForm(),
        "decline_form": decline_form,
        "decline_labels": DECLINE_REASON_LABELS,
    }


def offer_claim(offer: Offer):
    return db.session.scalar(
        scoped(Claim, current_org()).where(Claim.offer_id == offer.id).order_by(Claim.id.desc())
    )


@bp.route("/offers/<int:offer_id>/claim", methods=["POST"])
@require(Permission.CLAIM_OFFERS)
def claim(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    form = ClaimForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "warning")
        return redirect(url_for("portal.offer_detail", offer_id=offer_id))
    with refused():
        claimed = claim_offer(current_user, offer)
        flash(
            _("The lead is yours. Contact details are below - the first-contact clock is running."), "success"
        )
        return redirect(url_for("portal.lead_detail", claim_id=claimed.id))
    return redirect(url_for("portal.offer_detail", offer_id=offer_id)), 303


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@require(Permission.CLAIM_OFFERS)
def decline(offer_id: int):
    offer = get_scoped_or_404(Offer, offer_id, current_org())
    form = DeclineForm()
    if not form.validate_on_submit():
        if form.errors.get("csrf_token"):
            flash(_("The form expired; please try again."), "warning")
        return render_template("portal/offer_detail.html", **_offer_context(offer, form)), 422
    with refused():
        decline_offer(current_user, offer, DeclineReason(form.reason.data), form.text.data)
        flash(_("Offer declined. Thanks - the lead moves on to another partner."), "info")
        return redirect(url_for("portal.offers"))
    return redirect(url_for("portal.offer_detail", offer_id=offer_id))
