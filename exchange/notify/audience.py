"""Who may hear about leads at all.

The one rule for every recipient of the bell and of e-mail, in Python and in SQL: an active user of an
active organisation who has accepted the invitation (chosen a password). Invited and deactivated users
hear nothing, whatever the kind; the e-mail job checks again when it sends.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from exchange.models import Organisation, User
from exchange.notify.batches import chunks
from exchange.platform.extensions import db


def may_be_notified(user: User) -> bool:
    """Whether ``user`` may get notifications and notification e-mail (see :data:`NOTIFIABLE`)."""
    return user.is_active and user.password_hash is not None


# For queries that join User.organisation.
NOTIFIABLE = sa.and_(
    User.is_active_user.is_(True),
    User.password_hash.is_not(None),
    Organisation.is_active.is_(True),
)


def active_users_of(org_ids: set[int | None]) -> dict[int, list[User]]:
    """The users of these organisations who may be notified (:data:`NOTIFIABLE`), by organisation."""
    users: dict[int, list[User]] = {}
    for chunk in chunks(org_ids - {None}):
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
