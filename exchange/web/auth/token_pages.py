"""The API-token pages, the same for partner admins (``/portal/tokens``) and manufacturer admins
(``/manage/tokens``): create (the token is shown once), list, revoke. Each blueprint registers them
with :func:`register_token_pages`."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.permissions import Permission, require
from exchange.accounts.tokens import create_token, revoke_token, token_state
from exchange.models import ApiToken, TokenScope
from exchange.platform.extensions import db
from exchange.platform.security import config_limit, limiter, no_store
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.auth.forms import ConfirmForm, CreateTokenForm
from exchange.web.errors import refused


def _user_key() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"


def register_token_pages(bp: Blueprint, api_example: str) -> None:
    """Add ``tokens`` and ``revoke_api_token`` to ``bp``, for the roles that manage tokens (in the
    blueprint's own area: its gate has let only its audience in)."""

    @bp.route("/tokens", methods=["GET", "POST"])
    @require(Permission.MANAGE_TOKENS)
    @limiter.limit(config_limit("TOKEN_CREATE_RATE_LIMIT"), methods=["POST"], key_func=_user_key)
    def tokens():
        form = CreateTokenForm()
        new_token, status = None, 200
        if form.validate_on_submit():
            with refused(form, default_field="name") as refusal:
                issued = create_token(
                    current_user._get_current_object(),
                    form.name.data,
                    TokenScope(form.scope.data),
                    form.expires_at(),
                )
                new_token, status = issued.plaintext, 201
                form = CreateTokenForm(formdata=None)
            if refusal.error is not None:
                status = refusal.error.status
        elif form.is_submitted():
            status = 422
        listed = db.session.scalars(
            scoped(ApiToken, current_org()).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ).all()
        page = render_template(
            "auth/tokens.html",
            form=form,
            tokens=listed,
            token_state=token_state,
            new_token=new_token,
            create_url=url_for(f"{bp.name}.tokens"),
            revoke_endpoint=f"{bp.name}.revoke_api_token",
            api_example=api_example,
        )
        # The new token is in this page: never cached (the header is set on every page anyway).
        return no_store(make_response(page, status))

    @bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
    @require(Permission.MANAGE_TOKENS)
    def revoke_api_token(token_id: int):
        token = get_scoped_or_404(ApiToken, token_id, current_org())
        if not ConfirmForm().validate_on_submit():
            abort(400)
        with refused():
            revoke_token(current_user._get_current_object(), token)
            flash(
                _(
                    "The token %(name)s is revoked; requests with it are refused from now on.",
                    name=token.name,
                ),
                "success",
            )
        return redirect(url_for(f"{bp.name}.tokens"))
