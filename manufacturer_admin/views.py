"""Back-office pages for manufacturers and channel managers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, require
from exchange.analytics import programme
from exchange.models import Tier
from exchange.platform.tenancy import current_org
from manufacturer_admin import bp
from manufacturer_admin.forms import ProgramSettingsForm


@bp.route("/")
@require(Permission.VIEW_ANALYTICS)
def dashboard():
    return render_template("manage/dashboard.html", **vars(programme.dashboard(current_org())))


PARTNERS_PER_PAGE = 100
PARTNER_SORT_LABELS = {
    "name": _l("Name"),
    "response_rate": _l("Response rate"),
    "claim_minutes": _l("Time to claim"),
    "sla_compliance": _l("SLA compliance"),
    "breaches": _l("SLA breaches"),
    "load": _l("Load"),
}


@bp.route("/partners/performance")
@require(Permission.VIEW_ANALYTICS)
def partner_performance():
    """The programme's partners with the figures a channel manager steers by (see
    ``exchange.analytics.programme.partner_rows``), a page at a time. The directory is
    ``manage.partners`` (``partner_views``)."""
    tier_filter = request.args.get("tier")
    search = (request.args.get("q") or "").strip()[:100]
    sort = request.args.get("sort", "name")
    if sort not in programme.PARTNER_SORTS:
        sort = "name"
    ordered = programme.partner_rows(
        current_org(),
        tier=Tier(tier_filter) if tier_filter in {t.value for t in Tier} else None,
        search=search,
        sort=sort,
    )
    pages = max(1, -(-len(ordered) // PARTNERS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    return render_template(
        "manage/partner_performance.html",
        rows=ordered[(page - 1) * PARTNERS_PER_PAGE : page * PARTNERS_PER_PAGE],
        total=len(ordered),
        page=page,
        pages=pages,
        search=search,
        args={k: v for k, v in {"tier": tier_filter, "sort": sort, "q": search}.items() if v},
        tier_filter=tier_filter,
        tiers=list(Tier),
        sort=sort,
        sorts=PARTNER_SORT_LABELS,
    )


@bp.route("/settings", methods=["GET", "POST"])
@require(Permission.EDIT_PROGRAMME_SETTINGS)
def settings():
    org = current_org()
    program = org.program
    form = ProgramSettingsForm(obj=program, name=org.name)
    if request.method == "GET":
        form.name.data = org.name
        form.large_deal_min_tier.data = (
            program.large_deal_min_tier.value if program.large_deal_min_tier else ""
        )
    if form.validate_on_submit():
        org.name = form.name.data
        program.currency = form.currency.data
        program.wave_size = form.wave_size.data
        program.cooling_days_per_step = form.cooling_days_per_step.data or 0
        program.large_deal_threshold = form.large_deal_threshold.data
        program.large_deal_min_tier = (
            Tier(form.large_deal_min_tier.data) if form.large_deal_min_tier.data else None
        )
        flash(_("Programme settings saved."), "success")
        return redirect(url_for("manage.settings"))
    return render_template("manage/settings.html", form=form)
