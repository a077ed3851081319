"""SLA policies in the REST API: ``/api/v1/sla-policies``. Manufacturer admins read and write;
channel managers read."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from exchange.accounts.permissions import Permission
from exchange.models import Temperature
from exchange.models.enums import BreachAction
from exchange.platform.tenancy import current_org
from exchange.sla.policies import (
    LIMITS,
    TEMPERATURES,
    default_policy,
    policies_for,
    reset_policies,
    update_policies,
)
from exchange.web.api import api_blueprint, refuse_writes_without

sla_blp = api_blueprint(
    "api_sla_policies",
    __name__,
    "/api/v1/sla-policies",
    "SLA policies per lead temperature (durations in minutes; business minutes where business_time)",
    Permission.USE_MANUFACTURER_AREA,
)


# After the blueprint's gate (so strangers already got 401) and before argument parsing.
sla_blp.before_request(
    refuse_writes_without(Permission.EDIT_SLA_POLICIES, "Only manufacturer admins may change SLA policies.")
)


def _minutes(name: str) -> ma.fields.Integer:
    low, high = LIMITS[name]
    return ma.fields.Integer(
        required=True, strict=True, metadata={"description": f"minutes, {low} to {high}", "minimum": low}
    )


class SlaPolicySchema(ma.Schema):
    """One temperature's policy. On input, ``updated_at`` is ignored (so a read can be sent back)."""

    class Meta:
        unknown = ma.EXCLUDE

    temperature = ma.fields.Enum(Temperature, by_value=True, required=True)
    claim_window_minutes = _minutes("claim_window_minutes")
    first_contact_minutes = _minutes("first_contact_minutes")
    update_cadence_minutes = _minutes("update_cadence_minutes")
    waves = ma.fields.Integer(required=True, strict=True)
    business_time = ma.fields.Boolean(
        required=True,
        metadata={"description": "claim window and first contact in the partner's business time"},
    )
    reminder_percent = ma.fields.Integer(required=True, strict=True)
    breach_action = ma.fields.Enum(BreachAction, by_value=True, required=True)
    notify_channel_manager = ma.fields.Boolean(required=True)
    updated_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class SlaPoliciesSchema(ma.Schema):
    """All three policies (hot, warm, cold), and on output the defaults."""

    class Meta:
        unknown = ma.EXCLUDE

    items = ma.fields.List(
        ma.fields.Nested(SlaPolicySchema),
        required=True,
        validate=ma.validate.Length(
            equal=3, error="Send exactly one policy for each temperature: hot, warm and cold."
        ),
        metadata={"description": "exactly one policy for each temperature: hot, warm and cold"},
    )
    defaults = ma.fields.List(ma.fields.Nested(SlaPolicySchema), dump_only=True)

    @ma.validates_schema
    def _each_temperature_once(self, data, **kwargs):
        named = [item["temperature"] for item in data.get("items", [])]
        if sorted(named) != sorted(TEMPERATURES):
            raise ma.ValidationError(
                "Send exactly one policy for each temperature: hot, warm and cold.", field_name="items"
            )


def _body():
    org = current_org()
    return {"items": policies_for(org), "defaults": [default_policy(t) for t in TEMPERATURES]}


@sla_blp.route("")
class SlaPolicies(MethodView):
    @sla_blp.response(200, SlaPoliciesSchema)
    @sla_blp.doc(summary="The manufacturer's SLA policies, hot, warm, cold, with the defaults")
    def get(self):
        return _body()

    @sla_blp.arguments(SlaPoliciesSchema)
    @sla_blp.response(200, SlaPoliciesSchema)
    @sla_blp.doc(summary="Replace the SLA policies (manufacturer admins)")
    def put(self, data):
        values = {
            item["temperature"]: {name: value for name, value in item.items() if name != "temperature"}
            for item in data["items"]
        }
        update_policies(current_org(), values, actor=current_user)
        return _body()


@sla_blp.route("/reset")
class SlaPoliciesReset(MethodView):
    @sla_blp.response(200, SlaPoliciesSchema)
    @sla_blp.doc(summary="Put all three policies back to the defaults (manufacturer admins)")
    def post(self):
        reset_policies(current_org(), actor=current_user)
        return _body()
