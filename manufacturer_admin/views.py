"""Back-office pages for manufacturers and channel managers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

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


# The old partner list's sort keys, as the partner table names them.
_OLD_SORTS = {"claim_minutes": "claim_minutes_median"}


@bp.route("/partners/performance")
@require(Permission.VIEW_ANALYTICS)
def partner_performance():
    """The old partner list: now the ranked partner table of the analytics pages (its search, tier
    and sort carried over); kept so that links and bookmarks still lead there."""
    args: dict[str, str] = {}
    if search := (request.args.get("q") or "").strip()[:100]:
        args["q"] = search
    if request.args.get("tier") in {t.value for t in Tier}:
        args["tier"] = request.args["tier"]
    if sort := request.args.get("sort"):
        args["sort"] = _OLD_SORTS.get(sort, sort)
    return redirect(url_for("manage.analytics_partners", **args), code=302)


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
