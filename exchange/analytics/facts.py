"""Keeping ``lead_facts`` (``exchange.models.analytics``) current: one row per published lead, derived
from its events and its lead, offer and claim rows.

When: every transaction that records an event for a lead refreshes that lead's row before it commits
(a session hook below), so the figures are current the moment the event is, and a rolled-back
transaction leaves no trace. Events written with bulk ``INSERT`` statements bypass the hook (imports,
the reveal audit; none of them changes a figure); code that does so for a transition that matters
calls :func:`touch`. The periodic ``analytics.catch_up`` job adds rows for published leads that have
none (after an upgrade, or data loaded around the hook), and ``flask analytics rebuild`` recomputes
every row from scratch with the same function: the figures are reproducible from the event log.

What each column means is in ``docs/metrics.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from exchange.models import (
    Claim,
    ClaimStatus,
    Enrollment,
    Event,
    Lead,
    LeadFact,
    LeadStatus,
    Offer,
    OfferState,
    Organisation,
    Temperature,
    Tier,
)
from exchange.platform import clock, unit_of_work
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db
from exchange.sla.vocabulary import SlaClock

CHUNK = 2000
_SESSION_KEY = "analytics_touched_leads"
_LOCK_SPACE = 0x4C46  # first key of the advisory locks of lead_facts refreshes ("LF")
LOCK_STRIPES = 512

# One bit per tier in ``LeadFact.offered_tiers`` (the tiers of the partners a lead was offered to).
TIER_BITS = {tier: 1 << index for index, tier in enumerate(Tier)}
# Reaching one of these counts as "qualified" in the funnel (a lead won without the step was too).
QUALIFIED_OR_LATER = {LeadStatus.QUALIFIED.value, LeadStatus.PROPOSAL.value, LeadStatus.WON.value}
_READ_EVENTS = (
    LeadEvent.LEAD_PUBLISHED.value,
    LeadEvent.LEAD_UNCLAIMED.value,
    LeadEvent.LEAD_RECYCLED.value,
    LeadEvent.LEAD_STATUS_CHANGED.value,
    LeadEvent.LEAD_WON.value,
    LeadEvent.SLA_BREACHED.value,
)


def touch(lead_ids: Iterable[int], session: Session | None = None) -> None:
    """Refresh these leads' rows when the current transaction commits."""
    session = session or db.session()
    session.info.setdefault(_SESSION_KEY, set()).update(i for i in lead_ids if i is not None)


@sa_event.listens_for(Session, "before_flush")
def _collect(session: Session, flush_context: Any, instances: Any) -> None:  # noqa: ARG001
    touched = {obj.lead_id for obj in session.new if isinstance(obj, Event) and obj.lead_id is not None}
    if touched:
        session.info.setdefault(_SESSION_KEY, set()).update(touched)


@sa_event.listens_for(Session, "before_commit")
def _refresh_touched(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()  # the events of this transaction, and who touched them
    touched = session.info.pop(_SESSION_KEY, None)
    if touched:
        refresh(sorted(touched), session=session)


@sa_event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_SESSION_KEY, None)


def refresh(lead_ids: Sequence[int], *, session: Session | None = None) -> int:
    """Recompute the rows of these leads (a lead not or no longer published loses its row); returns
    how many rows were written."""
    session = session or db.session()
    written = 0
    upsert = _upsert(session)
    postgres = session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(lead_ids), CHUNK):
        chunk = list(lead_ids[start : start + CHUNK])
        if postgres:
            _lock(session, chunk)
        rows = _compute(session, chunk)
        gone = set(chunk) - {row["lead_id"] for row in rows}
        if gone:
            session.execute(sa.delete(LeadFact).where(LeadFact.lead_id.in_(sorted(gone))))
        if rows:
            session.connection().execute(upsert, rows)  # Core executemany: one statement for the chunk
        written += len(rows)
    return written


def _lock(session: Session, lead_ids: list[int]) -> None:
    """PostgreSQL: one refresh of a lead at a time. Without it a transaction could read the lead while
    another, whose row is written but not yet committed, holds its changes back; its upsert then waits
    for that one and overwrites its row with figures that miss them. After the lock, the reads below see
    what the other committed. The locks are transaction-scoped advisory locks on ``LOCK_STRIPES``
    stripes of the lead ids (``id % LOCK_STRIPES``), taken in order (no deadlock): a transaction that
    touches ten thousand leads holds at most ``LOCK_STRIPES`` locks, well inside PostgreSQL's lock table
    (``max_locks_per_transaction`` x connections, 6,400 by default)."""
    stripes = sorted({lead_id % LOCK_STRIPES for lead_id in lead_ids})
    session.execute(
        sa.text(
            "SELECT pg_advisory_xact_lock(:space, stripe) FROM "
            "(SELECT unnest(CAST(:stripes AS integer[])) AS stripe ORDER BY 1) AS locked"
        ),
        {"space": _LOCK_SPACE, "stripes": stripes},
    )


