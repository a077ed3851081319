"""The partner side of the REST API."""

from __future__ import annotations

from flask.views import MethodView

from exchange.api import api_blueprint
from exchange.models import Offer, OfferState
from exchange.models.enums import PARTNER_ROLES
from exchange.schemas import PageArgsSchema, paginate
from exchange.tenancy import current_org, scoped
from portal.schemas import OfferPageSchema
from portal.webhooks_api import API_BLUEPRINTS as WEBHOOK_API_BLUEPRINTS

offers_blp = api_blueprint(
    "api_partner_offers", __name__, "/api/v1/partner/offers", "A partner's offers", roles=PARTNER_ROLES
)


@offers_blp.route("")
class Offers(MethodView):
    @offers_blp.arguments(PageArgsSchema, location="query")
    @offers_blp.response(200, OfferPageSchema)
    @offers_blp.doc(summary="The offers open to this partner now, best first")
    def get(self, args):
        query = (
            scoped(Offer, current_org())
            .where(Offer.state == OfferState.OPEN)
            .order_by(Offer.score.desc(), Offer.id)
        )
        return paginate(query, args["page"], args["per_page"])


from portal.profile_api import profile_blp  # noqa: E402

API_BLUEPRINTS = [offers_blp, profile_blp, *WEBHOOK_API_BLUEPRINTS]
