"""The partner's availability over the API: ``/api/v1/availability``. Partner users read it; the
partner admin pauses new offers (PUT, with ``until`` and ``reason``) and resumes them (DELETE).
Refusals answer 422 with ``errors: {field: [messages]}`` like the rest of the API."""

from __future__ import annotations

from datetime import date, datetime

import marshmallow as ma
from flask.views import MethodView
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission
from exchange.partners import availability as service
from exchange.platform.tenancy import current_org
from exchange.web.api import api_blueprint

availability_blp = api_blueprint(
    "api_availability",
    __name__,
    "/api/v1/availability",
    "The partner's availability: pause new offers and resume",
    Permission.USE_PARTNER_AREA,
    Permission.MANAGE_PROGRAMMES,
)


class AvailabilitySchema(ma.Schema):
    paused = ma.fields.Boolean(metadata={"description": "true: matching skips the partner (no new offers)"})
    paused_at = ma.fields.DateTime(allow_none=True)
    paused_until = ma.fields.DateTime(
        allow_none=True, metadata={"description": "the pause ends by itself then; null: until resumed"}
    )
    reason = ma.fields.String(allow_none=True)


class Until(ma.fields.Field):
    """An aware date-time, or a date (midnight at its start in the caller's zone)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None:
            return None
        message = _("Away until: a date (YYYY-MM-DD) or a date-time with its offset.")
        if not isinstance(value, str):
            raise ma.ValidationError(message)
        text = value.strip()
        try:
            if len(text) == 10:
                return service.start_of_day(date.fromisoformat(text), get_timezone())
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ma.ValidationError(message) from None
        if moment.tzinfo is None:
            raise ma.ValidationError(message)
        return moment


class PauseSchema(ma.Schema):
    until = Until(
        allow_none=True,
        load_default=None,
        metadata={
            "type": "string",
            "description": "YYYY-MM-DD or an ISO date-time with offset, in the future; null: until resumed",
        },
    )
    reason = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=service.MAX_REASON),
        metadata={
            "description": "why (the partner's manufacturers see it), not blank, at most 300 characters"
        },
    )


def _document(profile) -> dict:
    state = service.availability(profile)
    return {
        "paused": state.paused,
        "paused_at": state.paused_at,
        "paused_until": state.paused_until,
        "reason": state.reason,
    }


@availability_blp.route("")
class Availability(MethodView):
    @availability_blp.response(200, AvailabilitySchema)
    @availability_blp.doc(summary="Whether the partner receives new offers")
    def get(self):
        return _document(current_org().profile)

    @availability_blp.arguments(PauseSchema)
    @availability_blp.response(200, AvailabilitySchema)
    @availability_blp.doc(summary="Pause new offers (partner admins); again to change the date or reason")
    def put(self, data):
        org = current_org()
        service.pause(current_user._get_current_object(), org, until=data["until"], reason=data["reason"])
        return _document(org.profile)

    @availability_blp.response(200, AvailabilitySchema)
    @availability_blp.doc(summary="Resume new offers (partner admins)")
    def delete(self):
        org = current_org()
        service.resume(current_user._get_current_object(), org)
        return _document(org.profile)


API_BLUEPRINTS = [availability_blp]
