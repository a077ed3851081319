"""The bell's side of notifications: reading them, and how each user wants their e-mail.
What creates them is :func:`exchange.notify.notifications.publish_event`."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import DigestFrequency, Notification, User
from exchange.notify.digests import email_due_at, kick_email_job
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


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
            kick_email_job()
    db.session.flush()
