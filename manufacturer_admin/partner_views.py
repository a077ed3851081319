"""The partner directory: every enrollment of the programme with its status, tier, product lines and
readiness; adding a partner by hand; the manufacturer's page of one partner (URL ids are enrollment
ids, never partner organisations: an invited partner must not be addressable).

Channel managers read; only holders of ``MANAGE_PARTNERS`` change anything."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from exchange.accounts.password_links import site_base_url
from exchange.accounts.permissions import Permission, can, require
from exchange.models import Enrollment, EnrollmentStatus, ProductLine, Tier
from exchange.partners.directory import (
    AddOutcome,
    PartnerDetails,
    add_partner,
    change_programme,
    send_invitation,
)
from exchange.partners.directory_list import (
    READINESS_CHOICES,
    DirectoryFilters,
    directory_page,
    directory_row,
    enrollment_events,
)
from exchange.partners.profiles import selectable_product_lines
from exchange.platform.extensions import db
from exchange.platform.tenancy import current_org, get_scoped_or_404, scoped
from exchange.web.errors import refused
from manufacturer_admin import bp
from manufacturer_admin.partner_forms import AddPartnerForm, ProgrammeForm

PER_PAGE = 50
# The statuses a filter offers (``pending`` is the legacy word for invited).
STATUS_CHOICES = [status for status in EnrollmentStatus if status is not EnrollmentStatus.PENDING]


def _choice(value: str | None, kind: type) -> object | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _filters() -> tuple[DirectoryFilters, dict[str, str]]:
    args = request.args
    filters = DirectoryFilters(
        search=(args.get("q") or "").strip()[:100],
        status=_choice(args.get("status"), EnrollmentStatus),
        tier=_choice(args.get("tier"), Tier),
        readiness=args.get("readiness") if args.get("readiness") in READINESS_CHOICES else None,
    )
    given = {
        "q": filters.search,
        "status": filters.status.value if filters.status else "",
        "tier": filters.tier.value if filters.tier else "",
        "readiness": filters.readiness or "",
    }
    return filters, {key: value for key, value in given.items() if value}


def _active_lines() -> list[ProductLine]:
    return list(
        db.session.scalars(
            scoped(ProductLine, current_org())
            .where(ProductLine.is_active.is_(True))
            .order_by(ProductLine.name, ProductLine.id)
        )
    )


def _imports_url() -> str | None:
    """The partner-list import (its own module), when this installation has it."""
    endpoint = "manage.partner_imports"
    return url_for(endpoint) if endpoint in current_app.view_functions else None


@bp.route("/partners")
@require(Permission.VIEW_ANALYTICS)
def partners():
    """The directory: every enrollment of the programme, searched, filtered and paged in SQL."""
    filters, args = _filters()
    listing = directory_page(
        current_org(), filters, page=request.args.get("page", 1, type=int) or 1, per_page=PER_PAGE
    )
    return render_template(
        "manage/partner_directory.html",
        listing=listing,
        filters=filters,
        args=args,
        statuses=STATUS_CHOICES,
        tiers=list(Tier),
        readiness_choices=READINESS_CHOICES,
        can_manage=can(current_user, Permission.MANAGE_PARTNERS),
        imports_url=(
            url_for("manage.partner_imports")
            if "manage.partner_imports" in current_app.view_functions
            else None
        ),
    )


@bp.route("/partners/new", methods=["GET", "POST"])
@require(Permission.MANAGE_PARTNERS)
def new_partner():
    form = AddPartnerForm().set_choices(_active_lines())
    if form.validate_on_submit():
        details = PartnerDetails(
            company=form.company.data,
            admin_email=form.admin_email.data,
            admin_name=form.admin_name.data or None,
            external_id=form.external_id.data or None,
            country=form.country.data or None,
            tier=Tier(form.tier.data),
            product_lines=list(form.product_lines.data or []),
        )
        with refused(form, category="error"):
            result = add_partner(
                current_user, current_org(), details, invite=form.invite.data, base_url=site_base_url()
            )
            flash(_ADDED[result.outcome](result.invited), "success")
            return redirect(url_for("manage.partner_detail", enrollment_id=result.enrollment.id))
        return render_template("manage/partner_form.html", form=form), 422
    return render_template("manage/partner_form.html", form=form), 422 if form.errors else 200


_ADDED = {
    AddOutcome.CREATED: lambda invited: (
        _("Partner added and invited.") if invited else _("Partner added; no invitation sent yet.")
    ),
    AddOutcome.UPDATED: lambda invited: (
        _("This partner was already in your programme: updated and invited.")
        if invited
        else _("This partner was already in your programme: updated.")
    ),
    AddOutcome.DUPLICATE: lambda invited: _("This partner is already in your programme; nothing changed."),
}


def _enrollment(enrollment_id: int) -> Enrollment:
    return get_scoped_or_404(Enrollment, enrollment_id, current_org())


@bp.route("/partners/<int:enrollment_id>")
@require(Permission.VIEW_ANALYTICS)
def partner_detail(enrollment_id: int):
    """What this programme knows of one partner: before it accepts, only what the manufacturer typed."""
    row = directory_row(current_org(), enrollment_id)
    if row is None:
        abort(404)
    return _detail_page(row)


def _detail_page(row, form: ProgrammeForm | None = None, status: int = 200):
    enrollment = row.enrollment
    if form is None:
        form = ProgrammeForm(
            formdata=None,
            data={"tier": enrollment.tier.value, "product_lines": row.product_line_codes},
        )
    form.set_choices(selectable_product_lines(enrollment))
    return (
        render_template(
            "manage/partner_detail.html",
            row=row,
            enrollment=enrollment,
            form=form,
            events=enrollment_events(enrollment),
            can_manage=can(current_user, Permission.MANAGE_PARTNERS),
            can_resend=enrollment.status in (EnrollmentStatus.INVITED, EnrollmentStatus.PENDING),
        ),
        status,
    )


@bp.route("/partners/<int:enrollment_id>/programme", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def partner_programme(enrollment_id: int):
    enrollment = _enrollment(enrollment_id)
    lines = selectable_product_lines(enrollment)
    form = ProgrammeForm().set_choices(lines)
    if form.validate_on_submit():
        by_code = {line.code: line for line in lines}
        with refused(form, category="error"):
            changed = change_programme(
                current_user,
                enrollment,
                tier=Tier(form.tier.data),
                product_lines=[by_code[code] for code in form.product_lines.data or []],
            )
            flash(_("Tier and product lines saved.") if changed else _("Nothing changed."), "success")
            return redirect(url_for("manage.partner_detail", enrollment_id=enrollment.id))
    row = directory_row(current_org(), enrollment.id)
    return _detail_page(row, form, 422)


@bp.route("/partners/<int:enrollment_id>/resend", methods=["POST"])
@require(Permission.MANAGE_PARTNERS)
def resend_partner_invitation(enrollment_id: int):
    enrollment = _enrollment(enrollment_id)
    with refused(category="error"):
        send_invitation(current_user, enrollment, site_base_url())
        flash(_("Invitation sent to %(email)s.", email=enrollment.invited_email or "–"), "success")
    return redirect(url_for("manage.partner_detail", enrollment_id=enrollment.id))
