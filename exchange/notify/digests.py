"""Notification e-mail: when it is due for each user (immediately, hourly, daily, never) and how a
digest summarises what it collected. Sending is the ``notifications.send_due`` job
(:mod:`exchange.notify.delivery_jobs`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from exchange.models import DigestFrequency, Lead, Notification, Temperature, User
from exchange.notify.batches import chunks
from exchange.notify.kinds import (
    NOTIFICATION_KINDS,
    NotificationKind,
    hot_leads_label,
    other_notifications_label,
)
from exchange.notify.texts import path_for, recipient_zone
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY

# New offers of hot leads (notified one by one) count apart from the other new offers.
HOT = "hot"
# The order a digest lists its lines in.
DIGEST_ORDER = (
    NotificationKind.OFFER_CREATED,
    HOT,
    NotificationKind.OFFER_EXPIRING,
    NotificationKind.CLAIM_REMINDER,
    NotificationKind.SLA_BREACHED,
    NotificationKind.LEAD_RECYCLED,
    NotificationKind.LEAD_CLAIMED,
    NotificationKind.LEAD_ASSIGNED,
    NotificationKind.WEBHOOK_DISABLED,
)
# Kinds a digest only counts, linking to the pull list where they are acted on.
PULL_LIST_KINDS = frozenset({NotificationKind.OFFER_CREATED, NotificationKind.OFFER_EXPIRING})
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
        if (
            item.kind == NotificationKind.OFFER_CREATED
            and item.group_key is None
            and item.lead_id in hot_lead_ids
        ):
            category = HOT
        by_category.setdefault(category, []).append(item)
    order = {name: position for position, name in enumerate(DIGEST_ORDER)}
    lines = []
    for category in sorted(by_category, key=lambda name: (order.get(name, len(order)), name)):
        entries = by_category[category]
        count = sum(entry.item_count for entry in entries)
        kind = NOTIFICATION_KINDS.get(category)
        if category == HOT:
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
    ids = {
        item.lead_id
        for item in items
        if item.lead_id is not None and item.kind == NotificationKind.OFFER_CREATED
    }
    hot: set[int] = set()
    for chunk in chunks(ids):
        hot.update(
            db.session.scalars(
                sa.select(Lead.id).where(Lead.id.in_(chunk), Lead.temperature == Temperature.HOT)
            )
        )
    return hot


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


def kick_email_job() -> None:
    """One ``notifications.send_due`` job per transaction sends what became due in it (after commit)."""
    session = db.session()
    if session.info.get(_EMAIL_KICK_KEY):
        return
    enqueue("notifications.send_due", queue=QUEUE_NOTIFY)
    session.info[_EMAIL_KICK_KEY] = True


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_rollback")
def _forget_email_kick(session: Session) -> None:
    session.info.pop(_EMAIL_KICK_KEY, None)
