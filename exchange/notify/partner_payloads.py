"""What a partner may receive about a lead outside the portal's own pages: webhook bodies and the
text of notifications and e-mails.

The rule, in one place: a partner receives a lead's contact details (the person, e-mail, phone,
street) and the company's identity only while it holds the claim on that lead, or held it to a
close (won or lost). Before its claim, and after its claim was revoked or returned, it receives the
teaser: enough to choose by, nothing to reach the buyer with. Everything sent to a partner is dumped
through one of the two schemas below, chosen by :func:`partner_may_see_contact`.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from exchange.leads.fields import CLAIMED_FIELDS, TEASER_FIELDS, LeadFieldsSchema
from exchange.leads.fields import CONTACT_FIELDS as CONTACT_FIELDS  # what a caller's extras may not carry
from exchange.models import Claim, ClaimStatus, Lead, Offer
from exchange.platform.extensions import db

# Claims that reveal the contact details to the partner holding them.
REVEALING_CLAIM_STATUSES = frozenset({ClaimStatus.ACTIVE, ClaimStatus.WON, ClaimStatus.LOST})


class PartnerLeadTeaserSchema(LeadFieldsSchema):
    """Before the claim: what the partner chooses by (``TEASER_FIELDS``)."""

    class Meta:
        fields = TEASER_FIELDS

    product_interest = ma.fields.Method("_product_interest", allow_none=True)

    def _product_interest(self, lead: Lead) -> str | None:
        return lead.product_line.name if lead.product_line else lead.product_interest


class PartnerClaimedLeadSchema(PartnerLeadTeaserSchema):
    """After this partner's claim: the teaser plus who to call (``CLAIMED_FIELDS``)."""

    class Meta:
        fields = CLAIMED_FIELDS

    contact_details_included = ma.fields.Constant(True)


class PartnerOfferPayloadSchema(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String()
    score = ma.fields.Float()
    explanation = ma.fields.String(allow_none=True)
    wave = ma.fields.Integer()
    claim_deadline = ma.fields.DateTime(allow_none=True)


def partner_may_see_contact(lead: Lead, partner_id: int | None) -> bool:
    """True while ``partner_id`` holds the claim on ``lead`` (or held it until won or lost)."""
    if partner_id is None:
        return False
    return (lead.id, partner_id) in partners_holding_claims({(lead.id, partner_id)})


def partners_holding_claims(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Of these (lead id, partner id) pairs, those where the partner holds the claim on the lead (or
    held it until won or lost): the pairs that may receive the contact details."""
    found: set[tuple[int, int]] = set()
    leads = sorted({lead_id for lead_id, _ in pairs})
    for start in range(0, len(leads), 1000):
        rows = db.session.execute(
            sa.select(Claim.lead_id, Claim.partner_id).where(
                Claim.lead_id.in_(leads[start : start + 1000]), Claim.status.in_(REVEALING_CLAIM_STATUSES)
            )
        )
        found.update((lead_id, partner_id) for lead_id, partner_id in rows if (lead_id, partner_id) in pairs)
    return found


def lead_for_partner(lead: Lead, partner_id: int) -> dict[str, Any]:
    """The lead as ``partner_id`` may receive it: with contact details only after its claim."""
    return lead_payload(lead, reveal=partner_may_see_contact(lead, partner_id))


def lead_payload(lead: Lead, *, reveal: bool) -> dict[str, Any]:
    """The claimed view when ``reveal`` (which must come from :func:`partner_may_see_contact` for the
    receiving partner), the teaser otherwise."""
    return (_CLAIMED if reveal else _TEASER).dump(lead)


def offer_for_partner(offer: Offer) -> dict[str, Any]:
    return _OFFER.dump(offer)


# Schemas hold no per-dump state: one instance each (building one per dump is most of the cost).
_TEASER = PartnerLeadTeaserSchema()
_CLAIMED = PartnerClaimedLeadSchema()
_OFFER = PartnerOfferPayloadSchema()


def refuse_contact_details(value: Any, path: str = "payload") -> None:
    """Raise ``ValueError`` if ``value`` carries a contact field anywhere (keys, at any depth).

    Callers pass extra plain data along with an event; the lead itself is always rendered here, so
    an extra payload that names a contact field is a programming error, not something to send."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in CONTACT_FIELDS or key == "lead":
                raise ValueError(f"{path}.{key}: lead data goes through the partner-safe schemas only")
            refuse_contact_details(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            refuse_contact_details(item, f"{path}[{index}]")
