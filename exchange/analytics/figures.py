"""The figures people steer by, each defined once: every page, the API and matching read them here.

A rate is a share of the *decided* cases only (running work is not counted against anyone); with
nothing decided there is no figure (``None``), which pages show as "–" with the reason from
``NO_FIGURE`` - never as 0 %.

- response rate: of the decided offers (a partner's) or leads (a campaign's, the programme's), the share
  claimed; an offer is decided once claimed, declined or lapsed, a lead once claimed or run out of waves.
- SLA compliance: of the decided first-contact clocks, the share met. A clock is met when first contact
  was logged by its deadline, missed when the deadline passed first (whether or not the sweep had
  recorded it yet); a claim given back before its deadline leaves its clock undecided.
- SLA breaches: the deadlines missed - the missed first-contact clocks and the missed update clocks.
  So a compliance under 100 % always comes with breaches.
- win rate: of the closed leads (won or lost), the share won.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exchange.models import Claim, Event
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla.vocabulary import SlaClock

NO_FIGURE = {
    "response_rate": _l("no decided offers yet"),
    "lead_response_rate": _l("no lead claimed or run out of waves yet"),
    "decline_rate": _l("no decided offers yet"),
    "sla_compliance": _l("no decided clocks yet"),
    "breaches": _l("no decided clocks yet"),
    "return_rate": _l("no claims yet"),
    "win_rate": _l("no lead won or lost yet"),
    "claim_minutes_median": _l("no claims yet"),
    "contact_minutes_median": _l("no first contact yet"),
}


def share(part: int, decided: int) -> float | None:
    """``part`` of ``decided``; ``None`` while nothing is decided."""
    return part / decided if decided else None


def response_rate(claimed: int, decided: int) -> float | None:
    """Of the decided offers or leads, the share claimed."""
    return share(claimed, decided)


def win_rate(won: int, lost: int) -> float | None:
    """Of the closed leads, the share won."""
    return share(won, won + lost)


def first_contact_clock(claim: Any, now: datetime) -> bool | None:
    """``True`` met, ``False`` missed, ``None`` not decided (still running, or the claim ended first).
    ``claim`` has ``first_contact_at``, ``first_contact_deadline``, ``first_contact_breached_at`` and
    ``ended_at`` (a :class:`Claim` or a row of those columns)."""
    deadline, contacted = claim.first_contact_deadline, claim.first_contact_at
    if claim.first_contact_breached_at is not None:
        return False
    if contacted is not None:
        return deadline is None or contacted <= deadline
    if deadline is None or deadline > now:
        return None
    ended = claim.ended_at
    return None if ended is not None and ended < deadline else False


@dataclass(frozen=True)
class SlaFigures:
    met: int = 0
    missed: int = 0  # first-contact clocks
    update_breaches: int = 0

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def compliance(self) -> float | None:
        return share(self.met, self.decided)

    @property
    def breaches(self) -> int | None:
        """Missed deadlines; ``None`` while no clock was decided (nothing to count yet)."""
        count = self.missed + self.update_breaches
        return count if count or self.decided else None


def sla_figures(
    manufacturer_id: int, since: datetime, now: datetime, partner_id: int | None = None
) -> SlaFigures:
    """The SLA figures of a programme (or of one partner in it) for the claims made since ``since``."""
    where = [Claim.manufacturer_id == manufacturer_id, Claim.claimed_at >= since]
    if partner_id is not None:
        where.append(Claim.partner_id == partner_id)
    rows = db.session.execute(
        sa.select(
            Claim.first_contact_at,
            Claim.first_contact_deadline,
            Claim.first_contact_breached_at,
            Claim.ended_at,
        ).where(*where)
    ).all()
    clocks = [first_contact_clock(row, now) for row in rows]
    events = [
        Event.manufacturer_id == manufacturer_id,
        Event.type == LeadEvent.SLA_BREACHED,
        Event.occurred_at >= since,
        Event.claim_id.in_(sa.select(Claim.id).where(*where)),
    ]
    if partner_id is not None:
        events.append(Event.partner_id == partner_id)
    breached = db.session.execute(sa.select(Event.data).where(*events)).scalars().all()
    return SlaFigures(
        met=sum(1 for c in clocks if c is True),
        missed=sum(1 for c in clocks if c is False),
        update_breaches=sum(1 for data in breached if (data or {}).get("clock") == SlaClock.UPDATE),
    )
