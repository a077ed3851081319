"""All models, importable from one place (``from exchange.models import Lead``)."""

from sqlalchemy import event as _sa_event
from sqlalchemy.orm import Session as _Session

from exchange.models.analytics import LeadFact
from exchange.models.base import Base, UTCDateTime
from exchange.models.enums import (
    CLAIMED_STATUSES,
    CLOSED_STATUSES,
    EXCLUDING_OFFER_STATES,
    IN_PROGRESS_STATUSES,
    MANUFACTURER_ROLES,
    PARTNER_ROLES,
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    DeliveryStatus,
    DigestFrequency,
    EnrollmentStatus,
    JobStatus,
    LeadStatus,
    OfferState,
    OrgKind,
    Role,
    Segment,
    SizeBand,
    Temperature,
    Tier,
    TokenScope,
)
from exchange.models.event import Event
from exchange.models.integration import Notification, WebhookDelivery, WebhookEndpoint
from exchange.models.job import OutboxJob
from exchange.models.lead import Campaign, Lead
from exchange.models.lead_import import ImportStatus, LeadImport
from exchange.models.offer import Claim, Offer
from exchange.models.organisation import (
    CoverageArea,
    Enrollment,
    ManufacturerProgram,
    Organisation,
    PartnerProfile,
    ProductLine,
    enrollment_product_lines,
)
from exchange.models.sla import DEFAULT_SLA_POLICIES, SlaPolicy
from exchange.models.user import ApiToken, User


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete an event."""


@_sa_event.listens_for(_Session, "before_flush")
def _events_are_append_only(session, flush_context, instances):  # noqa: ARG001
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, Event) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError("events are append-only")


__all__ = [
    "CLAIMED_STATUSES",
    "CLOSED_STATUSES",
    "EXCLUDING_OFFER_STATES",
    "IN_PROGRESS_STATUSES",
    "MANUFACTURER_ROLES",
    "PARTNER_ROLES",
    "DEFAULT_SLA_POLICIES",
    "ApiToken",
    "AppendOnlyError",
    "Base",
    "Campaign",
    "Claim",
    "ClaimStatus",
    "ContactChannel",
    "CoverageArea",
    "DeclineReason",
    "DeliveryStatus",
    "DigestFrequency",
    "Enrollment",
    "EnrollmentStatus",
    "Event",
    "ImportStatus",
    "JobStatus",
    "Lead",
    "LeadFact",
    "LeadImport",
    "LeadStatus",
    "ManufacturerProgram",
    "Notification",
    "Offer",
    "OfferState",
    "OrgKind",
    "Organisation",
    "OutboxJob",
    "PartnerProfile",
    "ProductLine",
    "Role",
    "Segment",
    "SizeBand",
    "SlaPolicy",
    "Temperature",
    "Tier",
    "TokenScope",
    "UTCDateTime",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "enrollment_product_lines",
]
