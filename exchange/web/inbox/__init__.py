"""The signed-in user's notifications, for every role: the bell in the navbar, the notifications
page under ``/notifications`` with the e-mail settings, and ``/api/v1/notifications``.

What creates notifications is ``exchange.notify.notifications.publish_event``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from exchange.accounts.permissions import Permission, require_permission

bp = Blueprint("inbox", __name__)


@bp.before_request
def _signed_in_only() -> None:
    require_permission(Permission.READ_NOTIFICATIONS)


@bp.app_template_test("site_path")
def _is_site_path(link: str | None) -> bool:
    from exchange.notify.texts import is_site_path

    return bool(link) and is_site_path(link)


@bp.app_template_global()
def unread_notification_count() -> int:
    """For the bell: counted once per request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        from exchange.notify.inbox import unread_count

        try:
            g.unread_notifications = unread_count(current_user)
        except SQLAlchemyError:
            # An error page rendered after a failed statement must still render: no count then.
            current_app.logger.warning("bell: could not count unread notifications", exc_info=True)
            g.unread_notifications = 0
    return g.unread_notifications


from exchange.web.inbox import views  # noqa: E402,F401  (registers the routes)
