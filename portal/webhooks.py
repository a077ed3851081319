"""Webhook endpoints of the partner, under ``/portal/webhooks`` (partner admins only): register,
edit, rotate the secret, pause / enable, delete, and the delivery log with manual redelivery."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from exchange.accounts.permissions import Permission, require
from exchange.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from exchange.notify import webhooks as service
from exchange.notify.kinds import WEBHOOK_EVENT_LABELS, WEBHOOK_EVENTS
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.errors import refused
from portal import bp

DELIVERIES_PER_PAGE = 25


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookEndpointForm(FlaskForm):
    url = StringField(
        _l("Endpoint URL"),
        validators=[DataRequired(), Length(max=500)],
        description=_l("An https:// address of your system that accepts POST requests with JSON."),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    events = MultiCheckboxField(
        _l("Events"),
        choices=[SelectChoice(event.value, label) for event, label in WEBHOOK_EVENT_LABELS.items()],
    )
    submit = SubmitField(_l("Save"))


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    return get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())


def _secret_page(endpoint: WebhookEndpoint, secret: str, *, created: bool):
    """The one time a secret is shown: rendered in the POST's answer, never stored in the session."""
    response = make_response(
        render_template("portal/webhook_secret.html", endpoint=endpoint, secret=secret, created=created),
        201 if created else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/webhooks", methods=["GET", "POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhooks():
    org = current_org()
    form = WebhookEndpointForm()
    if request.method == "GET":
        form.events.data = [event.value for event in WEBHOOK_EVENTS]
    if form.validate_on_submit():
        with refused(form):
            created = service.create_endpoint(current_user, form.url.data, form.events.data)
            return _secret_page(created.endpoint, created.secret, created=True)
    endpoints = db.session.scalars(scoped(WebhookEndpoint, org).order_by(WebhookEndpoint.id)).all()
    last = _last_deliveries([endpoint.id for endpoint in endpoints])
    status = 422 if request.method == "POST" else 200
    return render_template("portal/webhooks.html", form=form, endpoints=endpoints, last=last), status


def _last_deliveries(endpoint_ids: list[int]) -> dict[int, WebhookDelivery]:
    if not endpoint_ids:
        return {}
    latest = (
        sa.select(sa.func.max(WebhookDelivery.id))
        .where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
        .group_by(WebhookDelivery.endpoint_id)
    )
    rows = db.session.scalars(sa.select(WebhookDelivery).where(WebhookDelivery.id.in_(latest))).all()
    return {row.endpoint_id: row for row in rows}


@bp.route("/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_detail(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    form = WebhookEndpointForm(obj=endpoint)
    if form.validate_on_submit():
        with refused(form):
            service.update_endpoint(current_user, endpoint, url=form.url.data, events=form.events.data)
            flash(_("The endpoint is saved."), "success")
            return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id))
    deliveries = db.paginate(
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.id.desc()),
        per_page=DELIVERIES_PER_PAGE,
        error_out=False,
    )
    status = 422 if request.method == "POST" else 200
    retry_waits = [
        format_timedelta(timedelta(seconds=int(seconds)), threshold=1)
        for seconds in current_app.config["WEBHOOK_RETRY_SCHEDULE"]
    ]
    return (
        render_template(
            "portal/webhook_detail.html",
            endpoint=endpoint,
            form=form,
            deliveries=deliveries,
            retry_waits=retry_waits,
        ),
        status,
    )


@bp.route("/webhooks/<int:endpoint_id>/rotate-secret", methods=["POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_rotate_secret(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    secret = service.rotate_secret(current_user, endpoint)
    return _secret_page(endpoint, secret, created=False)


@bp.route("/webhooks/<int:endpoint_id>/enable", methods=["POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_enable(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    service.enable_endpoint(current_user, endpoint)
    flash(_("The endpoint is enabled: new events are delivered to it again."), "success")
    return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id))


@bp.route("/webhooks/<int:endpoint_id>/disable", methods=["POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_disable(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    service.disable_endpoint(current_user, endpoint, _("Paused by %(name)s", name=current_user.name))
    flash(_("The endpoint is paused: no events are delivered to it until you enable it."), "info")
    return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id))


@bp.route("/webhooks/<int:endpoint_id>/delete", methods=["POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_delete(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    service.delete_endpoint(current_user, endpoint)
    flash(_("The endpoint and its delivery log are deleted."), "info")
    return redirect(url_for("portal.webhooks"))


def _delivery_or_404(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.scalar(
        sa.select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    if delivery is None:
        abort(404)
    return delivery


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>")
@require(Permission.MANAGE_WEBHOOKS)
def webhook_delivery(endpoint_id: int, delivery_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = _delivery_or_404(endpoint, delivery_id)
    body = json.dumps(delivery.payload, indent=2, sort_keys=True, ensure_ascii=False)
    return render_template("portal/webhook_delivery.html", endpoint=endpoint, delivery=delivery, body=body)


@bp.route("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@require(Permission.MANAGE_WEBHOOKS)
def webhook_redeliver(endpoint_id: int, delivery_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    delivery = _delivery_or_404(endpoint, delivery_id)
    with refused(category="warning"):
        service.redeliver(current_user, delivery)
        flash(_("Delivery %(id)d is queued to be sent again.", id=delivery.id), "success")
    return redirect(url_for("portal.webhook_detail", endpoint_id=endpoint.id))


# How the templates show a delivery's status.
STATUS_BADGES = {
    DeliveryStatus.PENDING: ("bg-secondary", _l("waiting")),
    DeliveryStatus.SUCCEEDED: ("bg-success", _l("delivered")),
    DeliveryStatus.FAILED: ("bg-danger", _l("failed")),
}


@bp.app_template_global()
def delivery_status_badge(status: DeliveryStatus) -> tuple[str, str]:
    css, label = STATUS_BADGES.get(status, ("bg-secondary", status))
    return css, str(label)
