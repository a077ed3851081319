"""The vocabularies of the domain. Stored as their string values."""

from __future__ import annotations

import enum


class OrgKind(enum.StrEnum):
    MANUFACTURER = "manufacturer"
    PARTNER = "partner"


class Role(enum.StrEnum):
    MANUFACTURER_ADMIN = "manufacturer_admin"
    CHANNEL_MANAGER = "channel_manager"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_REP = "partner_rep"

    @property
    def org_kind(self) -> OrgKind:
        return OrgKind.MANUFACTURER if self in MANUFACTURER_ROLES else OrgKind.PARTNER


MANUFACTURER_ROLES = frozenset({Role.MANUFACTURER_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_REP})


class Tier(enum.StrEnum):
    """Partner tiers, best first. ``rank`` orders them (higher is better)."""

    PLATINUM = "platinum"
    GOLD = "gold"
    SILVER = "silver"
    REGISTERED = "registered"

    @property
    def rank(self) -> int:
        return {"platinum": 3, "gold": 2, "silver": 1, "registered": 0}[self.value]


class EnrollmentStatus(enum.StrEnum):
    """A partner's membership in one programme: invited -> active -> suspended -> ended, or declined.
    Only ``active`` receives offers (docs/enrollment.md)."""

    PENDING = "pending"  # legacy: treated like ``invited``; nothing writes it any more
    INVITED = "invited"  # the manufacturer invited the partner; its admin has not accepted yet
    ACTIVE = "active"
    SUSPENDED = "suspended"  # no new offers for now; the manufacturer may reactivate
    ENDED = "ended"  # the partnership is over (the manufacturer may invite again)
    DECLINED = "declined"  # the partner's admin declined the invitation


class Temperature(enum.StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class Segment(enum.StrEnum):
    SMALL = "small"
    MID_MARKET = "mid_market"
    ENTERPRISE = "enterprise"


class SizeBand(enum.StrEnum):
    """Company size bands by head count (EU SME thresholds)."""

    MICRO = "micro"  # < 10
    SMALL = "small"  # < 50
    MEDIUM = "medium"  # < 250
    LARGE = "large"  # >= 250

    @classmethod
    def for_employees(cls, employees: int | None) -> SizeBand | None:
        if employees is None:
            return None
        if employees < 10:
            return cls.MICRO
        if employees < 50:
            return cls.SMALL
        if employees < 250:
            return cls.MEDIUM
        return cls.LARGE


class LeadStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # published, matching not yet done or no wave open
    OFFERED = "offered"  # a wave (or the open pool) is open
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    MEETING = "meeting"
    QUALIFIED = "qualified"
    PROPOSAL = "proposal"
    WON = "won"
    LOST = "lost"
    RETURNED = "returned"  # handed back by the claiming partner
    UNCLAIMED = "unclaimed"  # no partner claimed it after the last wave: leakage
    WITHDRAWN = "withdrawn"  # taken back by the manufacturer


# A partner is working the lead (counts against its capacity).
IN_PROGRESS_STATUSES = frozenset(
    {
        LeadStatus.CLAIMED,
        LeadStatus.CONTACTED,
        LeadStatus.MEETING,
        LeadStatus.QUALIFIED,
        LeadStatus.PROPOSAL,
    }
)
CLOSED_STATUSES = frozenset({LeadStatus.WON, LeadStatus.LOST, LeadStatus.WITHDRAWN})
# A partner claimed the lead, whatever happened since (worked, closed, or handed back).
CLAIMED_STATUSES = IN_PROGRESS_STATUSES | {LeadStatus.WON, LeadStatus.LOST, LeadStatus.RETURNED}


class OfferState(enum.StrEnum):
    PENDING = "pending"  # ranked, in a later wave, not visible yet
    OPEN = "open"  # visible, claimable until the claim deadline
    CLAIMED = "claimed"  # this partner won the claim
    TAKEN = "taken"  # another partner claimed the lead
    DECLINED = "declined"
    EXPIRED = "expired"  # the wave lapsed unclaimed
    RECYCLED = "recycled"  # this partner's claim was revoked on an SLA breach
    RETURNED = "returned"  # this partner handed the lead back
    WITHDRAWN = "withdrawn"  # the manufacturer withdrew the lead


# Offers in these states exclude the partner from the lead for good.
EXCLUDING_OFFER_STATES = frozenset({OfferState.DECLINED, OfferState.RECYCLED, OfferState.RETURNED})


class ClaimStatus(enum.StrEnum):
    ACTIVE = "active"
    WON = "won"
    LOST = "lost"
    RETURNED = "returned"
    REVOKED = "revoked"  # recycled after an SLA breach


class DeclineReason(enum.StrEnum):
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"
    OUTSIDE_TERRITORY = "outside_territory"
    NOT_OUR_PRODUCT_LINE = "not_our_product_line"
    NO_CAPACITY = "no_capacity"
    BAD_DATA = "bad_data"
    OTHER = "other"


class ContactChannel(enum.StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"


class BreachAction(enum.StrEnum):
    REMIND = "remind"  # remind only, keep the lead where it is
    RECYCLE = "recycle"  # revoke and move the lead to the next wave


class JobStatus(enum.StrEnum):
    PENDING = "pending"  # in the outbox, waiting to be handed to a queue
    ENQUEUED = "enqueued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # gave up after the last attempt; visible to operators


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TokenScope(enum.StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class DigestFrequency(enum.StrEnum):
    IMMEDIATE = "immediate"
    HOURLY = "hourly"
    DAILY = "daily"
    OFF = "off"
