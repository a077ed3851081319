"""The ranked partner table (``/manage/analytics/partners``) and the partner scorecards, with their CSV
downloads. Figures: ``exchange.analytics.partner_table`` and ``exchange.analytics.scorecard``."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from exchange.accounts.permissions import Permission, require
from exchange.analytics import partner_table as table
from exchange.analytics.partner_table import PartnerRow
from exchange.analytics.period import Scope
from exchange.analytics.scorecard import PartnerNotInProgramme, Scorecard, scorecard
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.platform.labels import figure, money
from exchange.platform.tenancy import current_org
from exchange.sla.vocabulary import SlaClock
from exchange.web import charts
from exchange.web.csv_export import csv_response
from manufacturer_admin import bp
from manufacturer_admin.analytics_scope import add_tab, current_scope, scope_choices
from manufacturer_admin.partner_forms import TIER_LABELS

# The table's columns after the partner's name and tier: figure key -> heading.
COLUMNS: dict[str, Any] = {
    "offers": _l("Offers"),
    "claimed": _l("Claimed"),
    "declined": _l("Declined"),
    "lapsed": _l("Lapsed"),
    "response_rate": _l("Response rate"),
    "decline_rate": _l("Decline rate"),
    "claim_minutes_median": _l("Time to claim (median)"),
    "claims": _l("Claims"),
    "sla_compliance": _l("SLA compliance"),
    "breaches": _l("SLA breaches"),
    "returned": _l("Returned"),
    "return_rate": _l("Return rate"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "win_rate": _l("Win rate"),
    "won_revenue": _l("Won revenue"),
    "in_progress": _l("In progress"),
    "capacity": _l("Capacity"),
    "load": _l("Load"),
}
RATE_KEYS = ("response_rate", "decline_rate", "sla_compliance", "return_rate", "win_rate")
CLOCK_LABELS = {
    SlaClock.FIRST_CONTACT.value: _l("First contact"),
    SlaClock.UPDATE.value: _l("Status update"),
    SlaClock.CLAIM.value: _l("Claim window"),
}

add_tab("manage.analytics_partners", _l("Partners"), 20)


def cell(key: str, row: dict[str, Any], currency: str) -> Any:
    """A figure of a row as the page shows it ("–" with the reason where it is undefined)."""
    value = row.get(key)
    if key == "won_revenue":
        text = money(value, currency)
        other = row.get("won_other_currency") or 0
        if other:
            text += " " + ngettext(
                "(+%(num)d won in another currency)", "(+%(num)d won in other currencies)", other
            )
        return text
    if key == "load":
        return "–" if value is None else f"{value * 100:.0f} %"
    return figure(key, value, compact=True)


def csv_value(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key in RATE_KEYS or key == "load":
        return f"{value:.4f}"
    if key == "claim_minutes_median":
        return f"{value:.1f}"
    return value


def _table_args() -> dict[str, Any]:
    sort = request.args.get("sort", "name")
    order = request.args.get("order")
    return {
        "sort": sort,
        "descending": {"asc": False, "desc": True}.get(order or ""),
        "search": (request.args.get("q") or "").strip()[:100],
    }


@bp.route("/analytics/partners")
@require(Permission.VIEW_ANALYTICS)
def analytics_partners():
    org, scope = current_org(), current_scope()
    args = _table_args()
    page = table.partner_table(org.id, scope, page=request.args.get("page", 1, type=int) or 1, **args)
    starts, trends = table.response_trends(org.id, scope, [row.partner_id for row in page.rows])
    sparklines = {
        pid: charts.sparkline(values, _("Response rate by week or month")) for pid, values in trends.items()
    }
    keep = {**scope.query_args(), "sort": page.sort, "order": "desc" if page.descending else "asc"}
    if args["search"]:
        keep["q"] = args["search"]
    return render_template(
        "manage/analytics/partners.html",
        scope=scope,
        choices=scope_choices(org),
        table=page,
        columns=COLUMNS,
        cell=cell,
        tier_labels=TIER_LABELS,
        sparklines=sparklines,
        weekly=scope.period.days <= table.WEEKLY_MAX_DAYS,
        search=args["search"],
        keep=keep,
        hidden={key: keep[key] for key in ("sort", "order", "q") if key in keep},
        defaults=table.DEFAULT_DESCENDING,
    )


def _header() -> list[Any]:
    return [
        _("Partner"),
        _("Partner id"),
        _("Tier"),
        *COLUMNS.values(),
        _("Won in other currencies"),
        _("Currency"),
    ]


def _csv_row(row: PartnerRow) -> list[Any]:
    data = row.as_dict()
    return [
        row.name,
        row.partner_id,
        str(TIER_LABELS.get(row.tier, row.tier)),
        *(csv_value(key, data[key]) for key in COLUMNS),
        row.won_other_currency,
        row.currency,
    ]


@bp.route("/analytics/partners.csv")
@require(Permission.VIEW_ANALYTICS)
def analytics_partners_csv():
    """Every partner of the filter (not one page), in the table's order."""
    org, scope = current_org(), _csv_scope()
    rows = table.all_rows(org.id, scope, **_table_args())
    return csv_response("partners", _header(), (_csv_row(row) for row in rows))


