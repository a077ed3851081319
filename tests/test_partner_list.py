"""The manufacturer's partner list: responsiveness figures, load against capacity, sorting, scoping."""

from __future__ import annotations

import re

import pytest

from exchange.models import Enrollment, Role
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    other_maker = f.manufacturer("Other Maker")
    fast = f.partner(maker, "Fast Reseller", coverage=[("DE", None, None), ("AT", None, None)])
    slow = f.partner(maker, "Slow Reseller")
    f.partner(maker, "New Reseller")  # no history yet
    stranger = f.partner(other_maker, "Stranger Reseller")
    figures = {
        fast.id: {"response_rate": 0.9, "sla_compliance": 1.0, "claim_minutes_median": 12.0, "breaches": 0},
        slow.id: {"response_rate": 0.4, "sla_compliance": 0.5, "claim_minutes_median": 240.0, "breaches": 3},
    }
    for enrollment in db.session.scalars(db.select(Enrollment).where(Enrollment.manufacturer_id == maker.id)):
        enrollment.responsiveness = figures.get(enrollment.partner_id, {})
    slow.profile.capacity = 2
    for n in range(2):
        f.claim(f.offer(f.lead(maker, company_name=f"Busy {n}"), slow))
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    db.session.commit()
    return maker, manager, stranger


def _names(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="partner-row">\s*<td[^>]*>([^<]+)</td>', html)


def test_the_list_shows_figures_and_load(client, world):
    _maker, manager, _stranger = world
    html = f.login(client, manager).get("/manage/partners/performance").get_data(as_text=True)
    assert _names(html) == ["Fast Reseller", "New Reseller", "Slow Reseller"]
    assert "Stranger Reseller" not in html  # another programme's partner
    assert "AT, DE" in html and "90%" in html and "50%" in html
    assert re.search(r'text-nowrap text-danger">2 / 2<', html)  # at capacity


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("response_rate", ["Fast Reseller", "Slow Reseller", "New Reseller"]),
        ("claim_minutes", ["Fast Reseller", "Slow Reseller", "New Reseller"]),
        ("breaches", ["Slow Reseller", "Fast Reseller", "New Reseller"]),
        ("load", ["Slow Reseller", "Fast Reseller", "New Reseller"]),
        ("nonsense", ["Fast Reseller", "New Reseller", "Slow Reseller"]),
    ],
)
def test_sorting_puts_partners_without_history_last(client, world, sort, expected):
    _maker, manager, _stranger = world
    html = f.login(client, manager).get(f"/manage/partners/performance?sort={sort}").get_data(as_text=True)
    assert _names(html) == expected


def test_search_by_name_and_paging(client, world, monkeypatch):
    import manufacturer_admin.views as views

    _maker, manager, _stranger = world
    f.login(client, manager)
    html = client.get("/manage/partners/performance?q=slow").get_data(as_text=True)
    assert _names(html) == ["Slow Reseller"]
    assert (
        _names(client.get("/manage/partners/performance?q=100%25_").get_data(as_text=True)) == []
    )  # wildcards are text
    monkeypatch.setattr(views, "PARTNERS_PER_PAGE", 2)
    first = client.get("/manage/partners/performance?sort=response_rate").get_data(as_text=True)
    assert _names(first) == ["Fast Reseller", "Slow Reseller"] and "Page 1 of 2" in first
    assert "page=2" in first and "sort=response_rate" in first
    second = client.get("/manage/partners/performance?sort=response_rate&page=2").get_data(as_text=True)
    assert _names(second) == ["New Reseller"]
    assert _names(client.get("/manage/partners/performance?page=99").get_data(as_text=True)) == [
        "Slow Reseller"
    ]  # the last
