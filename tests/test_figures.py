"""One definition per figure: the dashboard, the partner list, the partner's own page and matching agree,
and a figure without data reads "–" with the reason, never 0 %."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from exchange.analytics import figures
from exchange.models import ClaimStatus, Enrollment, LeadStatus, Organisation, Role
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla import responsiveness
from tests import factories as f

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def _clock(**values):
    base = {"first_contact_at": None, "first_contact_deadline": None, "first_contact_breached_at": None}
    return SimpleNamespace(**(base | {"ended_at": None} | values))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {
                "first_contact_at": NOW - timedelta(hours=2),
                "first_contact_deadline": NOW - timedelta(hours=1),
            },
            True,
        ),
        ({"first_contact_at": NOW, "first_contact_deadline": NOW - timedelta(hours=1)}, False),  # late
        ({"first_contact_deadline": NOW - timedelta(hours=1)}, False),  # deadline passed, sweep not yet
        ({"first_contact_deadline": NOW + timedelta(hours=1)}, None),  # still running
        ({"first_contact_breached_at": NOW, "first_contact_deadline": NOW}, False),
        # given back before its deadline: the clock never ran out
        ({"first_contact_deadline": NOW - timedelta(hours=1), "ended_at": NOW - timedelta(hours=3)}, None),
    ],
)
def test_a_first_contact_clock_is_met_missed_or_undecided(values, expected):
    assert figures.first_contact_clock(_clock(**values), NOW) is expected


def test_rates_are_shares_of_the_decided_only():
    assert figures.response_rate(0, 0) is None
    assert figures.response_rate(3, 4) == 0.75
    assert figures.win_rate(2, 1) == pytest.approx(2 / 3)  # running leads do not count against it
    assert figures.win_rate(0, 0) is None
    assert figures.SlaFigures().compliance is None and figures.SlaFigures().breaches is None
    assert figures.SlaFigures(met=3).breaches == 0


@pytest.fixture
def programme(app):
    """A partner that logged first contact late on two claims (the sweep never ran), one in time, and
    a partner without any history."""
    maker = f.manufacturer("Acme Pumps")
    late = f.partner(maker, "Late Reseller")
    f.partner(maker, "New Reseller")
    for n, contacted_after in enumerate((90, 120, 30)):
        claimed = NOW - timedelta(days=2, hours=n)
        lead = f.lead(maker, status=LeadStatus.CONTACTED)
        f.claim(
            f.offer(lead, late),
            claimed_at=claimed,
            first_contact_deadline=claimed + timedelta(hours=1),
            first_contact_at=claimed + timedelta(minutes=contacted_after),
        )
    returned = f.lead(maker, status=LeadStatus.RETURNED)  # given back in time, never contacted
    f.claim(
        f.offer(returned, late),
        status=ClaimStatus.RETURNED,
        claimed_at=NOW - timedelta(days=1),
        first_contact_deadline=NOW - timedelta(days=1) + timedelta(hours=1),
        ended_at=NOW - timedelta(days=1) + timedelta(minutes=10),
    )
    with clock.frozen(NOW):
        for enrollment in db.session.scalars(
            sa.select(Enrollment).where(Enrollment.manufacturer_id == maker.id)
        ):
            responsiveness.recompute(enrollment.partner_id, maker.id)
    db.session.commit()
    return maker, late


def test_compliance_under_100_percent_always_comes_with_breaches(programme):
    maker, late = programme
    with clock.frozen(NOW):
        mine = responsiveness.compute(late.id, maker.id)
    assert mine["sla_compliance"] == 0.3333  # the returned claim's clock is undecided
    assert mine["breaches"] == 2  # each late first contact is a missed deadline
    assert mine["clocks_decided"] == 3


def test_the_dashboard_and_the_partner_list_agree(client, programme):
    maker, _late = programme
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    f.login(client, manager)
    with clock.frozen(NOW):
        dashboard = client.get("/manage/").get_data(as_text=True)
        partners = client.get("/manage/analytics/partners").get_data(as_text=True)
    card = {
        testid: re.search(rf'data-testid="{testid}">(.*?)</div>', dashboard, re.S).group(1).strip()
        for testid in ("breaches", "sla-compliance")
    }
    assert card == {"breaches": "2", "sla-compliance": "33.3%"}
    late = _figure_cells(partners, "Late Reseller")
    assert late["sla_compliance"] == "33.3%" and late["breaches"] == "2"


def _figure_cells(html: str, name: str) -> dict[str, str]:
    row = re.search(rf'<tr data-testid="partner-row">\s*<td[^>]*><a [^>]*>{name}</a>(.*?)</tr>', html, re.S)
    return dict(re.findall(r'<td [^>]*data-figure="([a-z_]+)">(.*?)</td>', row.group(1), re.S))


def test_a_figure_without_data_is_a_dash_with_the_reason(client, programme):
    maker, _late = programme
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    with clock.frozen(NOW):
        html = f.login(client, manager).get("/manage/analytics/partners").get_data(as_text=True)
    cells = _figure_cells(html, "New Reseller")
    rates = (
        "response_rate",
        "decline_rate",
        "claim_minutes_median",
        "sla_compliance",
        "breaches",
        "win_rate",
    )
    assert all(cells[key].startswith('<abbr class="no-figure"') for key in rates), cells
    assert 'title="no decided clocks yet"' in cells["breaches"]
    assert not any(re.fullmatch(r"0( ?%)?", cells[key]) for key in rates)


def test_the_partners_own_page_shows_the_same_reason(client, programme):
    maker, _late = programme
    newcomer = db.session.scalar(sa.select(Organisation).where(Organisation.name == "New Reseller"))
    rep = f.user(newcomer, Role.PARTNER_REP)
    db.session.commit()
    with clock.frozen(NOW):
        html = f.login(client, rep).get("/portal/performance").get_data(as_text=True)
    breaches = re.search(r"SLA breaches</dt><dd[^>]*>(.*?)</dd>", html, re.S).group(1)
    assert "–" in breaches and "no decided clocks yet" in breaches