def _upsert(session: Session) -> sa.Insert:
    """INSERT ... ON CONFLICT (lead_id) DO UPDATE: two transactions refreshing one lead at once (a
    partner's first contact and the sweep) both succeed, the later one's row wins."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LeadFact)
    columns = [column.name for column in LeadFact.__table__.columns if column.name != "lead_id"]
    return statement.on_conflict_do_update(
        index_elements=[LeadFact.lead_id], set_={name: statement.excluded[name] for name in columns}
    )


def rebuild(
    manufacturer_id: int | None = None, *, session: Session | None = None, steps: bool = False
) -> int:
    """Recompute every row (of one programme) from the events and the lead, offer and claim rows. With
    ``steps`` each chunk is committed on its own (the nightly job and the CLI: a long rebuild never holds
    the refresh locks for long); without, everything stays in the caller's transaction."""
    session = session or db.session()
    query = sa.select(Lead.id).where(Lead.published_at.is_not(None)).order_by(Lead.id)
    if manufacturer_id is not None:
        query = query.where(Lead.manufacturer_id == manufacturer_id)
    ids = list(session.scalars(query))
    stale = sa.delete(LeadFact)
    if manufacturer_id is not None:
        stale = stale.where(LeadFact.manufacturer_id == manufacturer_id)
    session.execute(
        stale.where(LeadFact.lead_id.not_in(sa.select(Lead.id).where(Lead.published_at.is_not(None))))
    )
    return _refresh_in_steps(ids) if steps else refresh(ids, session=session)


def _refresh_in_steps(lead_ids: list[int]) -> int:
    """Refresh chunk by chunk, each committed (jobs and the CLI: ``unit_of_work.checkpoint``)."""
    written = 0
    for start in range(0, len(lead_ids), CHUNK):
        written += refresh(lead_ids[start : start + CHUNK])
        unit_of_work.checkpoint()
    return written


def catch_up(limit: int = 20_000) -> dict[str, int]:
    """Job: rows for published leads that have none yet (committed chunk by chunk)."""
    missing = list(
        db.session.scalars(
            sa.select(Lead.id)
            .where(Lead.published_at.is_not(None))
            .where(~sa.exists().where(LeadFact.lead_id == Lead.id))
            .order_by(Lead.id)
            .limit(limit)
        )
    )
    return {"refreshed": _refresh_in_steps(missing)}


def rebuild_all() -> dict[str, int]:
    """Nightly job: every row again (heals anything written around the hook), chunk by chunk."""
    return {"refreshed": rebuild(steps=True)}


