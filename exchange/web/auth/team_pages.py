"""The team pages, the same for partner admins (``/portal/team``) and manufacturer admins
(``/manage/team``): invite (the link is shown once and e-mailed), resend, change role, deactivate,
reactivate, unlock a locked sign-in. The roles offered are those of the organisation's kind; the rules
are ``exchange.accounts.team``'s. Each blueprint registers them with :func:`register_team_pages`."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.password_links import invitation_url, site_base_url
from exchange.accounts.permissions import Permission, require
from exchange.accounts.team import (
    change_role,
    deactivate_member,
    invite_member,
    reactivate_member,
    resend_invitation,
    unlock_sign_in,
)
from exchange.models import Role, User
from exchange.platform.extensions import db
from exchange.platform.labels import ROLES
from exchange.platform.security import is_locked, no_store
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.auth.forms import ConfirmForm
from exchange.web.auth.team_forms import InviteMemberForm, MemberRoleForm, role_choices
from exchange.web.errors import refused


def register_team_pages(bp: Blueprint) -> None:
    """Add ``team``, ``invite``, ``resend``, ``member_role``, ``deactivate``, ``reactivate`` and
    ``unlock`` to ``bp``, for the roles that manage the team (in the blueprint's own area: its gate
    has let only its audience in)."""

    def page(form: InviteMemberForm, new_link: dict | None = None, status: int = 200):
        org = current_org()
        members = db.session.scalars(
            scoped(User, org).order_by(User.is_active_user.desc(), sa.func.lower(User.name), User.id)
        ).all()
        body = render_template(
            "auth/team.html",
            form=form,
            members=members,
            locked={m.id for m in members if m.is_active_user and is_locked(m.email)},
            new_link=new_link,
            role_choices=role_choices(org.kind),
            area=bp.name,
        )
        # An invitation link may be in this page: never cached.
        return no_store(make_response(body, status))

    def member_or_404(user_id: int) -> User:
        return get_scoped_or_404(User, user_id, current_org())

    def act(action: Callable[[], object], success: str):
        with refused():
            changed = action()
            flash(success if changed is not False else _("Nothing changed."), "success")
        return redirect(url_for(f"{bp.name}.team"))

    def confirmed() -> None:
        if not ConfirmForm().validate_on_submit():
            abort(400)

    @bp.route("/team")
    @require(Permission.MANAGE_TEAM)
    def team():
        return page(InviteMemberForm(current_org().kind))

    @bp.route("/team/invite", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def invite():
        kind = current_org().kind
        form = InviteMemberForm(kind)
        if not form.validate_on_submit():
            return page(form, status=422)
        with refused(form, default_field="email") as refusal:
            member = invite_member(
                current_user._get_current_object(),
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                base_url=site_base_url(),
            )
            # Shown once (and e-mailed): the admin can pass it on if the e-mail does not arrive.
            link = {"member": member, "url": invitation_url(member)}
            return page(InviteMemberForm(kind, formdata=None), link, status=201)
        return page(form, status=refusal.error.status)

    @bp.route("/team/<int:user_id>/resend", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def resend(user_id: int):
        member = member_or_404(user_id)
        confirmed()
        with refused():
            resend_invitation(current_user._get_current_object(), member, base_url=site_base_url())
            link = {"member": member, "url": invitation_url(member), "resent": True}
            return page(InviteMemberForm(current_org().kind, formdata=None), link)
        return redirect(url_for(f"{bp.name}.team"))

    @bp.route("/team/<int:user_id>/role", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def member_role(user_id: int):
        member = member_or_404(user_id)
        form = MemberRoleForm(current_org().kind)
        if not form.validate_on_submit():
            abort(400)
        role = Role(form.role.data)
        return act(
            lambda: change_role(current_user._get_current_object(), member, role),
            _("%(name)s is now %(role)s.", name=member.name, role=ROLES[role]),
        )

    @bp.route("/team/<int:user_id>/deactivate", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def deactivate(user_id: int):
        member = member_or_404(user_id)
        confirmed()
        return act(
            lambda: deactivate_member(current_user._get_current_object(), member),
            _("%(name)s is deactivated: signed out, and their API tokens stop working.", name=member.name),
        )

    @bp.route("/team/<int:user_id>/reactivate", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def reactivate(user_id: int):
        member = member_or_404(user_id)
        confirmed()
        return act(
            lambda: reactivate_member(current_user._get_current_object(), member),
            _("%(name)s is active again.", name=member.name),
        )

    @bp.route("/team/<int:user_id>/unlock", methods=["POST"])
    @require(Permission.MANAGE_TEAM)
    def unlock(user_id: int):
        member = member_or_404(user_id)
        confirmed()
        return act(
            lambda: unlock_sign_in(current_user._get_current_object(), member),
            _("%(name)s can sign in again.", name=member.name),
        )
