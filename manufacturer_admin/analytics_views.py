"""The analytics overview (``/manage/analytics``) and its CSV downloads: the figures of a period
beside the period before, the funnel, leakage against the push model, SLA, response times and the
trend. Figures from ``exchange.analytics.overview``; the texts a figure is shown with live here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.accounts.permissions import Permission, require
from exchange.analytics import overview as overviews
from exchange.platform.labels import figure, money
from exchange.platform.tenancy import current_org
from exchange.web import charts
from exchange.web.csv_export import csv_response
from manufacturer_admin import bp
from manufacturer_admin.analytics_scope import add_tab, current_scope, scope_choices

add_tab("manage.analytics_overview", _l("Overview"), 10)

FIGURE_LABELS = {
    "published": _l("Leads published"),
    "offered": _l("Offered to partners"),
    "claimed": _l("Claimed"),
    "awaiting": _l("Still on offer"),
    "response_rate": _l("Response rate"),
    "contacted": _l("Contacted"),
    "contacted_in_sla": _l("First contact within SLA"),
    "qualified": _l("Qualified"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "win_rate": _l("Win rate"),
    "claim_minutes_median": _l("Time to claim, median"),
    "claim_minutes_p90": _l("Time to claim, 90th percentile"),
    "contact_minutes_median": _l("Time to first contact, median"),
    "contact_minutes_p90": _l("Time to first contact, 90th percentile"),
    "first_contact_met": _l("First-contact deadlines met"),
    "first_contact_missed": _l("First-contact deadlines missed"),
    "sla_compliance": _l("SLA compliance"),
    "breaches_total": _l("SLA breaches"),
    "recycled": _l("Claims recycled by the SLA sweep"),
    "returned": _l("Claims handed back"),
    "declines": _l("Offers declined"),
    "returned_unclaimed": _l("Returned unclaimed"),
    "never_claimed": _l("Never claimed"),
    "claimed_never_contacted": _l("Claimed but never contacted"),
    "leakage": _l("Leakage"),
    "leakage_rate": _l("Leakage rate"),
}
STEP_LABELS = {
    "published": _l("Published"),
    "claimed": _l("Claimed"),
    "contacted": _l("Contacted"),
    "qualified": _l("Qualified"),
    "won": _l("Won"),
}
BREACH_LABELS = {
    "first_contact": _l("First contact too late"),
    "next_update": _l("Status update too late"),
    "claim": _l("Claim windows that ran out"),
}
BUCKET_LABELS = {
    "15m": _l("up to 15 min"),
    "1h": _l("15 min to 1 h"),
    "4h": _l("1 h to 4 h"),
    "1d": _l("4 h to 1 day"),
    "3d": _l("1 to 3 days"),
    "more": _l("over 3 days"),
}
CSV_PARTS = ("figures", "funnel", "distribution", "trend")


def show(key: str, kind: str, value: Any, compact: bool = False) -> Any:
    """A figure of ``FIGURES`` as people read it ("–" and why when it has none)."""
    if kind == "rate" and value is not None:
        return figure("share", value)
    if kind == "minutes" and value is not None:
        return figure("claim_minutes_median", value)
    # the overview's response rate is the leads' one (claimed of the decided leads)
    return figure("lead_response_rate" if key == "response_rate" else key, value, compact)


def change_text(change: overviews.Change) -> str:
    """The change against the previous period in words, with an arrow (readable without colour)."""
    delta = change.delta
    if change.direction is None:
        return _("no comparison")
    if change.direction == "same":
        return _("= same as the previous period")
    arrow = "▲" if change.direction == "up" else "▼"
    sign = "+" if delta > 0 else "−"
    if change.kind == "rate":
        return _(
            "%(arrow)s %(sign)s%(n).0f pts vs previous period", arrow=arrow, sign=sign, n=abs(delta) * 100
        )
    if change.kind == "minutes":
        return _(
            "%(arrow)s %(sign)s%(time)s vs previous period",
            arrow=arrow,
            sign=sign,
            time=figure("claim_minutes_median", abs(delta)),
        )
    if change.kind == "money":
        return _(
            "%(arrow)s %(sign)s%(amount)s vs previous period",
            arrow=arrow,
            sign=sign,
            amount=money(abs(delta), change.key),
        )
    return _("%(arrow)s %(sign)s%(n)s vs previous period", arrow=arrow, sign=sign, n=abs(delta))


def _charts(data: overviews.Overview) -> dict[str, Any]:
    if data.empty:
        return {}
    trend = data.trend.points
    return {
        "funnel": charts.funnel(
            [(str(STEP_LABELS[s.key]), s.count) for s in data.funnel], _("Funnel: leads per step")
        ),
        "leakage": charts.bars(
            [
                (_("This programme"), data.current.leakage_rate),
                (_("Push model, low"), overviews.PUSH_MODEL_LEAKAGE[0]),
                (_("Push model, high"), overviews.PUSH_MODEL_LEAKAGE[1]),
            ],
            _("Leakage against the push model"),
            percent=True,
        ),
        "claim": charts.bars(
            [(str(BUCKET_LABELS[key]), n) for key, n, _share in data.distributions["claim"]],
            _("Leads by time to claim"),
        ),
        "contact": charts.bars(
            [(str(BUCKET_LABELS[key]), n) for key, n, _share in data.distributions["contact"]],
            _("Leads by time to first contact"),
        ),
        "trend": charts.lines(
            [p.key for p in trend],
            {
                _("Response rate"): [p.response_rate for p in trend],
                _("SLA compliance"): [p.sla_compliance for p in trend],
                _("Leakage rate"): [p.leakage_rate for p in trend],
            },
            _("Trend by week") if data.trend.unit == "week" else _("Trend by month"),
            percent=True,
        ),
    }


@bp.route("/analytics")
@require(Permission.VIEW_ANALYTICS)
def analytics_overview():
    org = current_org()
    scope = current_scope()
    data = overviews.overview(org.id, scope)
    return render_template(
        "manage/analytics/overview.html",
        scope=scope,
        choices=scope_choices(org),
        data=data,
        charts=_charts(data),
        labels=FIGURE_LABELS,
        step_labels=STEP_LABELS,
        breach_labels=BREACH_LABELS,
        bucket_labels=BUCKET_LABELS,
        changes={c.key: c for c in data.changes},
        change_text=change_text,
        show=show,
        parts=CSV_PARTS,
    )


# --- CSV: one download per table of the page ------------------------------------------------------


def _rate(value: float | None, digits: int = 4) -> Any:
    return "" if value is None else round(value, digits)


def _cell(kind: str, value: Any) -> Any:
    if value is None:
        return ""
    if kind in ("rate", "minutes"):
        return round(value, 4 if kind == "rate" else 1)
    return value


FILTER_LABELS = {
    "partner": _l("Partner"),
    "tier": _l("Tier"),
    "country": _l("Country"),
    "region": _l("Region"),
    "product_line": _l("Product line"),
    "campaign": _l("Campaign"),
    "temperature": _l("Temperature"),
}


def scope_rows(data: overviews.Overview, names: dict[str, str]) -> Iterable[Sequence[Any]]:
    """What the download covers: the periods (days in the programme's zone) and the filters."""
    current, previous = data.period, data.previous_period
    yield (
        "scope.period",
        _("Period (%(zone)s)", zone=current.tz),
        f"{current.start.isoformat()}/{current.end.isoformat()}",
        f"{previous.start.isoformat()}/{previous.end.isoformat()}",
        "",
    )
    for key, name in names.items():
        yield (f"scope.{key}", FILTER_LABELS[key], name, name, "")


def figure_rows(data: overviews.Overview) -> Iterable[Sequence[Any]]:
    for change in data.changes:
        yield (
            change.key,
            FIGURE_LABELS[change.key],
            _cell(change.kind, change.current),
            _cell(change.kind, change.previous),
            _cell(change.kind, change.delta),
        )
    for kind, count in data.current.breaches.items():
        previous = data.previous.breaches.get(kind, 0)
        yield (f"breaches.{kind}", BREACH_LABELS[kind], count, previous, count - previous)
    for change in data.revenue_changes:
        yield (
            f"won_revenue.{change.key}",
            _("Won revenue (%(currency)s)", currency=change.key),
            change.current,
            change.previous,
            change.delta,
        )


def _csv(data: overviews.Overview, part: str, names: dict[str, str]):
    period = data.period
    name = f"overview-{part}-{period.start.isoformat()}-{period.end.isoformat()}"
    if part == "funnel":
        header = ["step", _("Step"), _("Leads"), _("Share of the step before"), _("Share of published")]
        rows = [
            (s.key, STEP_LABELS[s.key], s.count, _rate(s.conversion), _rate(s.of_published))
            for s in data.funnel
        ]
    elif part == "distribution":
        header = ["bucket", _("Time"), _("Claimed"), _("Share"), _("First contact"), _("Share")]
        claim, contact = data.distributions["claim"], data.distributions["contact"]
        rows = [
            (key, BUCKET_LABELS[key], n, _rate(share), contact[i][1], _rate(contact[i][2]))
            for i, (key, n, share) in enumerate(claim)
        ]
    elif part == "trend":
        header = [
            data.trend.unit,
            _("First day"),
            _("Leads published"),
            _("Response rate"),
            _("SLA compliance"),
            _("Leakage rate"),
            _("Won"),
        ]
        rows = [
            (
                p.key,
                p.start.isoformat(),
                p.published,
                _rate(p.response_rate),
                _rate(p.sla_compliance),
                _rate(p.leakage_rate),
                p.won,
            )
            for p in data.trend.points
        ]
    else:
        header = ["figure", _("Figure"), _("This period"), _("Previous period"), _("Change")]
        rows = [*scope_rows(data, names), *figure_rows(data)]
    return csv_response(name, header, rows)


@bp.route("/analytics/overview.csv")
@require(Permission.VIEW_ANALYTICS)
def analytics_overview_csv():
    """A table of the overview as CSV: ``part`` = figures (default), funnel, distribution or trend."""
    part = request.args.get("part") or "figures"
    if part not in CSV_PARTS:
        abort(404)
    scope = current_scope()
    if scope.errors:
        abort(400, description="; ".join(f"{k}: {v}" for k, v in scope.errors.items()))
    org_id = current_org().id
    return _csv(overviews.overview(org_id, scope), part, overviews.filter_names(org_id, scope.filters))
