"""Grouped notifications: kinds that come in floods (new offers, closing claim windows) collect, for a
partner user, into one entry per kind and hour whose count grows as more events arrive."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.dialects import postgresql, sqlite

from exchange.models import Notification, User
from exchange.notify.batches import chunks
from exchange.notify.kinds import KindDefinition
from exchange.notify.texts import format_time_for, path_for, recipient_locale
from exchange.platform.extensions import db


@dataclass(frozen=True)
class Share:
    """One recipient's part in a grouped notification."""

    key: tuple[int, str]  # (user id, group key)
    user: User
    kind: KindDefinition
    since: datetime  # the start of the group's hour
    alone: dict[str, Any]  # the row's values while the group holds this one event only


def group_key(event_type: str, moment: datetime) -> tuple[str, datetime]:
    """The group an event of ``event_type`` at ``moment`` joins (its hour, in UTC), and the hour's start."""
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return f"{event_type}@{hour:%Y-%m-%dT%H}", hour


def group_texts(share: Share, count: int) -> dict[str, Any]:
    """Title, body and link of a group of ``count`` events, in the recipient's language and zone."""
    user = share.user
    with force_locale(recipient_locale(user)):
        title = " ".join(share.kind.grouped_title(count).split())
        body = None
        if share.kind.grouped_body is not None:
            body = str(share.kind.grouped_body) % {"since": format_time_for(user, share.since, "short")}
    return {"title": title[:300], "body": body, "link": path_for("portal.offers"), "lead_id": None}


def upsert_groups(shares: Sequence[Share]) -> dict[tuple[int, str], Notification]:
    """Add the shares to their groups: one row per (user, group key), inserted by the first event
    and counted up by the next ones, also from other jobs running at the same time. An insert that
    meets an existing row updates it instead (``ON CONFLICT`` on the unique index, atomic on
    PostgreSQL and SQLite), and the row stays locked until the commit, so the texts written for the
    count it returns are the ones that last. A group that grows is unread again, moves to the top
    and is e-mailed again (in the next digest, or at once for immediate e-mail)."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    by_key: dict[tuple[int, str], list[Share]] = {}
    for share in shares:
        by_key.setdefault(share.key, []).append(share)
    table = Notification.__table__
    ids: dict[tuple[int, str], int] = {}
    for key in sorted(by_key):  # one lock order in every job, so two jobs cannot deadlock
        group = by_key[key]
        first = group[0]
        values = first.alone if len(group) == 1 else first.alone | group_texts(first, len(group))
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
                sa.update(table).where(table.c.id == row.id).values(**group_texts(first, row.item_count))
            )
        ids[key] = row.id
    loaded = {
        notification.id: notification
        for chunk in chunks(ids.values())
        for notification in db.session.scalars(
            sa.select(Notification)
            .where(Notification.id.in_(chunk))
            .execution_options(populate_existing=True)
        )
    }
    return {key: loaded[row_id] for key, row_id in ids.items()}
