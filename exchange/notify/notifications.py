"""Notifications: the one entry point the lead lifecycle calls when something happened that people or
a partner's systems should hear about. :func:`publish_event` fans one business event out to

- in-app notifications (the bell) for the users it concerns: the partner's admins and reps, and the
  manufacturer's channel managers for kinds that concern them (``sla.breached``); only users who may
  hear about leads at all (:func:`exchange.notify.audience.may_be_notified`: not invited, not deactivated);
- kinds that come in floods (new offers, closing claim windows) are grouped: a partner user gets one
  entry per kind and hour ("12 new leads waiting for you", linking to the pull list) whose count
  grows as more offers arrive; hot leads still get an entry each;
- e-mail, per user preference: immediately, or collected into an hourly or daily digest (hot leads
  and service notices always immediately); the ``notifications.send_due`` job sends them;
- the partner's webhooks subscribed to the event (``webhooks.deliver`` jobs, one per delivery).

It runs inside the caller's transaction and only adds rows and outbox jobs: nothing leaves the
building unless the caller commits. Lead data sent to a partner is dumped through the partner-safe
schemas of :mod:`exchange.notify.partner_payloads`: contact details only after that partner's claim.

    from exchange.notify.kinds import NotificationKind as Kind
    from exchange.notify.notifications import publish_event

    publish_event(Kind.OFFER_CREATED, offer=offer)                     # partner and lead from the offer
    publish_event(Kind.LEAD_CLAIMED, offer=offer, actor=current_user)  # the claimer gets no bell
    publish_event(Kind.SLA_BREACHED, offer=offer, payload={"sla": "first_contact",
                  "deadline": claim.first_contact_deadline},
                  notify_manufacturer=lead.sla_terms["notify_channel_manager"])

The pieces it uses sit next to it: the kinds and their texts (:mod:`~exchange.notify.kinds`), who may
hear (:mod:`~exchange.notify.audience`), texts in the recipient's language
(:mod:`~exchange.notify.texts`), hourly groups (:mod:`~exchange.notify.grouping`), when e-mail is due
(:mod:`~exchange.notify.digests`); reading and e-mail settings are :mod:`~exchange.notify.inbox`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from exchange.models import (
    Lead,
    Notification,
    Offer,
    Organisation,
    Temperature,
    User,
    WebhookDelivery,
)
from exchange.notify.audience import active_users_of, may_be_notified
from exchange.notify.batches import by_id
from exchange.notify.digests import email_due_at, kick_email_job
from exchange.notify.grouping import Share, group_key, upsert_groups
from exchange.notify.kinds import NOTIFICATION_KINDS, WEBHOOK_EVENTS, KindDefinition, NotificationKind
from exchange.notify.partner_payloads import (
    partners_holding_claims,
    refuse_contact_details,
    webhook_body,
)
from exchange.notify.texts import default_link, is_site_path, lead_summary, render_texts
from exchange.notify.webhooks import active_endpoints, enqueue_first_attempts, new_delivery
from exchange.platform import clock
from exchange.platform.extensions import db


@dataclass(frozen=True)
class BusinessEvent:
    """One event to publish; the arguments of :func:`publish_event`, for :func:`publish_events`."""

    event_type: NotificationKind
    partner_id: int | None = None
    manufacturer_id: int | None = None
    lead: Lead | None = None
    offer: Offer | None = None
    payload: Mapping[str, Any] | None = None
    hot: bool | None = None
    actor: User | None = None
    users: Sequence[User] | None = None
    notify_manufacturer: bool = True
    link: str | None = None


@dataclass(frozen=True)
class Publication:
    """What publishing one event added (flushed, not committed). ``notifications`` includes the
    grouped entries this event joined (shared with the other events of the group)."""

    notifications: list[Notification]
    deliveries: list[WebhookDelivery]


def publish_event(
    event_type: NotificationKind,
    *,
    partner_id: int | None = None,
    manufacturer_id: int | None = None,
    lead: Lead | None = None,
    offer: Offer | None = None,
    payload: Mapping[str, Any] | None = None,
    hot: bool | None = None,
    actor: User | None = None,
    users: Sequence[User] | None = None,
    notify_manufacturer: bool = True,
    link: str | None = None,
) -> Publication:
    """Fan one business event out to the bell, e-mail and the partner's webhooks.

    ``event_type``: a key of ``NOTIFICATION_KINDS`` (the webhook events are ``WEBHOOK_EVENTS``).
    ``partner_id``: the partner the event concerns (defaults to ``offer.partner_id``); its admins and
    reps are notified (see the kind's ``partner_roles``) and its webhooks subscribed to the event get
    a delivery. ``manufacturer_id`` defaults to the lead's; its channel managers are notified for
    kinds with ``manufacturer_roles`` unless ``notify_manufacturer`` is False.
    ``lead`` / ``offer`` (the lead defaults to ``offer.lead``): rendered for each partner through the
    partner-safe schemas, so contact details go out only to the partner holding the claim.
    ``payload``: extra plain data (str, numbers, bools, None, datetimes, Decimals, lists, dicts) put
    under ``data`` in the webhook body and usable in the texts (``deadline``, ``sla``, ``reason``);
    it must not carry lead data (a ``lead`` key or any contact field raises ``ValueError``).
    ``hot``: e-mail immediately whatever the digest setting (default: the lead is hot).
    ``actor``: the user who caused the event; they get no notification about their own action.
    ``users``: notify exactly these users instead of the kind's audience (e.g. the rep a lead was
    handed to); each must belong to the partner or the manufacturer of the event.
    ``link``: the path the notification opens (default: the offer for partner users, the lead for
    manufacturer users).

    For partner users, events of kinds with a ``grouped_title`` that are not hot (and have neither
    ``users`` nor ``link``) join the user's entry for that kind and hour instead of adding one: it
    counts them and opens the pull list (see :func:`exchange.notify.grouping.upsert_groups`).

    Adds rows and outbox jobs to the current session and flushes; the caller commits. It does not
    write to the event log (the caller's transition does). Raises ``ValueError`` for an unknown event
    type, objects that do not belong together, or a payload carrying lead data. To publish many
    events in one go (the SLA sweep), :func:`publish_events` does the same with a few queries in all."""
    event = BusinessEvent(
        event_type,
        partner_id=partner_id,
        manufacturer_id=manufacturer_id,
        lead=lead,
        offer=offer,
        payload=payload,
        hot=hot,
        actor=actor,
        users=users,
        notify_manufacturer=notify_manufacturer,
        link=link,
    )
    return publish_events([event])[0]


@dataclass(frozen=True)
class _Resolved:
    """An event with its defaults filled in and checked."""

    event: BusinessEvent
    name: NotificationKind
    kind: KindDefinition
    partner_id: int | None
    manufacturer_id: int | None
    lead: Lead | None
    offer: Offer | None
    extra: dict[str, Any]
    hot: bool


def _resolve(event: BusinessEvent) -> _Resolved:
    try:
        name = NotificationKind(event.event_type)
    except ValueError:
        raise ValueError(f"unknown event type {event.event_type!r}; add it to NOTIFICATION_KINDS") from None
    kind = NOTIFICATION_KINDS[name]
    lead, offer, partner_id, manufacturer_id = (
        event.lead,
        event.offer,
        event.partner_id,
        event.manufacturer_id,
    )
    if offer is not None:
        if lead is None:
            lead = offer.lead
        elif offer.lead_id != lead.id:
            raise ValueError("the offer belongs to another lead")
        if partner_id is None:
            partner_id = offer.partner_id
        elif partner_id != offer.partner_id:
            raise ValueError("the offer was made to another partner")
    source_manufacturer = lead.manufacturer_id if lead is not None else None
    if manufacturer_id is None:
        manufacturer_id = source_manufacturer
    elif source_manufacturer is not None and manufacturer_id != source_manufacturer:
        raise ValueError("the lead belongs to another manufacturer")
    if event.link is not None and not is_site_path(event.link):
        raise ValueError("link must be a path on this site, such as /portal/webhooks/3")
    extra = dict(event.payload or {})
    refuse_contact_details(extra)
    hot = event.hot if event.hot is not None else (lead is not None and lead.temperature == Temperature.HOT)
    return _Resolved(event, name, kind, partner_id, manufacturer_id, lead, offer, extra, hot)


def publish_events(events: Sequence[BusinessEvent]) -> list[Publication]:
    """Publish several events at once: the same as calling :func:`publish_event` for each, with a
    handful of queries for all of them (recipients, endpoints, claims, organisations) and one flush."""
    resolved = [_resolve(event) for event in events]
    if not resolved:
        return []
    now = clock.now()

    # Every read first, then the writes and one flush (a query between writes would flush each time).
    org_ids = {r.partner_id for r in resolved} | {r.manufacturer_id for r in resolved}
    org_ids.discard(None)
    organisations = by_id(Organisation, org_ids)
    audience = active_users_of(
        {r.partner_id for r in resolved if r.event.users is None and r.kind.partner_roles}
        | {
            r.manufacturer_id
            for r in resolved
            if r.event.users is None and r.kind.manufacturer_roles and r.event.notify_manufacturer
        }
    )
    endpoints = active_endpoints({r.partner_id for r in resolved if r.name in WEBHOOK_EVENTS})
    # The rule of partner_payloads: a partner sees who the buyer is only while it holds the claim.
    holding = partners_holding_claims(
        {(r.lead.id, r.partner_id) for r in resolved if r.lead is not None and r.partner_id is not None}
    )

    publications: list[Publication] = []
    shares: list[tuple[Publication, Share]] = []
    for r in resolved:
        partner = organisations.get(r.partner_id) if r.partner_id is not None else None
        manufacturer = organisations.get(r.manufacturer_id) if r.manufacturer_id is not None else None
        reveal = r.lead is not None and (r.lead.id, r.partner_id) in holding
        notifications, grouped = _notify(
            r,
            _recipients(r, audience),
            partner=partner,
            manufacturer=manufacturer,
            partner_reveal=reveal,
            now=now,
        )
        subscribed = [e for e in endpoints.get(r.partner_id, []) if r.name in (e.events or [])]
        deliveries = []
        if subscribed:
            body = webhook_body(
                r.name, r.partner_id, manufacturer, r.lead, r.offer, r.extra, now, reveal=reveal
            )
            deliveries = [new_delivery(endpoint, r.name.value, body, now) for endpoint in subscribed]
        publication = Publication(notifications, deliveries)
        publications.append(publication)
        shares.extend((publication, share) for share in grouped)
    # Added only once every event was built: an error in one leaves the session as it was.
    for publication in publications:
        db.session.add_all(publication.notifications)
        db.session.add_all(publication.deliveries)
    db.session.flush()
    if shares:
        groups = upsert_groups([share for _, share in shares])
        for publication, share in shares:
            publication.notifications.append(groups[share.key])
    if any(
        n.email_due_at is not None and n.email_due_at <= now for p in publications for n in p.notifications
    ):
        kick_email_job()
    enqueue_first_attempts([d for publication in publications for d in publication.deliveries])
    return publications


def _recipients(r: _Resolved, audience: dict[int, list[User]]) -> list[User]:
    event = r.event
    if event.users is not None:
        allowed = {r.partner_id, r.manufacturer_id} - {None}
        for user in event.users:
            if user.organisation_id not in allowed:
                raise ValueError(f"user {user.id} belongs to neither organisation of this event")
        recipients = [user for user in event.users if may_be_notified(user)]
    else:
        recipients = [user for user in audience.get(r.partner_id, []) if user.role in r.kind.partner_roles]
        if event.notify_manufacturer:
            recipients += [
                user for user in audience.get(r.manufacturer_id, []) if user.role in r.kind.manufacturer_roles
            ]
    if event.actor is not None:
        recipients = [user for user in recipients if user.id != event.actor.id]
    return recipients


def _grouped(r: _Resolved, is_partner_user: bool) -> bool:
    """Whether this event joins its kind's hourly group for a partner user: not for hot leads (one
    entry each), nor where the caller chose the recipients or the link."""
    return (
        r.kind.grouped_title is not None
        and is_partner_user
        and not r.hot
        and r.event.users is None
        and r.event.link is None
    )


def _notify(
    r: _Resolved,
    recipients: Sequence[User],
    *,
    partner: Organisation | None,
    manufacturer: Organisation | None,
    partner_reveal: bool,
    now: datetime,
) -> tuple[list[Notification], list[Share]]:
    """One notification per recipient (not added to the session: the caller adds and flushes), or a
    share in a grouped one (the caller upserts the groups)."""
    notifications = []
    shares = []
    lead, offer = r.lead, r.offer
    for user in recipients:
        is_partner_user = r.partner_id is not None and user.organisation_id == r.partner_id
        # Partner users read the buyer's name only after their claim; the lead's maker always may.
        reveal = (
            partner_reveal
            if is_partner_user
            else user.organisation_id == getattr(lead, "manufacturer_id", None)
        )
        title, body = render_texts(
            r.kind,
            user,
            lead=lead,
            offer=offer,
            extra=r.extra,
            reveal=reveal,
            partner_name=partner.name if partner is not None else None,
            manufacturer_name=manufacturer.name if manufacturer is not None else None,
        )
        values = {
            "user_id": user.id,
            "kind": r.name.value,
            "title": title[:300],
            "body": body,
            "link": r.event.link or default_link(is_partner_user, lead, offer),
            "lead_id": lead.id if lead is not None else None,
            "created_at": now,
            "email_due_at": email_due_at(user, hot=r.hot, service_notice=r.kind.service_notice, now=now),
        }
        if _grouped(r, is_partner_user):
            key, since = group_key(r.name, now)
            shares.append(Share((user.id, key), user, r.kind, since, values))
        else:
            notifications.append(Notification(**values))
    return notifications, shares


def redact_notifications(lead: Lead, partner_id: int) -> int:
    """``partner_id``'s claim on ``lead`` ended (returned, revoked): the notifications its users
    already have about the lead stop naming the company, as everything else they see from now on
    (and an e-mail still waiting for its digest goes out with the teaser). Returns how many changed."""
    name = lead.company_name
    if not name:
        return 0
    revealed, teaser = lead_summary(lead, reveal=True), lead_summary(lead, reveal=False)
    notifications = db.session.scalars(
        sa.select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(Notification.lead_id == lead.id, User.organisation_id == partner_id)
    ).all()
    changed = 0
    for notification in notifications:
        title, body = notification.title, notification.body
        new_title = title.replace(revealed, teaser).replace(name, f"#{lead.id}")
        new_body = None if body is None else body.replace(revealed, teaser).replace(name, f"#{lead.id}")
        if (new_title, new_body) != (title, body):
            notification.title, notification.body = new_title[:300], new_body
            changed += 1
    db.session.flush()
    return changed
