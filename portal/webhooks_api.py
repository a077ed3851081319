"""Webhook endpoints over the API: ``/api/v1/partner/webhooks``, partner admins with a read_write
token (or a signed-in session with the CSRF header for writes)."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from exchange.accounts.permissions import Permission
from exchange.models import TokenScope, WebhookDelivery, WebhookEndpoint
from exchange.notify import webhooks as service
from exchange.notify.kinds import WEBHOOK_EVENTS
from exchange.platform.extensions import db
from exchange.platform.schemas import PageArgsSchema, page_schema, paginate
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.api import api_blueprint

webhooks_blp = api_blueprint(
    "api_partner_webhooks",
    __name__,
    "/api/v1/partner/webhooks",
    "A partner's webhook endpoints and their delivery log",
    Permission.MANAGE_WEBHOOKS,
)


@webhooks_blp.before_request
def _read_write_tokens_only() -> None:
    # Where lead events are sent is an admin's setting: a read-only token may not even list it.
    token = getattr(g, "api_token", None)
    if token is not None and token.scope != TokenScope.READ_WRITE:
        abort(403, message="Webhooks need a read_write token.")


class WebhookEndpointSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=500),
        metadata={"description": "https:// URL that accepts POST"},
    )
    events = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([event.value for event in WEBHOOK_EVENTS])),
        required=True,
        validate=ma.validate.Length(min=1),
        metadata={"description": f"any of {', '.join(WEBHOOK_EVENTS)}"},
    )
    is_active = ma.fields.Boolean(dump_only=True)
    consecutive_failures = ma.fields.Integer(dump_only=True)
    disabled_at = ma.fields.DateTime(dump_only=True, allow_none=True)
    disabled_reason = ma.fields.String(dump_only=True, allow_none=True)
    created_at = ma.fields.DateTime(dump_only=True)


class WebhookEndpointWithSecretSchema(WebhookEndpointSchema):
    secret = ma.fields.String(
        dump_only=True, metadata={"description": "the signing secret; returned only by create and rotate"}
    )


class WebhookDeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    event_type = ma.fields.String()
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    response_status = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    delivered_at = ma.fields.DateTime(allow_none=True)
    payload = ma.fields.Dict()


WebhookEndpointPageSchema = page_schema(WebhookEndpointSchema, "WebhookEndpointPageSchema")
WebhookDeliveryPageSchema = page_schema(WebhookDeliverySchema, "WebhookDeliveryPageSchema")


@webhooks_blp.route("")
class WebhookEndpoints(MethodView):
    @webhooks_blp.arguments(PageArgsSchema, location="query")
    @webhooks_blp.response(200, WebhookEndpointPageSchema)
    @webhooks_blp.doc(summary="List your webhook endpoints (without their secrets)")
    def get(self, args):
        query = scoped(WebhookEndpoint, current_org()).order_by(WebhookEndpoint.id)
        return paginate(query, args["page"], args["per_page"])

    @webhooks_blp.arguments(WebhookEndpointSchema)
    @webhooks_blp.response(201, WebhookEndpointWithSecretSchema)
    @webhooks_blp.doc(summary="Register an endpoint; the signing secret is in this answer only")
    def post(self, data):
        created = service.create_endpoint(current_user, data["url"], data["events"])
        return created.endpoint  # dumped with its secret, this once


@webhooks_blp.route("/<int:endpoint_id>")
class WebhookEndpointResource(MethodView):
    @webhooks_blp.response(200, WebhookEndpointSchema)
    @webhooks_blp.doc(summary="Read one endpoint")
    def get(self, endpoint_id: int):
        return get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())

    @webhooks_blp.response(204)
    @webhooks_blp.doc(summary="Delete an endpoint and its delivery log")
    def delete(self, endpoint_id: int):
        endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())
        service.delete_endpoint(current_user, endpoint)


@webhooks_blp.route("/<int:endpoint_id>/rotate-secret")
class WebhookSecretRotation(MethodView):
    @webhooks_blp.response(200, WebhookEndpointWithSecretSchema)
    @webhooks_blp.doc(summary="Replace the signing secret; the new one is in this answer only")
    def post(self, endpoint_id: int):
        endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())
        service.rotate_secret(current_user, endpoint)
        return endpoint  # dumped with its new secret, this once


@webhooks_blp.route("/<int:endpoint_id>/enable")
class WebhookEnable(MethodView):
    @webhooks_blp.response(200, WebhookEndpointSchema)
    @webhooks_blp.doc(summary="Enable a disabled endpoint (the failure count starts over)")
    def post(self, endpoint_id: int):
        endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())
        service.enable_endpoint(current_user, endpoint)
        return endpoint


@webhooks_blp.route("/<int:endpoint_id>/deliveries")
class WebhookDeliveries(MethodView):
    @webhooks_blp.arguments(PageArgsSchema, location="query")
    @webhooks_blp.response(200, WebhookDeliveryPageSchema)
    @webhooks_blp.doc(summary="The endpoint's delivery log, newest first")
    def get(self, args, endpoint_id: int):
        endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())
        query = (
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
        )
        return paginate(query, args["page"], args["per_page"])


@webhooks_blp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
class WebhookRedelivery(MethodView):
    @webhooks_blp.response(202, WebhookDeliverySchema)
    @webhooks_blp.doc(summary="Send a finished delivery again (same delivery id)")
    def post(self, endpoint_id: int, delivery_id: int):
        endpoint = get_scoped_or_404(WebhookEndpoint, endpoint_id, current_org())
        delivery = db.session.scalar(
            sa.select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
            )
        )
        if delivery is None:
            abort(404, message="No such delivery.")
        service.redeliver(current_user, delivery)
        return delivery


API_BLUEPRINTS = [webhooks_blp]
