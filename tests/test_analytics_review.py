"""Defects found in review of issue 13 (each test failed before its fix)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from exchange.analytics.period import Period


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("quarter", date(2026, 4, 1), date(2026, 6, 30)),  # Q2 has 91 days, Q1 90
        ("quarter", date(2026, 7, 1), date(2026, 9, 30)),  # Q3 92 days, Q2 91
        ("quarter", date(2026, 5, 31), date(2026, 5, 31)),  # never past the quarter before's end
        ("year", date(2028, 1, 1), date(2028, 12, 31)),  # a leap year after a common one
    ],
)
def test_the_period_before_never_overlaps_the_period(key, start, end):
    if key == "quarter":
        start = start.replace(day=1, month=3 * ((start.month - 1) // 3) + 1)
    current = Period(key, start, end, "Europe/Berlin")
    before = current.previous()
    assert before.end < current.start
    assert before.end == current.start - timedelta(days=1) or before.days == current.days


def test_a_partner_accepted_after_the_period_was_not_eligible_in_it(app):
    from datetime import UTC, datetime

    from exchange.analytics.fairness import fairness
    from exchange.analytics.period import parse
    from exchange.models import Enrollment
    from exchange.platform.extensions import db
    from tests import factories as f

    maker = f.manufacturer("Late Joiners")
    early, late = f.partner(maker, "Early"), f.partner(maker, "Late")
    for partner, accepted in (
        (early, datetime(2024, 6, 1, tzinfo=UTC)),
        (late, datetime(2026, 11, 1, tzinfo=UTC)),
    ):
        enrollment = db.session.scalar(
            db.select(Enrollment).filter_by(manufacturer_id=maker.id, partner_id=partner.id)
        )
        enrollment.accepted_at = accepted  # the late one after the period (2025)
    db.session.commit()
    scope = parse({"period": "custom", "from": "2025-01-01", "to": "2025-12-31"}, maker)
    result = fairness(maker.id, scope)
    assert result.overall.eligible == 1
    assert [p.partner_id for p in result.never_offered] == [early.id]


def test_two_transactions_refreshing_one_lead_keep_both_changes(app):
    """PostgreSQL: T1 has written its row of a lead (not committed); T2 changes another offer of the
    lead and refreshes. T2 must not compute before T1 commits (it would miss T1's change, then its
    upsert - waiting for T1's row lock - would overwrite T1's row with the stale figures)."""
    import threading
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from exchange.analytics import facts
    from exchange.models import LeadFact, LeadStatus, Offer, OfferState
    from exchange.platform.extensions import db
    from tests import factories as f
    from tests.conftest import ON_POSTGRES

    if not ON_POSTGRES:
        pytest.skip("row locks and concurrent transactions need PostgreSQL")
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    maker = f.manufacturer("Racing Pumps")
    lead = f.lead(maker, status=LeadStatus.OFFERED, published_at=at)
    first, second = (f.offer(lead, f.partner(maker), visible_from=at) for _ in range(2))
    facts.rebuild(maker.id)
    db.session.commit()
    lead_id, first_id, second_id = lead.id, first.id, second.id

    t1, t2 = Session(db.engine), Session(db.engine)
    try:
        t1.execute(sa.update(Offer).where(Offer.id == first_id).values(state=OfferState.DECLINED))
        facts.refresh([lead_id], session=t1)

        def other() -> None:
            t2.execute(sa.update(Offer).where(Offer.id == second_id).values(state=OfferState.EXPIRED))
            facts.refresh([lead_id], session=t2)
            t2.commit()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.5)  # T2 waits for T1 (its upsert, or with the fix its refresh)
        t1.commit()
        thread.join(20)
        assert not thread.is_alive()
    finally:
        t1.close()
        t2.close()
    db.session.expire_all()
    row = db.session.get(LeadFact, lead_id)
    assert (row.declines, row.lapsed_offers) == (1, 1)


FOREIGN_URLS = (
    "/manage/analytics?{q}",
    "/manage/analytics/overview.csv?{q}",
    "/manage/analytics/partners?{q}",
    "/manage/analytics/partners.csv?{q}",
    "/manage/analytics/partners/{mine}?{q}",
    "/manage/analytics/partners/{mine}/scorecard.csv?{q}",
    "/manage/analytics/fairness?{q}",
    "/api/v1/analytics/overview?{q}",
    "/api/v1/analytics/partners?{q}",
    "/api/v1/analytics/partners/{mine}?{q}",
    "/api/v1/analytics/fairness?{q}",
)


@pytest.mark.parametrize("url", FOREIGN_URLS)
@pytest.mark.parametrize("kind", ["campaign", "product_line", "partner"])
def test_another_programmes_ids_in_the_filters_give_404_on_every_view(client, app, url, kind):
    """The rule of the analytics views (and what the fairness views did): another programme's
    campaign, product line or partner in a filter is a 404, as it is in a URL's path."""
    from decimal import Decimal

    from exchange.accounts.tokens import issue_token
    from exchange.leads.campaigns import create_campaign
    from exchange.models import ProductLine, Role, TokenScope
    from exchange.platform.extensions import db
    from tests import factories as f

    maker, other = f.manufacturer("Mine"), f.manufacturer("Theirs")
    mine = f.partner(maker, "My Partner")
    theirs = {
        "campaign": create_campaign(other, {"name": "Their campaign", "cost": Decimal("1")}),
        "partner": f.partner(other, "Their Partner"),
    }
    line = ProductLine(manufacturer_id=other.id, code="their-pumps", name="Their pumps")
    db.session.add(line)
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.flush()
    theirs["product_line"] = line
    token = issue_token(manager, "api", TokenScope.READ).plaintext
    db.session.commit()
    own = url.format(mine=mine.id, q="")
    foreign = url.format(mine=mine.id, q=f"{kind}={theirs[kind].id}")
    if own.startswith("/api/"):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get(own, headers=headers).status_code == 200
        assert client.get(foreign, headers=headers).status_code == 404
    else:
        logged_in = f.login(client, manager)
        assert logged_in.get(own).status_code == 200
        assert logged_in.get(foreign).status_code == 404