def _csv_scope() -> Scope:
    """A download's scope: unreadable arguments are refused (400), not silently replaced."""
    scope = current_scope()
    if scope.errors:
        abort(400, description="; ".join(f"{key}: {value}" for key, value in scope.errors.items()))
    return scope


def _scorecard(partner_id: int, scope: Scope | None = None) -> Scorecard:
    try:
        return scorecard(current_org().id, partner_id, scope or current_scope())
    except PartnerNotInProgramme:
        abort(404)


def _charts(card: Scorecard) -> dict[str, Any]:
    labels = [str(COLUMNS[key]) for key in RATE_KEYS]
    compare = charts.compare_bars(
        labels,
        {
            card.name: [card.partner[key] for key in RATE_KEYS],
            _("Programme"): [card.programme[key] for key in RATE_KEYS],
        },
        _("%(partner)s against the programme", partner=card.name),
        percent=True,
    )
    # As the overview names its buckets: ISO weeks (2026-W49) or months (2026-12).
    x = [
        f"{start.isocalendar()[0]}-W{start.isocalendar()[1]:02d}" if card.trend.weekly else f"{start:%Y-%m}"
        for start in card.trend.starts
    ]
    rates = charts.lines(
        x,
        {
            str(COLUMNS["response_rate"]): card.trend.series["response_rate"],
            str(COLUMNS["sla_compliance"]): card.trend.series["sla_compliance"],
        },
        _("Response rate and SLA compliance over time"),
        percent=True,
    )
    counts = charts.lines(
        x,
        {str(COLUMNS["offers"]): card.trend.series["offers"], str(COLUMNS["won"]): card.trend.series["won"]},
        _("Offers and won leads over time"),
    )
    return {"compare": compare, "rates": rates, "counts": counts}


@bp.route("/analytics/partners/<int:partner_id>")
@require(Permission.VIEW_ANALYTICS)
def partner_scorecard(partner_id: int):
    card = _scorecard(partner_id)
    scope = current_scope()
    return render_template(
        "manage/analytics/scorecard.html",
        card=card,
        scope=scope,
        choices=scope_choices(current_org()),
        columns=COLUMNS,
        cell=cell,
        tier_labels=TIER_LABELS,
        decline_labels=DECLINE_REASON_LABELS,
        clock_labels=CLOCK_LABELS,
        charts=_charts(card),
    )


@bp.route("/analytics/partners/<int:partner_id>/scorecard.csv")
@require(Permission.VIEW_ANALYTICS)
def partner_scorecard_csv(partner_id: int):
    """The scorecard's figures (partner, programme, period before) and its trend, one row each."""
    card = _scorecard(partner_id, _csv_scope())
    header = [_("Section"), _("Figure"), card.name, _("Programme"), _("Period before")]
    rows: list[list[Any]] = [
        [
            _("Figures"),
            str(COLUMNS[key]),
            csv_value(key, card.partner[key]),
            csv_value(key, card.programme[key]),
            csv_value(key, card.previous[key]),
        ]
        for key in COLUMNS
    ]
    for index, start in enumerate(card.trend.starts):
        for key, values in card.trend.series.items():
            rows.append(
                [
                    _("Trend from %(day)s", day=start.isoformat()),
                    str(COLUMNS[key]),
                    csv_value(key, values[index]),
                    "",
                    "",
                ]
            )
    return csv_response(f"scorecard-{card.partner_id}", header, rows)
