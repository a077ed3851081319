"""How many leads a partner may claim: active claims against its capacity, overdue first contacts, and
the lock that serialises one partner's claims so that capacity is checked, then used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.analytics.figures import in_progress_counts
from exchange.models import Claim, ClaimStatus, PartnerProfile
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


def in_progress_count(partner_id: int) -> int:
    return in_progress_counts([partner_id]).get(partner_id, 0)


def overdue_uncontacted_count(partner_id: int, now: datetime) -> int:
    """Active claims of the partner whose first-contact deadline has passed without a contact."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Claim)
            .where(
                Claim.partner_id == partner_id,
                Claim.status == ClaimStatus.ACTIVE,
                Claim.first_contact_at.is_(None),
                Claim.first_contact_deadline < now,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class ClaimBlockers:
    """What stops a partner from claiming another lead now: capacity used up, first contacts overdue."""

    in_progress: int
    capacity: int
    overdue: int

    @property
    def at_capacity(self) -> bool:
        return self.in_progress >= self.capacity

    @property
    def blocked(self) -> bool:
        return self.at_capacity or self.overdue > 0

    def messages(self) -> list[str]:
        """Why a claim would fail, in the words the claim itself answers with."""
        reasons = []
        if self.at_capacity:
            reasons.append(
                _(
                    "You are at capacity (%(n)d leads in progress). Close or return a lead first.",
                    n=self.capacity,
                )
            )
        if self.overdue:
            reasons.append(
                _(
                    "Log the first contact on %(n)d overdue claimed lead(s) before claiming more.",
                    n=self.overdue,
                )
            )
        return reasons


def claim_blockers(partner_id: int, capacity: int, now: datetime | None = None) -> ClaimBlockers:
    """The one rule for whether a partner may claim more: shown on the list before a click and
    enforced by :func:`claim_offer`."""
    return ClaimBlockers(
        in_progress=in_progress_count(partner_id),
        capacity=capacity,
        overdue=overdue_uncontacted_count(partner_id, now or clock.now()),
    )


def lock_partner(partner_id: int) -> PartnerProfile:
    """Serialise one partner's claims (capacity is checked, then used): a row lock on PostgreSQL;
    on SQLite, where ``FOR UPDATE`` is a no-op, the database's write lock taken before anything is
    read (a write as the transaction's first statement waits for the lock, then sees every commit)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            sa.text("UPDATE partner_profiles SET partner_id = partner_id WHERE partner_id = :id"),
            {"id": partner_id},
        )
    profile = db.session.scalar(
        sa.select(PartnerProfile).where(PartnerProfile.partner_id == partner_id).with_for_update()
    )
    if profile is None:
        raise DomainError(_("This partner has no profile."))
    return profile
