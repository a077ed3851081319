"""Notifications: the one entry point the lead lifecycle calls when something happened that people or
a partner's systems should hear about. :func:`publish_event` fans one business event out to

- in-app notifications (the bell) for the users it concerns: the partner's admins and reps, and the
  manufacturer's channel managers for kinds that concern them (``sla.breached``); only users who may
  hear about leads at all (:func:`may_be_notified`: not invited, not deactivated);
- kinds that come in floods (new offers, closing claim windows) are grouped: a partner user gets one
  entry per kind and hour ("12 new leads waiting for you", linking to the pull list) whose count
  grows as more offers arrive; hot leads still get an entry each;
- e-mail, per user preference: immediately, or collected into an hourly or daily digest (hot leads
  and service notices always immediately); the ``notifications.send_due`` job sends them;
- the partner's webhooks subscribed to the event (``webhooks.deliver`` jobs, one per delivery).

It runs inside the caller's transaction and only adds rows and outbox jobs: nothing leaves the
building unless the caller commits. Lead data sent to a partner is dumped through the partner-safe
schemas of :mod:`exchange.notify.partner_payloads`: contact details only after that partner's claim.

    from exchange.notify.notifications import publish_event

    publish_event("offer.created", offer=offer)                       # partner and lead from the offer
    publish_event("lead.claimed", offer=offer, actor=current_user)    # the claimer gets no bell
    publish_event("sla.breached", offer=offer, payload={"sla": "first_contact",
                  "deadline": claim.first_contact_deadline},
                  notify_manufacturer=lead.sla_terms["notify_channel_manager"])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime as babel_format_datetime
from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, contains_eager

from exchange.models import (
    PARTNER_ROLES,
    WEBHOOK_EVENTS,
    DigestFrequency,
    Lead,
    Notification,
    Offer,
    Organisation,
    Role,
    Temperature,
    User,
    WebhookDelivery,
)
from exchange.notify.partner_payloads import (
    lead_payload,
    offer_for_partner,
    partners_holding_claims,
    refuse_contact_details,
)
from exchange.platform import clock, labels
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


@dataclass(frozen=True)
class NotificationKind:
    """How one kind of event reads in the bell and in e-mail, and whom it concerns.

    ``title`` and ``body`` are formatted with ``%(name)s`` placeholders: ``summary`` (the lead, as the
    recipient may see it), ``temperature``, ``deadline`` (the payload's, else the offer's claim
    deadline where ``claim_deadline`` is set; in the recipient's zone), ``sla``, ``partner``,
    ``reason`` and any plain value of the event's payload. A body whose placeholders are not all
    known is left out; a title must always format."""

    title: Any
    body: Any = None
    # The offer's claim deadline is the deadline the texts speak of (offer kinds).
    claim_deadline: bool = False
    partner_roles: frozenset[Role] = PARTNER_ROLES
    manufacturer_roles: frozenset[Role] = frozenset()
    # Service notices: e-mailed immediately whatever the user's e-mail settings.
    service_notice: bool = False
    # Kinds that come in floods: for partner users, events that are not hot collect into one entry per
    # hour, titled with their number (``%(num)d``) and opening the pull list.
    grouped_title: Callable[[int], str] | None = None
    grouped_body: Any = None
    # How an e-mail digest counts this kind ("12 new leads waiting").
    digest_label: Callable[[int], str] | None = None


CHANNEL_MANAGERS = frozenset({Role.CHANNEL_MANAGER})

# Every kind publish_event knows. The webhook events are WEBHOOK_EVENTS; the others are in-app only.
NOTIFICATION_KINDS: dict[str, NotificationKind] = {
    "offer.created": NotificationKind(
        title=_l("New %(temperature)s lead for you: %(summary)s"),
        body=_l("Claim it by %(deadline)s, before it moves on to the next partner."),
        claim_deadline=True,
        grouped_title=lambda num: ngettext(
            "%(num)d new lead waiting for you", "%(num)d new leads waiting for you", num
        ),
        grouped_body=_l(
            "Offered to you since %(since)s. Claim them from your list before they move on to the next "
            "partner; hot leads are notified one by one."
        ),
        digest_label=lambda num: ngettext("%(num)d new lead waiting", "%(num)d new leads waiting", num),
    ),
    "offer.expiring": NotificationKind(
        title=_l("Claim window closing: %(summary)s"),
        body=_l("Claim it by %(deadline)s or it moves on to the next partner."),
        claim_deadline=True,
        grouped_title=lambda num: ngettext(
            "Claim window closing on %(num)d lead", "Claim windows closing on %(num)d leads", num
        ),
        grouped_body=_l("Claim them from your list before they move on to the next partner."),
        digest_label=lambda num: ngettext(
            "%(num)d claim window closing", "%(num)d claim windows closing", num
        ),
    ),
    "lead.claimed": NotificationKind(
        title=_l("Lead claimed: %(summary)s"),
        body=_l("The contact details are on the lead. First contact is due by %(deadline)s."),
        digest_label=lambda num: ngettext("%(num)d lead claimed", "%(num)d leads claimed", num),
    ),
    "sla.breached": NotificationKind(
        title=_l("SLA breached: %(summary)s"),
        body=_l("%(partner)s missed the %(sla)s deadline (%(deadline)s)."),
        manufacturer_roles=CHANNEL_MANAGERS,
        digest_label=lambda num: ngettext("%(num)d SLA breach", "%(num)d SLA breaches", num),
    ),
    "lead.recycled": NotificationKind(
        title=_l("Lead moved to another partner: %(summary)s"),
        body=_l("It was recycled after the %(sla)s deadline was missed; the breach stays on your record."),
        digest_label=lambda num: ngettext(
            "%(num)d lead moved to another partner", "%(num)d leads moved to other partners", num
        ),
    ),
    "claim.reminder": NotificationKind(
        title=_l("Reminder: %(summary)s"),
        body=_l("The %(sla)s deadline is %(deadline)s."),
        digest_label=lambda num: ngettext("%(num)d SLA warning", "%(num)d SLA warnings", num),
    ),
    "lead.assigned": NotificationKind(
        title=_l("A lead was handed to you: %(summary)s"),
        digest_label=lambda num: ngettext("%(num)d lead handed to you", "%(num)d leads handed to you", num),
    ),
    "webhook.disabled": NotificationKind(
        title=_l("Webhook disabled: %(url)s"),
        body=_l(
            "%(failures)s deliveries in a row failed (last error: %(error)s). No events are sent to "
            "this endpoint until you enable it again."
        ),
        partner_roles=frozenset({Role.PARTNER_ADMIN}),
        service_notice=True,
        digest_label=lambda num: ngettext("%(num)d webhook disabled", "%(num)d webhooks disabled", num),
    ),
}


def hot_leads_label(num: int) -> str:
    """How an e-mail digest counts new hot leads (offers notified one by one)."""
    return ngettext("%(num)d hot lead", "%(num)d hot leads", num)


def other_notifications_label(num: int) -> str:
    return ngettext("%(num)d other notification", "%(num)d other notifications", num)


@dataclass(frozen=True)
class BusinessEvent:
    """One event to publish; the arguments of :func:`publish_event`, for :func:`publish_events`."""

    event_type: str
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
    event_type: str,
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
    counts them and opens the pull list (see :func:`_upsert_groups`).

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
    kind: NotificationKind
    partner_id: int | None
    manufacturer_id: int | None
    lead: Lead | None
    offer: Offer | None
    extra: dict[str, Any]
    hot: bool


def _resolve(event: BusinessEvent) -> _Resolved:
    kind = NOTIFICATION_KINDS.get(event.event_type)
    if kind is None:
        raise ValueError(f"unknown event type {event.event_type!r}; add it to NOTIFICATION_KINDS")
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
    return _Resolved(event, kind, partner_id, manufacturer_id, lead, offer, extra, hot)


def publish_events(events: Sequence[BusinessEvent]) -> list[Publication]:
    """Publish several events at once: the same as calling :func:`publish_event` for each, with a
    handful of queries for all of them (recipients, endpoints, claims, organisations) and one flush."""
    from exchange.notify.webhooks import active_endpoints, enqueue_first_attempts, new_delivery

    resolved = [_resolve(event) for event in events]
    if not resolved:
        return []
    now = clock.now()

    # Every read first, then the writes and one flush (a query between writes would flush each time).
    org_ids = {r.partner_id for r in resolved} | {r.manufacturer_id for r in resolved}
    org_ids.discard(None)
    organisations = _by_id(Organisation, org_ids)
    audience = _active_users_of(
        {r.partner_id for r in resolved if r.event.users is None and r.kind.partner_roles}
        | {
            r.manufacturer_id
            for r in resolved
            if r.event.users is None and r.kind.manufacturer_roles and r.event.notify_manufacturer
        }
    )
    endpoints = active_endpoints({r.partner_id for r in resolved if r.event.event_type in WEBHOOK_EVENTS})
    # The rule of partner_payloads: a partner sees who the buyer is only while it holds the claim.
    holding = partners_holding_claims(
        {(r.lead.id, r.partner_id) for r in resolved if r.lead is not None and r.partner_id is not None}
    )

    publications: list[Publication] = []
    shares: list[tuple[Publication, _Share]] = []
    for r in resolved:
        partner = organisations.get(r.partner_id) if r.partner_id is not None else None
        manufacturer = organisations.get(r.manufacturer_id) if r.manufacturer_id is not None else None
        reveal = r.lead is not None and (r.lead.id, r.partner_id) in holding
        notifications, grouped = _notify(
            r, _recipients(r, audience), partner=partner, partner_reveal=reveal, now=now
        )
        subscribed = [e for e in endpoints.get(r.partner_id, []) if r.event.event_type in (e.events or [])]
        deliveries = []
        if subscribed:
            body = webhook_body(
                r.event.event_type, r.partner_id, manufacturer, r.lead, r.offer, r.extra, now, reveal=reveal
            )
            deliveries = [new_delivery(endpoint, r.event.event_type, body, now) for endpoint in subscribed]
        publication = Publication(notifications, deliveries)
        publications.append(publication)
        shares.extend((publication, share) for share in grouped)
    # Added only once every event was built: an error in one leaves the session as it was.
    for publication in publications:
        db.session.add_all(publication.notifications)
        db.session.add_all(publication.deliveries)
    db.session.flush()
    if shares:
        groups = _upsert_groups([share for _, share in shares])
        for publication, share in shares:
            publication.notifications.append(groups[share.key])
    if any(
        n.email_due_at is not None and n.email_due_at <= now for p in publications for n in p.notifications
    ):
        _kick_email_job()
    enqueue_first_attempts([d for publication in publications for d in publication.deliveries])
    return publications


def _chunks(values: Iterable[Any], size: int = 1000) -> Iterator[list[Any]]:
    """Databases bound the number of parameters in one statement."""
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_id(model: type, ids: set[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for chunk in _chunks(ids):
        found.update({row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(chunk)))})
    return found


# --- who may hear about leads at all -----------------------------------------------------------------
# The one rule for every recipient of the bell and of e-mail, in Python and in SQL: an active user of an
# active organisation who has accepted the invitation (chosen a password). Invited and deactivated users
# hear nothing, whatever the kind; the e-mail job checks again when it sends.


def may_be_notified(user: User) -> bool:
    """Whether ``user`` may get notifications and notification e-mail (see :data:`NOTIFIABLE`)."""
    return user.is_active and user.password_hash is not None


# For queries that join User.organisation.
NOTIFIABLE = sa.and_(
    User.is_active_user.is_(True),
    User.password_hash.is_not(None),
    Organisation.is_active.is_(True),
)


def _active_users_of(org_ids: set[int | None]) -> dict[int, list[User]]:
    """The users of these organisations who may be notified (:data:`NOTIFIABLE`), by organisation."""
    users: dict[int, list[User]] = {}
    for chunk in _chunks(org_ids - {None}):
        rows = db.session.scalars(
            sa.select(User)
            .join(User.organisation)
            .options(contains_eager(User.organisation))
            .where(User.organisation_id.in_(chunk), NOTIFIABLE)
            .order_by(User.id)
        )
        for user in rows:
            users.setdefault(user.organisation_id, []).append(user)
    return users


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
        "event": event_type,
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


# --- who hears about it -------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _Share:
    """One recipient's part in a grouped notification."""

    key: tuple[int, str]  # (user id, group key)
    user: User
    kind: NotificationKind
    since: datetime  # the start of the group's hour
    alone: dict[str, Any]  # the row's values while the group holds this one event only


def group_key(event_type: str, moment: datetime) -> tuple[str, datetime]:
    """The group an event of ``event_type`` at ``moment`` joins (its hour, in UTC), and the hour's start."""
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return f"{event_type}@{hour:%Y-%m-%dT%H}", hour


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
    partner_reveal: bool,
    now: datetime,
) -> tuple[list[Notification], list[_Share]]:
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
        )
        values = {
            "user_id": user.id,
            "kind": r.event.event_type,
            "title": title[:300],
            "body": body,
            "link": r.event.link or _default_link(is_partner_user, lead, offer),
            "lead_id": lead.id if lead is not None else None,
            "created_at": now,
            "email_due_at": email_due_at(user, hot=r.hot, service_notice=r.kind.service_notice, now=now),
        }
        if _grouped(r, is_partner_user):
            key, since = group_key(r.event.event_type, now)
            shares.append(_Share((user.id, key), user, r.kind, since, values))
        else:
            notifications.append(Notification(**values))
    return notifications, shares


