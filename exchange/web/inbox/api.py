"""The signed-in user's (or token owner's) notifications over the API."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import abort

from exchange.accounts.permissions import Permission
from exchange.models import Notification
from exchange.notify import inbox as service
from exchange.platform.extensions import db
from exchange.platform.schemas import PageArgsSchema, page_schema, paginate
from exchange.platform.tenancy import notifications_for
from exchange.web.api import api_blueprint

blp = api_blueprint(
    "api_notifications",
    __name__,
    "/api/v1/notifications",
    "Your notifications",
    Permission.READ_NOTIFICATIONS,
)


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "e.g. offer.created, sla.breached"})
    title = ma.fields.String()
    body = ma.fields.String(allow_none=True)
    link = ma.fields.String(allow_none=True, metadata={"description": "a path on this site"})
    lead_id = ma.fields.Integer(allow_none=True)
    count = ma.fields.Integer(
        attribute="item_count",
        metadata={
            "description": "how many events this entry stands for: 1, or more for a group (the new "
            "offers of one hour, with the link to the pull list)"
        },
    )
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class NotificationArgsSchema(PageArgsSchema):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "only unread ones"})


class NotificationPageSchema(page_schema(NotificationSchema, "NotificationPageEnvelope")):
    unread = ma.fields.Integer(metadata={"description": "how many are unread in all"})


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer()


@blp.route("")
class Notifications(MethodView):
    @blp.arguments(NotificationArgsSchema, location="query")
    @blp.response(200, NotificationPageSchema)
    @blp.doc(summary="Your notifications, newest first")
    def get(self, args):
        query = notifications_for(current_user).order_by(
            Notification.created_at.desc(), Notification.id.desc()
        )
        if args["unread"]:
            query = query.where(Notification.read_at.is_(None))
        page = paginate(query, args["page"], args["per_page"])
        page["unread"] = service.unread_count(current_user)
        return page


@blp.route("/<int:notification_id>/read")
class NotificationRead(MethodView):
    @blp.response(200, NotificationSchema)
    @blp.doc(summary="Mark one notification read")
    def post(self, notification_id: int):
        notification = db.session.scalar(
            notifications_for(current_user).where(Notification.id == notification_id)
        )
        if notification is None:
            abort(404, message="No such notification.")
        service.mark_read(notification)
        return notification


@blp.route("/read-all")
class AllRead(MethodView):
    @blp.response(200, MarkedSchema)
    @blp.doc(summary="Mark all your notifications read")
    def post(self):
        marked = service.mark_all_read(current_user)
        return {"marked": marked}
