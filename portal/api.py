"""The partner side of the REST API: the pull list, claim, decline, and working claimed leads."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_login import current_user

from exchange.accounts.permissions import Permission
from exchange.models import Claim, ClaimStatus, Offer
from exchange.notify.partner_payloads import REVEALING_CLAIM_STATUSES
from exchange.offers import claims as claim_service
from exchange.offers import reveals
from exchange.offers.pull_filters import pull_filters
from exchange.offers.pull_list import pull_page, to_json
from exchange.platform.schemas import paginate
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.api import api_blueprint
from portal.availability_api import API_BLUEPRINTS as AVAILABILITY_API_BLUEPRINTS
from portal.schemas import (
    ClaimListArgsSchema,
    ClaimPageSchema,
    ClaimSchema,
    ContactSchema,
    DeclineSchema,
    NoteSchema,
    OfferFilterSchema,
    OfferPageSchema,
    PartnerOfferDetailSchema,
    PartnerOfferSchema,
    ReturnSchema,
    StatusSchema,
)
from portal.webhooks_api import API_BLUEPRINTS as WEBHOOK_API_BLUEPRINTS

offers_blp = api_blueprint(
    "api_partner_offers",
    __name__,
    "/api/v1/partner/offers",
    "A partner's offers: the pull list, claim, decline",
    Permission.USE_PARTNER_AREA,
    Permission.CLAIM_OFFERS,  # its writes: claim, decline
)
leads_blp = api_blueprint(
    "api_partner_leads",
    __name__,
    "/api/v1/partner/leads",
    "A partner's claimed leads",
    Permission.USE_PARTNER_AREA,
)


@offers_blp.route("")
class Offers(MethodView):
    @offers_blp.arguments(OfferFilterSchema, location="query")
    @offers_blp.response(200, OfferPageSchema)
    @offers_blp.doc(
        summary="The offers open to this partner now, best first",
        description="Sorted by score, then temperature (hot first), then freshness; or first by "
        "deal_size, deadline or temperature (`sort`). `manufacturer` keeps one programme's offers. "
        "No contact details.",
    )
    def get(self, args):
        page = pull_page(current_org().id, pull_filters(args), args["page"], args["per_page"], args["sort"])
        # The hottest endpoint: the rows are already plain data in the documented shape (a test keeps
        # them equal to OfferPageSchema's output), so they go out without a second serialisation pass.
        return jsonify(to_json(page))


@offers_blp.route("/<int:offer_id>")
class OfferResource(MethodView):
    @offers_blp.response(200, PartnerOfferDetailSchema)
    @offers_blp.doc(summary="One offer with the parts of its score (no contact details)")
    def get(self, offer_id: int):
        return get_scoped_or_404(Offer, offer_id, current_org())


@offers_blp.route("/<int:offer_id>/claim")
class ClaimOffer(MethodView):
    @offers_blp.response(201, ClaimSchema)
    @offers_blp.alt_response(409, description="Another partner claimed the lead first, or the window closed")
    @offers_blp.alt_response(422, description="At capacity, or first contacts overdue")
    @offers_blp.doc(summary="Claim the lead (first valid claim wins); the answer carries the contact details")
    def post(self, offer_id: int):
        offer = get_scoped_or_404(Offer, offer_id, current_org())
        claim = claim_service.claim_offer(current_user, offer)
        reveals.record_contact_view(current_user, claim, "api_claim")  # the answer reveals them
        return claim


@offers_blp.route("/<int:offer_id>/decline")
class DeclineOffer(MethodView):
    @offers_blp.arguments(DeclineSchema)
    @offers_blp.response(200, PartnerOfferSchema)
    @offers_blp.doc(summary="Decline with a reason; you are excluded from this lead")
    def post(self, data, offer_id: int):
        offer = get_scoped_or_404(Offer, offer_id, current_org())
        claim_service.decline_offer(current_user, offer, data["reason"], data["text"])
        return offer


@leads_blp.route("")
class ClaimedLeads(MethodView):
    @leads_blp.arguments(ClaimListArgsSchema, location="query")
    @leads_blp.response(200, ClaimPageSchema)
    @leads_blp.doc(summary="Claimed leads (active by default)")
    def get(self, args):
        query = scoped(Claim, current_org()).order_by(Claim.claimed_at.desc(), Claim.id.desc())
        if args["status"] == "active":
            query = query.where(Claim.status == ClaimStatus.ACTIVE)
        page = paginate(query, args["page"], args["per_page"])
        revealed = [claim for claim in page["items"] if claim.status in REVEALING_CLAIM_STATUSES]
        if revealed:
            reveals.record_contact_views(current_user, revealed, "api_read")
        return page


def _claim(claim_id: int) -> Claim:
    return get_scoped_or_404(Claim, claim_id, current_org())


def _answered(claim: Claim) -> Claim:
    """The claim as the answer shows it: an answer that carries the contact details is a disclosure
    to the caller like a read (recorded in the same transaction as the change)."""
    if claim.status in REVEALING_CLAIM_STATUSES:
        reveals.record_contact_view(current_user, claim, "api_read")
    return claim


@leads_blp.route("/<int:claim_id>")
class ClaimedLead(MethodView):
    @leads_blp.response(200, ClaimSchema)
    @leads_blp.doc(summary="A claimed lead with its contact details (reading them is recorded)")
    def get(self, claim_id: int):
        claim = _claim(claim_id)
        if claim.status in REVEALING_CLAIM_STATUSES:
            reveals.record_contact_view(current_user, claim, "api_read")
        return claim


@leads_blp.route("/<int:claim_id>/contacts")
class Contacts(MethodView):
    @leads_blp.arguments(ContactSchema)
    @leads_blp.response(201, ClaimSchema)
    @leads_blp.doc(summary="Log a contact (the first one stops the first-contact clock)")
    def post(self, data, claim_id: int):
        claim = _claim(claim_id)
        claim_service.log_contact(current_user, claim, data["channel"], data["at"], data["note"])
        return _answered(claim)


@leads_blp.route("/<int:claim_id>/status")
class Status(MethodView):
    @leads_blp.arguments(StatusSchema)
    @leads_blp.response(200, ClaimSchema)
    @leads_blp.doc(
        summary="Move the lead on: contacted, meeting, qualified, proposal, won (amount), lost (reason)"
    )
    def post(self, data, claim_id: int):
        claim = _claim(claim_id)
        claim_service.update_status(
            current_user,
            claim,
            data["status"],
            amount=data["amount"],
            currency=data["currency"],
            reason=data["reason"],
            note=data["note"],
        )
        return _answered(claim)


@leads_blp.route("/<int:claim_id>/notes")
class Notes(MethodView):
    @leads_blp.arguments(NoteSchema)
    @leads_blp.response(201, ClaimSchema)
    @leads_blp.doc(summary="Add a note")
    def post(self, data, claim_id: int):
        claim = _claim(claim_id)
        claim_service.add_note(current_user, claim, data["text"])
        return _answered(claim)


@leads_blp.route("/<int:claim_id>/return")
class Return(MethodView):
    @leads_blp.arguments(ReturnSchema)
    @leads_blp.response(200, ClaimSchema)
    @leads_blp.doc(summary="Return the lead to the manufacturer with a reason")
    def post(self, data, claim_id: int):
        claim = _claim(claim_id)
        claim_service.return_lead(current_user, claim, data["reason"])
        return claim


from portal.profile_api import profile_blp  # noqa: E402

API_BLUEPRINTS = [offers_blp, leads_blp, profile_blp, *WEBHOOK_API_BLUEPRINTS, *AVAILABILITY_API_BLUEPRINTS]