def test_a_transaction_touching_many_leads_takes_a_bounded_number_of_refresh_locks(app):
    """PostgreSQL's lock table holds 6,400 locks by default: publishing ten thousand leads in one
    transaction must not take a lock per lead (striped advisory locks: at most LOCK_STRIPES)."""
    from exchange.analytics import facts
    from exchange.platform.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    facts._lock(db.session, list(range(1, 20_001)))
    held = db.session.execute(
        db.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
    ).scalar()
    assert held == facts.LOCK_STRIPES
    db.session.rollback()


def test_the_catch_up_and_nightly_jobs_write_the_rows_that_are_missing(app):
    """Leads published around the hook (an upgrade, a bulk load) get their rows from the catch-up job;
    the nightly rebuild rewrites every row; both commit chunk by chunk."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from exchange.analytics import facts
    from exchange.models import LeadFact, LeadStatus
    from exchange.platform.extensions import db
    from tests import factories as f

    maker = f.manufacturer("Catch-up Pumps")
    leads = [
        f.lead(maker, status=LeadStatus.OFFERED, published_at=datetime(2026, 11, 2, tzinfo=UTC))
        for _ in range(3)
    ]
    draft = f.lead(maker)
    db.session.commit()

    def rows() -> set[int]:
        db.session.expire_all()
        return set(db.session.scalars(sa.select(LeadFact.lead_id)))

    assert rows() == set()  # factories write no events: the hook saw nothing
    assert facts.catch_up() == {"refreshed": 3}
    assert rows() == {lead.id for lead in leads} and draft.id not in rows()
    db.session.execute(sa.delete(LeadFact).where(LeadFact.lead_id == leads[0].id))
    db.session.commit()
    assert facts.rebuild_all() == {"refreshed": 3}
    assert rows() == {lead.id for lead in leads}
