"""The notifications page and the e-mail settings."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.models import DigestFrequency, Notification
from exchange.notify import inbox as service
from exchange.notify.texts import is_site_path
from exchange.platform import unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from exchange.platform.tenancy import notifications_for
from exchange.web.inbox import bp
from exchange.web.inbox.forms import EmailPreferencesForm

PER_PAGE = 25


def _list_args() -> dict:
    """Which list to go back to after an action (only known values, never a URL from the form)."""
    source = request.values
    show = source.get("show") if source.get("show") in ("unread", "all") else None
    page = source.get("page", type=int)
    return {key: value for key, value in (("show", show), ("page", page)) if value}


@bp.route("/")
def notifications():
    show = request.args.get("show", "all")
    query = notifications_for(current_user).order_by(Notification.created_at.desc(), Notification.id.desc())
    if show == "unread":
        query = query.where(Notification.read_at.is_(None))
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("inbox/notifications.html", page=page, show=show)


def _own_notification_or_404(notification_id: int) -> Notification:
    notification = db.session.scalar(
        notifications_for(current_user).where(Notification.id == notification_id)
    )
    if notification is None:
        abort(404)
    return notification


@bp.route("/<int:notification_id>/open")
def open_notification(notification_id: int):
    """Follow a notification's link: opening it is reading it (the link is always a path on this site)."""
    notification = _own_notification_or_404(notification_id)
    service.mark_read(notification)
    if notification.link and is_site_path(notification.link):
        return redirect(notification.link)
    return redirect(url_for("inbox.notifications"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int):
    notification = _own_notification_or_404(notification_id)
    service.mark_read(notification)
    return redirect(url_for("inbox.notifications", **_list_args()))


@bp.route("/read-all", methods=["POST"])
def mark_all_read():
    marked = service.mark_all_read(current_user)
    if marked:
        flash(_("%(n)d notifications marked read.", n=marked), "success")
    return redirect(url_for("inbox.notifications", **_list_args()))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = EmailPreferencesForm(obj=current_user)
    if request.method == "GET":
        form.digest_frequency.data = DigestFrequency(current_user.digest_frequency).value
    if form.validate_on_submit():
        try:
            service.set_email_preferences(
                current_user,
                email_notifications=form.email_notifications.data,
                digest_frequency=DigestFrequency(form.digest_frequency.data),
            )
        except (DomainError, ValueError):  # one message for any refusal: the choice is the only input
            unit_of_work.discard()
            form.digest_frequency.errors.append(_("Choose one of the listed options."))
        else:
            flash(_("Your e-mail settings are saved."), "success")
            return redirect(url_for("inbox.settings"))
    waiting = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == current_user.id,
            Notification.emailed_at.is_(None),
            Notification.email_due_at.is_not(None),
        )
    )
    return render_template("inbox/settings.html", form=form, waiting=waiting)
