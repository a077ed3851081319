"""What a partner may receive about a lead outside the portal's own pages: webhook bodies and the
text of notifications and e-mails.

The rule, in one place: a partner receives a lead's contact details (the person, e-mail, phone,
street) and the company's identity only while it holds the claim on that lead, or held it to a
close (won or lost). Before its claim, and after its claim was revoked or returned, it receives the
teaser: enough to choose by, nothing to reach the buyer with. Everything sent to a partner is dumped
through one of the two schemas below, chosen by :func:`partner_may_see_contact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from exchange.leads.fields import CLAIMED_FIELDS, TEASER_FIELDS, LeadFieldsSchema
from exchange.leads.fields import CONTACT_FIELDS as CONTACT_FIELDS  # what a caller's extras may not carry
from exchange.models import Claim, ClaimStatus, Lead, Offer, Organisation
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


def webhook_body(
    event_type: str,
    partner_id: int,
    manufacturer: Organisation | None,
    lead: Lead | None,
    offer: Offer | None,
    extra: Mapping[str, Any],
    occurred_at: datetime,
    *,
    reveal: bool,
) -> dict[str, Any]:
    """The JSON a partner's endpoint receives. ``reveal`` is whether this partner holds the claim on
    the lead (:func:`partners_holding_claims`): the contact details are included only then."""
    body: dict[str, Any] = {
        "event": str(event_type),
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "partner_id": partner_id,
    }
    if manufacturer is not None:
        body["manufacturer"] = {"id": manufacturer.id, "name": manufacturer.name}
    if offer is not None:
        body["offer"] = offer_for_partner(offer)
    if lead is not None:
        body["lead"] = lead_payload(lead, reveal=reveal)
    body["data"] = _plain(extra)
    return body


def _plain(value: Any) -> Any:
    """JSON-ready copy of a payload: datetimes as ISO 8601 UTC, Decimals as strings, enums as values."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"payload values are plain data, not {type(value).__name__}")
