"""Analytics pages: fairness (how evenly offers and claims spread over the eligible partners) with the
coverage gaps over time, and Return on Leads per campaign; each with its CSV. The coverage-gaps page
of today's unmatched leads (``matching_views.coverage_gaps``) is one of the analytics tabs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, require
from exchange.analytics import coverage as coverage_service
from exchange.analytics import fairness as fairness_service
from exchange.analytics import return_on_leads as return_service
from exchange.analytics.fairness import Fairness
from exchange.analytics.return_on_leads import CampaignReturn
from exchange.partners.availability import NO_OFFERS_LABELS, partners_without_offers
from exchange.platform.labels import GAP_CAUSES, READINESS
from exchange.platform.tenancy import current_org
from exchange.web import charts
from exchange.web.csv_export import csv_response
from manufacturer_admin import bp
from manufacturer_admin.analytics_scope import add_tab, current_scope, scope_choices
from manufacturer_admin.partner_forms import TIER_LABELS

add_tab("manage.analytics_fairness", _l("Fairness"), 30)
add_tab("manage.coverage_gaps", _l("Coverage gaps"), 35)
add_tab("manage.analytics_return", _l("Return on Leads"), 40)

CENT = Decimal("0.01")
MAX_CURVES = 8  # campaigns on the Return on Leads chart
DEFAULT_CURVES = 5  # chosen by default: the most expensive
NEVER_OFFERED_SHOWN = 200  # rows on the page (the CSV has them all)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f} %"


def gap_labels(result: coverage_service.CoverageOverTime) -> list[str]:
    form = "d MMM" if result.granularity == "week" else "MMM y"
    return [format_date(bucket.start, form) for bucket in result.buckets]


def partner_url(partner: fairness_service.NeverOffered) -> str:
    """Where a partner's name links to: its scorecard once it exists, else its directory page."""
    if "manage.partner_scorecard" in current_app.view_functions:
        return url_for("manage.partner_scorecard", partner_id=partner.partner_id)
    return url_for("manage.partner_detail", enrollment_id=partner.enrollment_id)


@bp.route("/analytics/fairness")
@require(Permission.VIEW_ANALYTICS)
def analytics_fairness():
    """Gini coefficient and top-10 % share of offers and claims, overall and per tier, the Lorenz
    curve, the eligible partners never offered (and why, where matching skips them), and the coverage
    gaps of the period by week or month and cause."""
    org = current_org()
    scope = current_scope()
    if fairness_service.foreign_filter(org.id, scope.filters):
        abort(404)
    result = fairness_service.fairness(org.id, scope)
    gaps = coverage_service.coverage_over_time(org.id, scope)
    skipped = {p.partner_id: p.causes for p in partners_without_offers(org.id)}
    overall = result.overall
    lorenz_chart = charts.lines(
        [_percent(p) for p, _o, _c in overall.lorenz],
        {
            _("Offers"): [o for _p, o, _c in overall.lorenz],
            _("Claims"): [c for _p, _o, c in overall.lorenz],
            _("Equal spread"): [p for p, _o, _c in overall.lorenz],
        },
        _("Lorenz curve: share of offers and claims the smallest share of partners got"),
        percent=True,
    )
    labels = gap_labels(gaps)
    gap_chart = charts.lines(
        labels,
        {str(GAP_CAUSES.get(cause, cause)): [b.counts[cause] for b in gaps.buckets] for cause in gaps.causes},
        _("Leads no partner could take, by cause"),
    )
    return render_template(
        "manage/analytics/fairness.html",
        scope=scope,
        choices=scope_choices(org),
        result=result,
        tier_labels=TIER_LABELS,
        never_offered=result.never_offered[:NEVER_OFFERED_SHOWN],
        skipped=skipped,
        skip_labels=NO_OFFERS_LABELS,
        not_active=READINESS["not_active"],
        lorenz_chart=lorenz_chart,
        gaps=gaps,
        gap_chart=gap_chart,
        gap_rows=list(zip(labels, gaps.buckets, strict=True)),
        gap_causes=GAP_CAUSES,
        partner_url=partner_url,
    )


