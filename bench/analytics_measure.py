"""The measurements of ``bench.analytics``: the analytics pages rendered through the Flask test client as
the programme's channel manager, the bare service calls beside them, and each API endpoint once."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import numpy as np
import sqlalchemy as sa

TARGET_MS = 1000.0
OVERVIEW_PERIODS = ("30d", "90d", "year", "custom")
TABLE_PERIODS = ("30d", "year")
SCORECARD_PERIODS = ("30d", "year")
# The groups the issue sets a target for.
TARGETS = ("overview", "scorecard", "partner_table")


def stats(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"requests": 0}
    values = np.array(samples)
    return {
        "requests": len(samples),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "max_ms": round(float(values.max()), 1),
    }


class Timer:
    """Times ``repeat`` calls of each case after one warm-up; samples by group and by case."""

    def __init__(self, repeat: int, warmup: int = 1, enabled: bool = True) -> None:
        self.repeat, self.warmup, self.enabled = repeat, warmup, enabled
        self.groups: dict[str, list[float]] = {}
        self.cases: dict[str, dict[str, list[float]]] = {}
        self.errors: list[str] = []

    def run(self, group: str, case: str, call: Callable[[], Any], repeat: int | None = None) -> None:
        if not self.enabled:
            return
        try:
            for _ in range(self.warmup):
                call()
            for _ in range(self.repeat if repeat is None else repeat):
                started = time.perf_counter()
                call()
                ms = (time.perf_counter() - started) * 1000
                self.groups.setdefault(group, []).append(ms)
                self.cases.setdefault(group, {}).setdefault(case, []).append(ms)
        except Exception as error:  # noqa: BLE001 - a missing page is a note, not the end of the run
            self.errors.append(f"{group} {case}: {type(error).__name__}: {error}"[:300])

    def report(self, slowest: int = 5) -> dict[str, Any]:
        out = {}
        for group, samples in self.groups.items():
            cases = {case: stats(values) for case, values in self.cases[group].items()}
            worst = sorted(cases.items(), key=lambda item: -item[1]["p95_ms"])[:slowest]
            by_period: dict[str, list[float]] = {}
            for case, values in self.cases[group].items():  # a case starts with its period
                by_period.setdefault(case.split()[0], []).extend(values)
            out[group] = {
                **stats(samples),
                "cases": len(cases),
                "by_period": {key: stats(values) for key, values in by_period.items()},
                "slowest": dict(worst),
            }
        return out


def _login(client, user) -> None:
    from flask_login.utils import _create_identifier

    with client.application.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


def _get(client, url: str) -> Callable[[], Any]:
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response

    return call


def choices(app, stored: dict, seed: int, scorecards: int) -> dict[str, Any]:
    """The filter values and partners the cases use (fixed by ``seed``)."""
    from exchange.platform.extensions import db

    rng = random.Random(seed)
    maker = stored["manufacturer_id"]
    with app.app_context():
        platinum = list(
            db.session.scalars(
                sa.select(sa.text("partner_id")).select_from(sa.text("enrollments"))
                .where(sa.text("manufacturer_id = :m AND tier = 'platinum'")).order_by(sa.text("partner_id")),
                {"m": maker},
            )
        )  # fmt: skip
        partners = list(
            db.session.scalars(
                sa.text("SELECT partner_id FROM enrollments WHERE manufacturer_id = :m ORDER BY partner_id"),
                {"m": maker},
            )
        )
        line = db.session.scalar(
            sa.text("SELECT min(id) FROM product_lines WHERE manufacturer_id = :m"), {"m": maker}
        )
        campaign = db.session.scalar(
            sa.text(
                "SELECT campaign_id FROM lead_facts WHERE manufacturer_id = :m AND campaign_id IS NOT NULL "
                "ORDER BY published_at DESC LIMIT 1"
            ),
            {"m": maker},
        )
    return {
        "filters": {
            "none": {},
            "partner": {"partner": rng.choice(platinum or partners)},
            "tier": {"tier": "gold"},
            "country": {"country": "DE"},
            "region": {"country": "DE", "region": "BY"},
            "product_line": {"product_line": line},
            "campaign": {"campaign": campaign},
            "temperature": {"temperature": "hot"},
        },
        "scorecards": rng.sample(partners, min(scorecards, len(partners))),
    }


def period_args(key: str, today: date) -> dict[str, str]:
    if key != "custom":
        return {"period": key}
    start = today.replace(year=today.year - 2) + timedelta(days=1)
    return {"period": "custom", "from": start.isoformat(), "to": today.isoformat()}


def measure(
    app,
    stored: dict,
    *,
    repeat: int,
    scorecards: int,
    seed: int,
    warmup: int = 1,
    services_too: bool = True,
    sorts: list[str] | None = None,
) -> dict[str, Any]:
    from exchange.analytics import period as periods
    from exchange.models import Organisation, User
    from exchange.platform import clock
    from exchange.platform.extensions import db

    picked = choices(app, stored, seed, scorecards)
    pages, services = Timer(repeat, warmup), Timer(repeat, warmup, enabled=services_too)
    api = Timer(1, warmup)
    table_repeat = max(1, repeat // 2)
    with app.app_context():
        maker = db.session.get(Organisation, stored["manufacturer_id"])
        user = db.session.get(User, stored["user_id"])
        today = clock.now().astimezone(__import__("zoneinfo").ZoneInfo(maker.timezone)).date()
        client = app.test_client()
        _login(client, user)
        mid = maker.id

        def scope(args: dict) -> Any:
            db.session.rollback()  # each call reads afresh, as a request would
            return periods.parse({k: str(v) for k, v in args.items()}, maker)

        from exchange.analytics import fairness, overview, partner_table, return_on_leads, scorecard

        started = time.perf_counter()
        print("overview ...", flush=True)
        for key in OVERVIEW_PERIODS:
            for name, filters in picked["filters"].items():
                args = {**period_args(key, today), **filters}
                case = f"{key} {name}"
                pages.run("overview", case, _get(client, f"/manage/analytics?{urlencode(args)}"))
                services.run("overview", case, lambda args=args: overview.overview(mid, scope(args)))
        print("scorecards ...", flush=True)
        for key in SCORECARD_PERIODS:
            for partner in picked["scorecards"]:
                args = period_args(key, today)
                case = f"{key} partner {partner}"
                url = f"/manage/analytics/partners/{partner}?{urlencode(args)}"
                pages.run("scorecard", case, _get(client, url))
                services.run(
                    "scorecard", case, lambda args=args, p=partner: scorecard.scorecard(mid, p, scope(args))
                )
        print("partner table ...", flush=True)
        total = stored["partners"]
        middle = max(1, -(-total // partner_table.PER_PAGE) // 2)
        for key in TABLE_PERIODS:
            for sort in sorts or partner_table.SORT_KEYS:
                for order in ("asc", "desc"):
                    for page in (1, middle):
                        args = {**period_args(key, today), "sort": sort, "order": order, "page": page}
                        case = f"{key} {sort} {order} page {page}"
                        url = f"/manage/analytics/partners?{urlencode(args)}"
                        pages.run("partner_table", case, _get(client, url), table_repeat)
                        services.run(
                            "partner_table",
                            case,
                            lambda args=args, s=sort, o=order, p=page: partner_table.partner_table(
                                mid, scope(args), sort=s, descending=o == "desc", page=p
                            ),
                            table_repeat,
                        )
        print("fairness, Return on Leads, coverage ...", flush=True)
        for key in ("30d", "year", "custom"):
            args = period_args(key, today)
            pages.run("fairness", key, _get(client, f"/manage/analytics/fairness?{urlencode(args)}"))
            services.run("fairness", key, lambda args=args: fairness.fairness(mid, scope(args)))
        pages.run("return_on_leads", "all", _get(client, "/manage/analytics/return-on-leads"))
        services.run("return_on_leads", "all", lambda: return_on_leads.return_on_leads(mid))
        pages.run("coverage_gaps", "all", _get(client, "/manage/coverage-gaps"))
        for path in (
            "overview", "overview?period=year", "partners", "partners?period=year&sort=response_rate",
            f"partners/{picked['scorecards'][0]}", "fairness", "coverage", "return-on-leads",
        ):  # fmt: skip
            api.run("api", path, _get(client, f"/api/v1/analytics/{path}"))
        seconds = time.perf_counter() - started
    pages_report, services_report = pages.report(), services.report()
    verdict = {}
    for group in TARGETS:
        p95 = pages_report.get(group, {}).get("p95_ms")  # None: not measured (the page failed)
        verdict[group] = {"p95_ms": p95, "within_target": None if p95 is None else p95 <= TARGET_MS}
    return {
        "pages": pages_report,
        "services": services_report,
        "api_ms": {case: round(values[0], 1) for case, values in api.cases.get("api", {}).items()},
        "filters": picked["filters"],
        "verdict": {
            **verdict,
            "all_within_target": all(v["within_target"] is True for v in verdict.values()),
        },
        "errors": _errors(pages.errors + services.errors + api.errors),
        "measurement_seconds": round(seconds),
    }


def _errors(errors: list[str], keep: int = 20) -> list[str]:
    return errors[:keep] + ([f"... and {len(errors) - keep} more"] if len(errors) > keep else [])


def summary(result: dict[str, Any]) -> str:
    lines = [
        f"analytics: {result['leads']:,} leads, {result['events']:,} events, {result['partners']:,} partners, "
        f"{result['offers']:,} offers, {result['claims']:,} claims",
        f"  generated in {result['generation_seconds']} s, lead_facts rebuilt in {result['facts_rebuild_seconds']} s, "
        f"measured in {result['measurement_seconds']} s, peak RSS {result['peak_rss_mb']} MB",
        f"  {'group':<16} {'page p50':>9} {'p95':>8} {'max':>8}   {'service p50':>11} {'p95':>8}  (ms)",
    ]
    for group, figures in result["pages"].items():
        service = result["services"].get(group, {})
        lines.append(
            f"  {group:<16} {figures['p50_ms']:>9} {figures['p95_ms']:>8} {figures['max_ms']:>8}   "
            f"{service.get('p50_ms', '-'):>11} {service.get('p95_ms', '-'):>8}"
        )
    for group in TARGETS:
        periods = result["pages"].get(group, {}).get("by_period", {})
        lines.append(
            f"  {group} p95 by period: "
            + ", ".join(f"{key} {figures.get('p95_ms')} ms" for key, figures in periods.items())
        )
    for group, verdict in result["verdict"].items():
        if group != "all_within_target":
            mark = {True: "ok", False: "OVER", None: "not measured"}[verdict["within_target"]]
            lines.append(f"  target {group}: p95 {verdict['p95_ms']} ms <= {TARGET_MS:.0f} ms: {mark}")
    lines.append(f"  API (ms, once each): {result['api_ms']}")
    for error in result["errors"]:
        lines.append(f"  error: {error}")
    return "\n".join(lines)
