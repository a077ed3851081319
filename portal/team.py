"""The partner admin manages the team: ``/portal/team`` (invite, change role, deactivate, reactivate)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.password_links import LinkPurpose, link_url, make_token, site_base_url
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
from exchange.platform.security import is_locked
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.auth.forms import ConfirmForm
from exchange.web.errors import refused
from exchange.web.shell import ROLE_LABELS
from portal import bp
from portal.team_forms import PARTNER_ROLE_CHOICES, InviteMemberForm, MemberRoleForm


def _render(form: InviteMemberForm, new_link: dict | None = None, status: int = 200):
    members = db.session.scalars(
        scoped(User, current_org()).order_by(User.is_active_user.desc(), sa.func.lower(User.name), User.id)
    ).all()
    return (
        render_template(
            "portal/team.html",
            form=form,
            members=members,
            locked={m.id for m in members if m.is_active_user and is_locked(m.email)},
            new_link=new_link,
            role_choices=PARTNER_ROLE_CHOICES,
        ),
        status,
    )


@bp.route("/team")
@require(Permission.MANAGE_TEAM)
def team():
    return _render(InviteMemberForm())


@bp.route("/team/invite", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def invite():
    form = InviteMemberForm()
    if not form.validate_on_submit():
        return _render(form, status=422)
    with refused(form, default_field="email") as refusal:
        member = invite_member(
            current_user._get_current_object(),
            name=form.name.data,
            email=form.email.data,
            role=Role(form.role.data),
            base_url=site_base_url(),
        )
        # Shown once (and e-mailed): the admin can pass it on if the e-mail does not arrive.
        link = link_url(site_base_url(), LinkPurpose.INVITE, make_token(member, LinkPurpose.INVITE))
        return _render(InviteMemberForm(formdata=None), {"member": member, "url": link}, status=201)
    return _render(form, status=refusal.error.status)


@bp.route("/team/<int:user_id>/resend", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def resend(user_id: int):
    member = get_scoped_or_404(User, user_id, current_org())
    if not ConfirmForm().validate_on_submit():
        return _bad_request()
    with refused():
        resend_invitation(current_user._get_current_object(), member, base_url=site_base_url())
        link = link_url(site_base_url(), LinkPurpose.INVITE, make_token(member, LinkPurpose.INVITE))
        return _render(InviteMemberForm(formdata=None), {"member": member, "url": link, "resent": True})
    return redirect(url_for("portal.team"))


@bp.route("/team/<int:user_id>/role", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def member_role(user_id: int):
    member = get_scoped_or_404(User, user_id, current_org())
    form = MemberRoleForm()
    if not form.validate_on_submit():
        return _bad_request()
    return _act(
        lambda: change_role(current_user._get_current_object(), member, Role(form.role.data)),
        _("%(name)s is now %(role)s.", name=member.name, role=ROLE_LABELS[Role(form.role.data)]),
    )


@bp.route("/team/<int:user_id>/deactivate", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def deactivate(user_id: int):
    member = get_scoped_or_404(User, user_id, current_org())
    if not ConfirmForm().validate_on_submit():
        return _bad_request()
    return _act(
        lambda: deactivate_member(current_user._get_current_object(), member),
        _("%(name)s is deactivated: signed out, and their API tokens stop working.", name=member.name),
    )


@bp.route("/team/<int:user_id>/reactivate", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def reactivate(user_id: int):
    member = get_scoped_or_404(User, user_id, current_org())
    if not ConfirmForm().validate_on_submit():
        return _bad_request()
    return _act(
        lambda: reactivate_member(current_user._get_current_object(), member),
        _("%(name)s is active again.", name=member.name),
    )


@bp.route("/team/<int:user_id>/unlock", methods=["POST"])
@require(Permission.MANAGE_TEAM)
def unlock(user_id: int):
    member = get_scoped_or_404(User, user_id, current_org())
    if not ConfirmForm().validate_on_submit():
        return _bad_request()
    return _act(
        lambda: unlock_sign_in(current_user._get_current_object(), member),
        _("%(name)s can sign in again.", name=member.name),
    )


def _act(action, success: str):
    with refused():
        changed = action()
        flash(success if changed is not False else _("Nothing changed."), "success")
    return redirect(url_for("portal.team"))


def _bad_request():
    abort(400)