def _spread_row(name: Any, spread: fairness_service.Spread) -> list[Any]:
    return [
        name,
        spread.eligible,
        spread.offered,
        spread.claimed,
        spread.offers,
        spread.claims,
        _rounded(spread.offers_gini),
        _rounded(spread.claims_gini),
        _rounded(spread.offers_top10_share),
        _rounded(spread.claims_top10_share),
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def fairness_table(
    table: str, result: Fairness, gaps: coverage_service.CoverageOverTime
) -> tuple[list, list]:
    """One of the fairness page's tables as CSV header and rows."""
    if table == "never_offered":
        header = [_("Partner id"), _("Partner"), _("Tier")]
        return header, [[p.partner_id, p.name, TIER_LABELS[p.tier]] for p in result.never_offered]
    if table == "coverage":
        header = [_("Period start"), *[str(GAP_CAUSES.get(c, c)) for c in gaps.causes], _("Total")]
        rows = [[b.start.isoformat(), *[b.counts[c] for c in gaps.causes], b.total] for b in gaps.buckets]
        return header, rows
    header = [
        _("Partners"),
        _("Eligible"),
        _("Offered"),
        _("Claimed"),
        _("Offers"),
        _("Claims"),
        _("Gini of offers"),
        _("Gini of claims"),
        _("Top 10 % share of offers"),
        _("Top 10 % share of claims"),
    ]
    rows = [_spread_row(_("All"), result.overall)]
    rows += [_spread_row(TIER_LABELS[tier], spread) for tier, spread in result.by_tier.items()]
    return header, rows


FAIRNESS_TABLES = ("summary", "never_offered", "coverage")


@bp.route("/analytics/fairness.csv")
@require(Permission.VIEW_ANALYTICS)
def analytics_fairness_csv():
    """``table`` = ``summary`` (default: overall and per tier), ``never_offered`` or ``coverage``."""
    table = request.args.get("table") or "summary"
    if table not in FAIRNESS_TABLES:
        abort(404)
    org = current_org()
    scope = current_scope()
    if scope.errors:  # a download is no place to show them beside the form
        abort(400, description="; ".join(f"{k}: {v}" for k, v in scope.errors.items()))
    if fairness_service.foreign_filter(org.id, scope.filters):
        abort(404)
    result = fairness_service.fairness(org.id, scope)
    gaps = coverage_service.coverage_over_time(org.id, scope)
    header, rows = fairness_table(table, result, gaps)
    return csv_response(f"fairness-{table.replace('_', '-')}", header, rows)


# --- Return on Leads -------------------------------------------------------------------------------


def chosen_campaigns(returns: list[CampaignReturn]) -> tuple[list[CampaignReturn], bool]:
    """The campaigns on the chart: those ticked (at most ``MAX_CURVES``), else the most expensive
    ``DEFAULT_CURVES`` with a cost; and whether more were ticked than fit."""
    asked = {int(v) for v in request.args.getlist("campaign") if v.isdigit()}
    if asked:
        ticked = [r for r in returns if r.campaign_id in asked]
        return ticked[:MAX_CURVES], len(ticked) > MAX_CURVES
    costly = sorted((r for r in returns if r.cost), key=lambda r: (-r.cost, r.name.lower()))
    return costly[:DEFAULT_CURVES], False


def curves(chosen: list[CampaignReturn]) -> tuple[list[str], dict[str, list[float | None]]]:
    """Months since start and, per campaign, its cumulative revenue as a share of its cost."""
    length = max((len(r.months) for r in chosen if r.cost), default=0)
    series = {}
    for r in chosen:
        if not r.cost:
            continue
        values: list[float | None] = [m.paid_back for m in r.months]
        series[r.name] = values + [None] * (length - len(values))
    return [str(i) for i in range(length)], series


@bp.route("/analytics/return-on-leads")
@require(Permission.VIEW_ANALYTICS)
def analytics_return():
    """Per campaign: cost, won revenue, ROI, payback month and the value still in open leads; the
    chosen campaigns' cumulative revenue against cost by months since each started."""
    org = current_org()
    returns = return_service.return_on_leads(org.id)
    chosen, too_many = chosen_campaigns(returns)
    months, series = curves(chosen)
    chart = charts.lines(
        months,
        series,
        _(
            "Cumulative won revenue as a share of cost, by months since the campaign started "
            "(100 % = paid back)"
        ),
        percent=True,
        show_dots=len(months) <= 24,
    )
    return render_template(
        "manage/analytics/return_on_leads.html",
        returns=returns,
        zone=org.timezone or "UTC",
        chosen={r.campaign_id for r in chosen},
        chosen_returns=[r for r in chosen if r.cost],
        too_many=too_many,
        max_curves=MAX_CURVES,
        chart=chart if series else None,
        months=months,
        series=series,
    )


@bp.route("/analytics/return-on-leads.csv")
@require(Permission.VIEW_ANALYTICS)
def analytics_return_csv():
    """Every campaign's months (or the ``campaign`` ids given): campaign, month index, month, won,
    revenue, cumulative, ROI."""
    org = current_org()
    asked = {int(v) for v in request.args.getlist("campaign") if v.isdigit()}
    returns = return_service.return_on_leads(org.id, sorted(asked) if asked else None)
    if asked and len(returns) != len(asked):  # another programme's campaign, or none
        abort(404)
    header = [
        _("Campaign"),
        _("Currency"),
        _("Month index"),
        _("Month"),
        _("Won"),
        _("Revenue"),
        _("Cumulative"),
        _("ROI"),
    ]
    rows = [
        [
            r.name,
            r.currency,
            m.index,
            m.month.isoformat()[:7],
            m.won,
            m.revenue,
            m.cumulative,
            _rounded(m.roi),
        ]
        for r in returns
        for m in r.months
    ]
    return csv_response("return-on-leads", header, rows)