def _group_texts(share: _Share, count: int) -> dict[str, Any]:
    """Title, body and link of a group of ``count`` events, in the recipient's language and zone."""
    user = share.user
    with force_locale(recipient_locale(user)):
        title = " ".join(share.kind.grouped_title(count).split())
        body = None
        if share.kind.grouped_body is not None:
            body = str(share.kind.grouped_body) % {"since": format_time_for(user, share.since, "short")}
    return {"title": title[:300], "body": body, "link": path_for("portal.offers"), "lead_id": None}


def _upsert_groups(shares: Sequence[_Share]) -> dict[tuple[int, str], Notification]:
    """Add the shares to their groups: one row per (user, group key), inserted by the first event
    and counted up by the next ones, also from other jobs running at the same time. An insert that
    meets an existing row updates it instead (``ON CONFLICT`` on the unique index, atomic on
    PostgreSQL and SQLite), and the row stays locked until the commit, so the texts written for the
    count it returns are the ones that last. A group that grows is unread again, moves to the top
    and is e-mailed again (in the next digest, or at once for immediate e-mail)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    by_key: dict[tuple[int, str], list[_Share]] = {}
    for share in shares:
        by_key.setdefault(share.key, []).append(share)
    table = Notification.__table__
    ids: dict[tuple[int, str], int] = {}
    for key in sorted(by_key):  # one lock order in every job, so two jobs cannot deadlock
        group = by_key[key]
        first = group[0]
        values = first.alone if len(group) == 1 else first.alone | _group_texts(first, len(group))
        statement = insert(table).values(**values, group_key=key[1], item_count=len(group))
        new = statement.excluded
        # A digest still waiting keeps its (earlier) time; otherwise the e-mail is due as for a new one.
        keep_due = sa.and_(
            table.c.emailed_at.is_(None),
            table.c.email_due_at.is_not(None),
            new.email_due_at.is_not(None),
            table.c.email_due_at < new.email_due_at,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "group_key"],
            set_={
                "item_count": table.c.item_count + new.item_count,
                "created_at": new.created_at,
                "read_at": None,
                "emailed_at": None,
                "email_due_at": sa.case((keep_due, table.c.email_due_at), else_=new.email_due_at),
            },
        ).returning(table.c.id, table.c.item_count)
        row = db.session.execute(statement).one()
        if row.item_count != len(group):
            db.session.execute(
                sa.update(table).where(table.c.id == row.id).values(**_group_texts(first, row.item_count))
            )
        ids[key] = row.id
    loaded = {
        notification.id: notification
        for chunk in _chunks(ids.values())
        for notification in db.session.scalars(
            sa.select(Notification)
            .where(Notification.id.in_(chunk))
            .execution_options(populate_existing=True)
        )
    }
    return {key: loaded[row_id] for key, row_id in ids.items()}


def _default_link(is_partner_user: bool, lead: Lead | None, offer: Offer | None) -> str | None:
    if is_partner_user:
        return path_for("portal.offer_detail", offer_id=offer.id) if offer is not None else None
    return path_for("manage.lead_detail", lead_id=lead.id) if lead is not None else None


def is_site_path(link: str) -> bool:
    """A path on this site, not a URL elsewhere (``//host`` and ``/\\host`` are other sites to browsers)."""
    return link.startswith("/") and not link.startswith(("//", "/\\")) and "\n" not in link


def path_for(endpoint: str, **values: Any) -> str:
    """A site-relative URL, also outside a request (jobs, the sweep)."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT"))
    return adapter.build(endpoint, values)


# --- texts in the recipient's language and time zone -------------------------------------------------


def recipient_locale(user: User) -> str:
    languages = current_app.config["LANGUAGES"]
    for candidate in (user.locale, user.organisation.locale):
        if candidate in languages:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def recipient_zone(user: User) -> ZoneInfo:
    from exchange.platform.i18n import is_valid_timezone

    for candidate in (user.timezone, user.organisation.timezone):
        if is_valid_timezone(candidate):
            return ZoneInfo(candidate)
    return ZoneInfo("UTC")


def format_time_for(user: User, moment: datetime, format: str = "medium") -> str:  # noqa: A002
    """``moment`` in the user's zone and language, with the zone's abbreviation."""
    zone = recipient_zone(user)
    local = moment.astimezone(zone)
    text = babel_format_datetime(local, format, tzinfo=zone, locale=recipient_locale(user))
    return f"{text} {local.tzname() or zone.key}"


def lead_summary(lead: Lead, *, reveal: bool) -> str:
    """One line about the lead; the company's name only where ``reveal`` (its claimer, its maker)."""
    interest = lead.product_line.name if lead.product_line else lead.product_interest
    place = ", ".join(part for part in (lead.region, lead.country) if part)
    parts = [lead.company_name if reveal else None, lead.industry, place, interest]
    return " · ".join(part for part in parts if part) or f"#{lead.id}"


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


def render_texts(
    kind: NotificationKind,
    user: User,
    *,
    lead: Lead | None,
    offer: Offer | None,
    extra: Mapping[str, Any],
    reveal: bool,
    partner_name: str | None,
) -> tuple[str, str | None]:
    """Title and body of one notification, in the user's language and zone."""
    with force_locale(recipient_locale(user)):
        values: dict[str, Any] = {
            key: value for key, value in extra.items() if isinstance(value, str | int | float | Decimal)
        }
        if lead is not None:
            values["summary"] = lead_summary(lead, reveal=reveal)
            values["temperature"] = str(labels.TEMPERATURE.get(lead.temperature, lead.temperature))
        deadline = extra.get("deadline")
        if deadline is None and kind.claim_deadline and offer is not None:
            deadline = offer.claim_deadline
        if isinstance(deadline, str):
            try:
                deadline = datetime.fromisoformat(deadline)
            except ValueError:
                deadline = None
        if isinstance(deadline, datetime) and deadline.tzinfo is not None:
            values["deadline"] = format_time_for(user, deadline)
        if "sla" in extra:
            values["sla"] = str(labels.SLA_CLOCKS.get(str(extra["sla"]), extra["sla"]))
        if partner_name is not None:
            values["partner"] = partner_name
        if "reason" in extra and extra["reason"] is not None:
            values["reason"] = str(extra["reason"])
        try:
            # One line: it is also an e-mail subject, where a line break would be refused.
            title = " ".join((str(kind.title) % values).split())
        except KeyError as missing:
            raise ValueError(f"the title of this event needs {missing} (pass it in the payload)") from None
        body = None
        if kind.body is not None:
            try:
                body = str(kind.body) % values
            except KeyError:
                body = None  # an optional detail the caller did not give
    return title, body


# --- e-mail digests ---------------------------------------------------------------------------------

# The order a digest lists its lines in; "hot" is new offers of hot leads (notified one by one).
DIGEST_ORDER = (
    "offer.created",
    "hot",
    "offer.expiring",
    "claim.reminder",
    "sla.breached",
    "lead.recycled",
    "lead.claimed",
    "lead.assigned",
    "webhook.disabled",
)
# Kinds a digest only counts, linking to the pull list where they are acted on.
PULL_LIST_KINDS = frozenset({"offer.created", "offer.expiring"})
DIGEST_ENTRIES_PER_LINE = 5


@dataclass(frozen=True)
class DigestLine:
    """One line of a digest: how many of one kind, and where to see them."""

    label: str  # "12 new leads waiting"
    link: str | None  # the list to act on them all, if there is one
    entries: list[Notification]  # else the newest few, one by one
    more: int  # entries not listed


def digest_lines(items: Sequence[Notification], hot_lead_ids: set[int]) -> list[DigestLine]:
    """Summarise ``items`` by kind and count (grouped entries count what they stand for), in the
    current locale. ``hot_lead_ids``: which of the items' leads are hot (new hot leads count apart)."""
    by_category: dict[str, list[Notification]] = {}
    for item in items:
        category = item.kind
        if item.kind == "offer.created" and item.group_key is None and item.lead_id in hot_lead_ids:
            category = "hot"
        by_category.setdefault(category, []).append(item)
    order = {name: position for position, name in enumerate(DIGEST_ORDER)}
    lines = []
    for category in sorted(by_category, key=lambda name: (order.get(name, len(order)), name)):
        entries = by_category[category]
        count = sum(entry.item_count for entry in entries)
        kind = NOTIFICATION_KINDS.get(category)
        if category == "hot":
            label = hot_leads_label(count)
        elif kind is not None and kind.digest_label is not None:
            label = kind.digest_label(count)
        else:
            label = other_notifications_label(count)
        if category in PULL_LIST_KINDS:
            lines.append(DigestLine(label, path_for("portal.offers"), [], 0))
        else:
            newest = sorted(entries, key=lambda entry: (entry.created_at, entry.id), reverse=True)
            shown = newest[:DIGEST_ENTRIES_PER_LINE]
            lines.append(DigestLine(label, None, shown, len(entries) - len(shown)))
    return lines


def hot_leads_among(items: Iterable[Notification]) -> set[int]:
    """The ids of the hot leads these notifications are about."""
    ids = {item.lead_id for item in items if item.lead_id is not None and item.kind == "offer.created"}
    hot: set[int] = set()
    for chunk in _chunks(ids):
        hot.update(
            db.session.scalars(
                sa.select(Lead.id).where(Lead.id.in_(chunk), Lead.temperature == Temperature.HOT)
            )
        )
    return hot


# --- e-mail scheduling -----------------------------------------------------------------------------


def email_due_at(user: User, *, hot: bool, service_notice: bool, now: datetime) -> datetime | None:
    """When this user should get an e-mail about a new notification, or None for none.

    Service notices: now, whatever the settings. ``email_notifications`` off: none. Hot leads: now.
    Otherwise by ``digest_frequency``: now, the next full hour, the next daily digest hour in the
    user's zone, or never (``off``: hot leads only)."""
    if service_notice:
        return now
    if not user.email_notifications:
        return None
    if hot:
        return now
    frequency = user.digest_frequency
    if frequency == DigestFrequency.IMMEDIATE:
        return now
    if frequency == DigestFrequency.HOURLY:
        return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if frequency == DigestFrequency.DAILY:
        hour = int(current_app.config["NOTIFICATION_DIGEST_HOUR"])
        return next_daily_digest(now, recipient_zone(user), hour)
    return None


def next_daily_digest(now: datetime, zone: ZoneInfo, hour: int) -> datetime:
    """The next ``hour``:00 in ``zone`` after ``now``, in UTC (wall-clock days across DST changes)."""
    local = now.astimezone(zone)
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate = (local + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate.astimezone(UTC)


_EMAIL_KICK_KEY = "exchange.notifications.email_kick"


def _kick_email_job() -> None:
    """One ``notifications.send_due`` job per transaction sends what became due in it (after commit)."""
    session = db.session()
    if session.info.get(_EMAIL_KICK_KEY):
        return
    from exchange.platform.jobs import enqueue
    from exchange.platform.jobs.registry import QUEUE_NOTIFY

    enqueue("notifications.send_due", queue=QUEUE_NOTIFY)
    session.info[_EMAIL_KICK_KEY] = True


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_email_kick(session: Session) -> None:
    session.info.pop(_EMAIL_KICK_KEY, None)


# --- reading, preferences ------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def mark_read(notification: Notification) -> None:
    """Mark one of the user's notifications read (the caller loaded it scoped to the user)."""
    if notification.read_at is None:
        notification.read_at = clock.now()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
    ).rowcount


def set_email_preferences(
    user: User, *, email_notifications: bool, digest_frequency: DigestFrequency
) -> None:
    """Change how ``user`` gets e-mail. Notifications waiting for a digest follow the new setting
    (sent at the next sweep when now immediate, rescheduled, or not e-mailed when switched off)."""
    try:
        digest_frequency = DigestFrequency(digest_frequency)
    except ValueError:
        raise DomainError(_("Unknown e-mail frequency."), field="digest_frequency") from None
    user.email_notifications = bool(email_notifications)
    user.digest_frequency = digest_frequency
    now = clock.now()
    waiting = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == user.id,
            Notification.emailed_at.is_(None),
            Notification.email_due_at > now,
        )
    ).all()
    for notification in waiting:
        notification.email_due_at = email_due_at(user, hot=False, service_notice=False, now=now)
        if notification.email_due_at is not None and notification.email_due_at <= now:
            _kick_email_job()
    db.session.flush()
