"""The organisation's team over the API: ``/api/v1/team``, for partner and manufacturer admins alike.

List the members, invite one (the answer carries the invitation link, this once), read one, change
its role, resend an invitation, deactivate and reactivate. Every request needs
``Permission.MANAGE_TEAM`` (members' addresses are the admin's business); writes a read_write token
or a session with the CSRF header. The roles are those of the caller's kind of organisation;
another organisation's user id answers 404. The rules and messages are the team pages'
(``exchange.accounts.team``).
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user

from exchange.accounts.password_links import invitation_url, site_base_url
from exchange.accounts.permissions import Permission
from exchange.accounts.team import (
    TEAM_ROLES,
    change_role,
    deactivate_member,
    invite_member,
    reactivate_member,
    resend_invitation,
)
from exchange.models import Role, User
from exchange.platform.schemas import PageArgsSchema, page_schema, paginate
from exchange.platform.security import is_locked
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.api import api_blueprint

blp = api_blueprint(
    "api_team",
    __name__,
    "/api/v1/team",
    "The caller's organisation's team: members, invitations, roles (admins)",
    Permission.MANAGE_TEAM,
)

_ROLE_DOC = (
    "a role of the caller's kind of organisation: manufacturer_admin or channel_manager "
    "(manufacturers), partner_admin or partner_rep (partners)"
)


class TeamMemberSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    email = ma.fields.String()
    role = ma.fields.String(metadata={"description": _ROLE_DOC})
    active = ma.fields.Boolean(metadata={"description": "false once deactivated"})
    invited = ma.fields.Boolean(metadata={"description": "invited and not yet accepted (no password chosen)"})
    sign_in_locked = ma.fields.Boolean(metadata={"description": "locked after failed sign-ins"})
    last_sign_in_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()


class InvitedMemberSchema(TeamMemberSchema):
    invitation_url = ma.fields.String(
        metadata={
            "description": "the link to choose a password, also e-mailed; returned only by invite and "
            "resend, works once and expires"
        }
    )


class InviteSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    email = ma.fields.Email(
        required=True,
        validate=ma.validate.Length(max=254),
        metadata={"description": "not yet the address of any user (of this or another organisation)"},
    )
    role = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf([role.value for role in Role]),
        metadata={"description": f"{_ROLE_DOC}; default channel_manager or partner_rep"},
    )


class RoleChangeSchema(ma.Schema):
    role = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([role.value for role in Role]),
        metadata={"description": _ROLE_DOC},
    )


TeamPageSchema = page_schema(TeamMemberSchema, "TeamPageSchema")


def member_document(member: User, *, with_link: bool = False) -> dict:
    document = {
        "id": member.id,
        "name": member.name,
        "email": member.email,
        "role": member.role.value,
        "active": member.is_active_user,
        "invited": member.password_hash is None,
        "sign_in_locked": member.is_active_user and is_locked(member.email),
        "last_sign_in_at": member.last_login_at,
        "created_at": member.created_at,
    }
    if with_link:
        document["invitation_url"] = invitation_url(member)
    return document


def _member(user_id: int) -> User:
    return get_scoped_or_404(User, user_id, current_org())


def _actor() -> User:
    return current_user._get_current_object()


@blp.route("")
class Team(MethodView):
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, TeamPageSchema)
    @blp.doc(summary="The members of your organisation, active ones first, by name")
    def get(self, args):
        query = scoped(User, current_org()).order_by(
            User.is_active_user.desc(), sa.func.lower(User.name), User.id
        )
        page = paginate(query, args["page"], args["per_page"])
        page["items"] = [member_document(member) for member in page["items"]]
        return page

    @blp.arguments(InviteSchema)
    @blp.response(201, InvitedMemberSchema)
    @blp.alt_response(
        409, description="The address belongs to a user already (of this or another organisation)"
    )
    @blp.alt_response(422, description="No name, or a role of the other kind of organisation")
    @blp.doc(
        summary="Invite a member: an e-mail with a link to choose a password; the link is in this answer once"
    )
    def post(self, data):
        kind = current_org().kind
        role = Role(data["role"]) if data.get("role") else TEAM_ROLES[kind][0]
        member = invite_member(
            _actor(), name=data["name"], email=data["email"], role=role, base_url=site_base_url()
        )
        return member_document(member, with_link=True)


@blp.route("/<int:user_id>")
class TeamMemberResource(MethodView):
    @blp.response(200, TeamMemberSchema)
    @blp.doc(summary="One member")
    def get(self, user_id: int):
        return member_document(_member(user_id))

    @blp.arguments(RoleChangeSchema)
    @blp.response(200, TeamMemberSchema)
    @blp.alt_response(403, description="Your own role (another admin changes it)")
    @blp.alt_response(409, description="The last active admin keeps that role")
    @blp.alt_response(422, description="A role of the other kind of organisation")
    @blp.doc(summary="Change a member's role")
    def patch(self, data, user_id: int):
        member = _member(user_id)
        change_role(_actor(), member, Role(data["role"]))
        return member_document(member)


@blp.route("/<int:user_id>/resend")
class TeamMemberResend(MethodView):
    @blp.response(200, InvitedMemberSchema)
    @blp.alt_response(409, description="The member has chosen a password already, or is deactivated")
    @blp.doc(
        summary="Send the invitation again; earlier links stop working, the new one is in this answer once"
    )
    def post(self, user_id: int):
        member = _member(user_id)
        resend_invitation(_actor(), member, base_url=site_base_url())
        return member_document(member, with_link=True)


@blp.route("/<int:user_id>/deactivate")
class TeamMemberDeactivate(MethodView):
    @blp.response(200, TeamMemberSchema)
    @blp.alt_response(403, description="Yourself (another admin deactivates you)")
    @blp.alt_response(409, description="Already deactivated, or the last active admin")
    @blp.doc(summary="Deactivate a member: signed out everywhere, their links and API tokens stop working")
    def post(self, user_id: int):
        member = _member(user_id)
        deactivate_member(_actor(), member)
        return member_document(member)


@blp.route("/<int:user_id>/reactivate")
class TeamMemberReactivate(MethodView):
    @blp.response(200, TeamMemberSchema)
    @blp.alt_response(409, description="Already active")
    @blp.doc(summary="Let a deactivated member sign in again (old sessions stay over)")
    def post(self, user_id: int):
        member = _member(user_id)
        reactivate_member(_actor(), member)
        return member_document(member)
