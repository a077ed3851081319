"""What the lifecycle tells partners and channel managers (bell, e-mail, webhooks).

One function per business event, called inside the transaction of the change. The events are
collected on the session and, when it commits, handed to one ``notifications.publish`` job per
batch (written in the same transaction, so they go out exactly when the change lands). The job fans
them out with :func:`exchange.notify.notifications.publish_events`; the lifecycle itself (a
claim, a sweep over ten thousand due clocks) does not wait for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from exchange.models import Claim, Lead, Offer, User
from exchange.notify.batches import by_id
from exchange.notify.kinds import NotificationKind
from exchange.notify.notifications import BusinessEvent, publish_events
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY
from exchange.sla.vocabulary import SlaClock

_SESSION_KEY = "exchange.announce"
BATCH = 500


def _queue(
    event_type: NotificationKind,
    lead: Lead,
    *,
    partner_id: int,
    offer: Offer | None = None,
    payload: dict[str, Any] | None = None,
    actor: User | None = None,
    users: list[User] | None = None,
    notify_manufacturer: bool = True,
) -> None:
    plain = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in (payload or {}).items()
    }
    db.session.info.setdefault(_SESSION_KEY, []).append(
        {
            "event_type": event_type.value,
            "lead_id": lead.id,
            "offer_id": offer.id if offer is not None else None,
            "partner_id": partner_id,
            "payload": plain,
            "actor_id": actor.id if actor is not None else None,
            "user_ids": [user.id for user in users] if users else None,
            "notify_manufacturer": notify_manufacturer,
        }
    )


def offer_created(lead: Lead, offer: Offer) -> None:
    _queue(
        NotificationKind.OFFER_CREATED,
        lead,
        partner_id=offer.partner_id,
        offer=offer,
        payload={"deadline": offer.claim_deadline, "wave": offer.wave},
    )


def offer_expiring(lead: Lead, offer: Offer) -> None:
    _queue(
        NotificationKind.OFFER_EXPIRING,
        lead,
        partner_id=offer.partner_id,
        offer=offer,
        payload={"deadline": offer.claim_deadline, "sla": SlaClock.CLAIM.payload_name},
    )


def lead_claimed(lead: Lead, claim: Claim, actor: User | None = None) -> None:
    _queue(
        NotificationKind.LEAD_CLAIMED,
        lead,
        partner_id=claim.partner_id,
        offer=claim.offer,
        actor=actor,
        payload={"deadline": claim.first_contact_deadline, "claim_id": claim.id},
    )


def claim_reminder(lead: Lead, claim: Claim, clock_name: SlaClock) -> None:
    deadline = (
        claim.first_contact_deadline if clock_name is SlaClock.FIRST_CONTACT else claim.next_update_deadline
    )
    _queue(
        NotificationKind.CLAIM_REMINDER,
        lead,
        partner_id=claim.partner_id,
        payload={"deadline": deadline, "sla": clock_name.payload_name, "claim_id": claim.id},
    )


def sla_breached(lead: Lead, claim: Claim, clock_name: SlaClock, recycled: bool) -> None:
    deadline = (
        claim.first_contact_deadline if clock_name is SlaClock.FIRST_CONTACT else claim.next_update_deadline
    )
    terms = lead.sla_terms or {}
    _queue(
        NotificationKind.SLA_BREACHED,
        lead,
        partner_id=claim.partner_id,
        payload={
            "deadline": deadline,
            "sla": clock_name.payload_name,
            "recycled": recycled,
            "claim_id": claim.id,
        },
        notify_manufacturer=bool(terms.get("notify_channel_manager", True)),
    )


def lead_recycled(lead: Lead, claim: Claim, clock_name: SlaClock) -> None:
    _queue(
        NotificationKind.LEAD_RECYCLED,
        lead,
        partner_id=claim.partner_id,
        payload={"sla": clock_name.payload_name, "claim_id": claim.id},
    )


def lead_assigned(lead: Lead, claim: Claim, assignee: User, actor: User) -> None:
    _queue(
        NotificationKind.LEAD_ASSIGNED,
        lead,
        partner_id=claim.partner_id,
        actor=actor,
        users=[assignee],
        payload={"claim_id": claim.id},
        notify_manufacturer=False,
    )


@sa_event.listens_for(Session, "before_commit")
def _hand_over(session: Session) -> None:
    queued = session.info.pop(_SESSION_KEY, None)
    if not queued:
        return
    for start in range(0, len(queued), BATCH):
        enqueue("notifications.publish", queued[start : start + BATCH], queue=QUEUE_NOTIFY, session=session)


@sa_event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_SESSION_KEY, None)


def publish_queued(events: list[dict[str, Any]]) -> dict[str, int]:
    """Job: publish a batch of queued lifecycle events."""
    leads = by_id(Lead, {e["lead_id"] for e in events})
    offers = by_id(Offer, {e["offer_id"] for e in events if e["offer_id"]})
    users = by_id(
        User,
        {e["actor_id"] for e in events if e["actor_id"]}
        | {uid for e in events for uid in (e["user_ids"] or [])},
    )
    business = []
    for e in events:
        lead = leads.get(e["lead_id"])
        if lead is None:
            continue  # deleted since
        payload = dict(e["payload"])
        if isinstance(payload.get("deadline"), str):
            payload["deadline"] = datetime.fromisoformat(payload["deadline"])
        business.append(
            BusinessEvent(
                e["event_type"],
                partner_id=e["partner_id"],
                lead=lead,
                offer=offers.get(e["offer_id"]),
                payload=payload,
                actor=users.get(e["actor_id"]),
                users=[users[uid] for uid in e["user_ids"] if uid in users] if e["user_ids"] else None,
                notify_manufacturer=e["notify_manufacturer"],
            )
        )
    publications = publish_events(business)
    return {
        "events": len(business),
        # Grouped entries are shared by the events that joined them: count each row once.
        "notifications": len({n.id for p in publications for n in p.notifications}),
        "deliveries": sum(len(p.deliveries) for p in publications),
    }