def _compute(session: Session, lead_ids: list[int]) -> list[dict[str, Any]]:
    core = session.connection()  # Core rows: the reads need no ORM result processing
    leads = core.execute(
        sa.select(
            Lead.id,
            Lead.manufacturer_id,
            Lead.campaign_id,
            Lead.product_line_id,
            Lead.country,
            Lead.region,
            Lead.temperature,
            Lead.status,
            Lead.published_at,
            Lead.closed_at,
            Lead.won_amount,
            Lead.won_currency,
            Lead.estimated_value,
            Lead.currency,
            Organisation.timezone,
        )
        .join(Organisation, Organisation.id == Lead.manufacturer_id)
        .where(Lead.id.in_(lead_ids), Lead.published_at.is_not(None))
    ).all()
    if not leads:
        return []
    ids = [lead.id for lead in leads]
    offers = _offers(session, ids)
    claims = _claims(session, ids)
    history = _history(session, ids)
    now = clock.now()
    zones: dict[str, ZoneInfo] = {}
    rows = []
    for lead in leads:
        zone = zones.get(lead.timezone) or zones.setdefault(lead.timezone, _zone(lead.timezone))
        seen = history.get(lead.id, {})
        published_at = seen.get("published_at") or lead.published_at
        offer = offers.get(lead.id, {})
        claim = claims.get(lead.id, {})
        claimed_at = claim.get("claimed_at")
        contacted_at = claim.get("contacted_at")
        status = LeadStatus(lead.status)
        rows.append(
            {
                "lead_id": lead.id,
                "manufacturer_id": lead.manufacturer_id,
                "campaign_id": lead.campaign_id,
                "product_line_id": lead.product_line_id,
                "country": lead.country,
                "region": lead.region,
                "temperature": seen.get("temperature") or Temperature(lead.temperature),
                "status": status,
                "published_at": published_at,
                "published_day": published_at.astimezone(zone).date(),
                "offered_tiers": offer.get("tiers", 0),
                "offers": offer.get("offers", 0),
                "declines": offer.get("declines", 0),
                "lapsed_offers": offer.get("lapsed", 0),
                "first_offered_at": offer.get("first_offered_at"),
                "claimed_at": claimed_at,
                "claimed_partner_id": claim.get("partner_id"),
                "claim_seconds": _seconds(published_at, claimed_at),
                "contacted_at": contacted_at,
                "contact_seconds": _seconds(published_at, contacted_at),
                "first_contact_met": claim.get("met", 0),
                "first_contact_missed": claim.get("missed", 0),
                "update_breaches": seen.get("update_breaches", 0),
                "recycled": seen.get("recycled", 0),
                "returned": claim.get("returned", 0),
                "unclaimed_at": seen.get("unclaimed_at"),
                "qualified_at": seen.get("qualified_at")
                or (lead.closed_at if status == LeadStatus.WON else None),
                "won_at": lead.closed_at if status == LeadStatus.WON else None,
                "lost_at": lead.closed_at if status == LeadStatus.LOST else None,
                "won_amount": lead.won_amount if status == LeadStatus.WON else None,
                "won_currency": (lead.won_currency or lead.currency) if status == LeadStatus.WON else None,
                "estimated_value": lead.estimated_value,
                "currency": lead.currency,
                "computed_at": now,
            }
        )
    return rows


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def _offers(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    core = session.connection()
    rows = core.execute(
        sa.select(Offer.lead_id, Offer.state, Offer.visible_from, Enrollment.tier)
        .outerjoin(
            Enrollment,
            sa.and_(
                Enrollment.partner_id == Offer.partner_id, Enrollment.manufacturer_id == Offer.manufacturer_id
            ),
        )
        .where(Offer.lead_id.in_(ids), Offer.visible_from.is_not(None))
    ).all()
    for lead_id, state, visible_from, tier in rows:
        entry = found.setdefault(
            lead_id, {"offers": 0, "declines": 0, "lapsed": 0, "tiers": 0, "first_offered_at": None}
        )
        entry["offers"] += 1
        entry["declines"] += state == OfferState.DECLINED
        entry["lapsed"] += state == OfferState.EXPIRED
        if tier is not None:
            entry["tiers"] |= TIER_BITS[Tier(tier)]
        first = entry["first_offered_at"]
        entry["first_offered_at"] = visible_from if first is None or visible_from < first else first
    return found


def _claims(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    core = session.connection()
    rows = core.execute(
        sa.select(
            Claim.lead_id,
            Claim.partner_id,
            Claim.status,
            Claim.claimed_at,
            Claim.first_contact_at,
            Claim.first_contact_deadline,
            Claim.first_contact_breached_at,
        )
        .where(Claim.lead_id.in_(ids))
        .order_by(Claim.lead_id, Claim.claimed_at, Claim.id)
    ).all()
    for row in rows:
        entry = found.get(row.lead_id)
        if entry is None:  # the first claim (ordered by time)
            entry = found[row.lead_id] = {
                "claimed_at": row.claimed_at,
                "partner_id": row.partner_id,
                "contacted_at": None,
                "met": 0,
                "missed": 0,
                "returned": 0,
            }
        contacted, deadline = row.first_contact_at, row.first_contact_deadline
        if contacted is not None and (entry["contacted_at"] is None or contacted < entry["contacted_at"]):
            entry["contacted_at"] = contacted
        if row.first_contact_breached_at is not None or (
            contacted is not None and deadline is not None and contacted > deadline
        ):
            entry["missed"] += 1
        elif contacted is not None:
            entry["met"] += 1
        entry["returned"] += row.status == ClaimStatus.RETURNED
    return found


def _history(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    core = session.connection()
    rows = core.execute(
        sa.select(Event.lead_id, Event.type, Event.occurred_at, Event.data)
        .where(Event.lead_id.in_(ids), Event.type.in_(_READ_EVENTS))
        .order_by(Event.lead_id, Event.id)
    ).all()
    for lead_id, type_, at, data in rows:
        entry = found[lead_id]
        data = data or {}
        if type_ == LeadEvent.LEAD_PUBLISHED:
            if "published_at" not in entry:  # the first publication
                entry["published_at"] = at
                if data.get("temperature") in Temperature._value2member_map_:
                    entry["temperature"] = Temperature(data["temperature"])
        elif type_ == LeadEvent.LEAD_UNCLAIMED:
            entry.setdefault("unclaimed_at", at)
        elif type_ == LeadEvent.LEAD_RECYCLED:
            entry["recycled"] = entry.get("recycled", 0) + 1
        elif type_ == LeadEvent.SLA_BREACHED:
            if data.get("clock") == SlaClock.UPDATE.value:
                entry["update_breaches"] = entry.get("update_breaches", 0) + 1
        elif type_ == LeadEvent.LEAD_WON or data.get("to") in QUALIFIED_OR_LATER:
            entry.setdefault("qualified_at", at)
    return found
