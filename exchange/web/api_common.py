"""API endpoints every signed-in user has."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user

from exchange.web.api import api_blueprint

blp = api_blueprint("api_common", __name__, "/api/v1", "Who am I")


class OrganisationSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    slug = ma.fields.String()
    kind = ma.fields.String()


class MeSchema(ma.Schema):
    id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    role = ma.fields.String()
    organisation = ma.fields.Nested(OrganisationSchema)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @blp.doc(summary="The authenticated user and organisation")
    def get(self):
        return current_user
