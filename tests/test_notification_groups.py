"""A partner offered many leads at once hears about it once: one entry per kind and hour that counts
them and opens the pull list (hot leads still one each), digests that count by kind; and nobody who
has not accepted the invitation, or was deactivated, hears anything about leads."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.leads import lifecycle as leads
from exchange.models import (
    DigestFrequency,
    Notification,
    Offer,
    OutboxJob,
    ProductLine,
    Role,
    Temperature,
    User,
)
from exchange.notify.delivery_jobs import render_email, send_due_notification_emails
from exchange.notify.inbox import unread_count
from exchange.notify.kinds import NOTIFICATION_KINDS
from exchange.notify.notifications import BusinessEvent, publish_event, publish_events
from exchange.offers import claims
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f

ELEVEN_FIFTEEN = datetime(2026, 7, 1, 11, 15, tzinfo=UTC)


@pytest.fixture
def programme(app):
    """A manufacturer and one partner enrolled for its product line, as the demo's partner is."""
    maker = f.manufacturer("Acme Pumps")
    line = db.session.scalar(sa.select(ProductLine).where(ProductLine.manufacturer_id == maker.id))
    partner = organisations.create_partner(
        "Demo Partner GmbH", timezone="Europe/Berlin", capacity=100, coverage=[("DE", None, None)]
    )
    organisations.enroll(maker, partner, product_lines=[line])
    w = SimpleNamespace(
        maker=maker,
        line=line,
        partner=partner,
        admin=f.user(partner, Role.PARTNER_ADMIN, email="admin@demo-partner.test"),
        rep=f.user(partner, Role.PARTNER_REP, email="rep@demo-partner.test"),
    )
    db.session.commit()
    return w


def _publish(w, run_jobs, count: int, temperature: Temperature = Temperature.WARM) -> None:
    """Publish ``count`` new leads as the manufacturer does, and run the jobs that follow."""
    drafts = [
        f.lead(w.maker, product_line_id=w.line.id, temperature=temperature, industry="Manufacturing")
        for _ in range(count)
    ]
    leads.publish_leads(None, drafts)
    db.session.commit()
    run_jobs()


def _bell(user: User) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
        )
    )


# --- grouping ---------------------------------------------------------------------------------------


def test_fifty_offers_at_once_are_one_entry_that_counts_them(programme, run_jobs):
    with clock.frozen(ELEVEN_FIFTEEN):
        _publish(programme, run_jobs, 50)
    for user in (programme.rep, programme.admin):
        [entry] = _bell(user)
        assert (entry.kind, entry.item_count) == ("offer.created", 50)
        assert entry.title == "50 new leads waiting for you"
        assert entry.link == "/portal/"  # the pull list, not one of the fifty offers
        assert entry.lead_id is None
        assert "since 7/1/26, 1:00\u202fPM CEST" in entry.body  # the hour, in the partner's zone
        assert unread_count(user) == 1


def test_hot_leads_still_get_an_entry_each(programme, run_jobs):
    with clock.frozen(ELEVEN_FIFTEEN):
        _publish(programme, run_jobs, 2, Temperature.HOT)
        _publish(programme, run_jobs, 30, Temperature.COLD)
    entries = _bell(programme.rep)
    assert sorted((e.title.split(":")[0], e.item_count) for e in entries) == [
        ("30 new leads waiting for you", 30),
        ("New hot lead for you", 1),
        ("New hot lead for you", 1),
    ]
    assert all(e.link.startswith("/portal/offers/") for e in entries if e.item_count == 1)


def test_one_offer_alone_reads_as_before_and_a_second_turns_it_into_a_group(programme, run_jobs):
    with clock.frozen(ELEVEN_FIFTEEN) as frozen:
        _publish(programme, run_jobs, 1)
        [alone] = _bell(programme.rep)
        assert alone.title.startswith("New warm lead for you: Manufacturing")
        assert alone.link.startswith("/portal/offers/") and alone.lead_id is not None
        frozen.advance(minutes=10)
        _publish(programme, run_jobs, 1)
    [group] = _bell(programme.rep)
    assert group.id == alone.id
    assert (group.item_count, group.title, group.link, group.lead_id) == (
        2,
        "2 new leads waiting for you",
        "/portal/",
        None,
    )


def test_later_offers_in_the_hour_count_up_the_read_entry_and_bring_it_back(programme, run_jobs):
    with clock.frozen(ELEVEN_FIFTEEN) as frozen:
        _publish(programme, run_jobs, 5)
        [entry] = _bell(programme.rep)
        entry.read_at = clock.now()
        db.session.commit()
        assert unread_count(programme.rep) == 0
        frozen.set(datetime(2026, 7, 1, 11, 50, tzinfo=UTC))
        _publish(programme, run_jobs, 7)
        [again] = _bell(programme.rep)
        assert (again.id, again.item_count, again.title) == (entry.id, 12, "12 new leads waiting for you")
        assert again.read_at is None and again.created_at == clock.now()
        assert unread_count(programme.rep) == 1
        frozen.set(datetime(2026, 7, 1, 12, 5, tzinfo=UTC))  # the next hour starts a group of its own
        _publish(programme, run_jobs, 3)
    assert [(e.item_count, e.title) for e in _bell(programme.rep)] == [
        (3, "3 new leads waiting for you"),
        (12, "12 new leads waiting for you"),
    ]


def test_closing_claim_windows_are_grouped_too(programme):
    offers = [
        f.offer(
            f.lead(programme.maker), programme.partner, claim_deadline=ELEVEN_FIFTEEN + timedelta(hours=1)
        )
        for _ in range(20)
    ]
    with clock.frozen(ELEVEN_FIFTEEN):
        publications = publish_events([BusinessEvent("offer.expiring", offer=o) for o in offers])
    [entry] = _bell(programme.rep)
    assert (entry.kind, entry.item_count, entry.title) == (
        "offer.expiring",
        20,
        "Claim windows closing on 20 leads",
    )
    # Every event's publication names the entry it joined.
    assert {n.id for p in publications for n in p.notifications if n.user_id == programme.rep.id} == {
        entry.id
    }


def test_channel_managers_and_chosen_recipients_are_not_grouped(programme):
    manager = f.user(programme.maker, Role.CHANNEL_MANAGER)
    offers = [f.offer(f.lead(programme.maker), programme.partner) for _ in range(3)]
    for offer in offers:
        publish_event("sla.breached", offer=offer, payload={"sla": "first_contact"})
        publish_event("offer.created", offer=offer, users=[programme.rep])
    db.session.commit()
    assert len(_bell(manager)) == 3
    assert [e.item_count for e in _bell(programme.rep)] == [1] * 6


def test_two_jobs_adding_to_one_group_at_once_count_every_offer(app, programme):
    """Two publish jobs for the same partner at the same moment (SQLite: the write lock; PostgreSQL:
    the unique index and the row lock) end with one entry per user that counts both."""
    offer_ids = [f.offer(f.lead(programme.maker), programme.partner).id for _ in range(40)]
    db.session.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def publish(ids: list[int]) -> None:
        with app.app_context():
            try:
                with clock.frozen(ELEVEN_FIFTEEN):
                    offers = db.session.scalars(sa.select(Offer).where(Offer.id.in_(ids))).all()
                    barrier.wait()
                    publish_events([BusinessEvent("offer.created", offer=o) for o in offers])
                    db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=publish, args=(offer_ids[:20],)),
        threading.Thread(target=publish, args=(offer_ids[20:],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    for user in (programme.rep, programme.admin):
        [entry] = _bell(user)
        assert (entry.item_count, entry.title) == (40, "40 new leads waiting for you")


# --- e-mail -----------------------------------------------------------------------------------------


def test_immediate_email_is_one_message_for_the_whole_publish(programme, run_jobs, smtp_server):
    with clock.frozen(ELEVEN_FIFTEEN):
        _publish(programme, run_jobs, 50)
    to_rep = [m for m in smtp_server.messages if m.recipients == ["rep@demo-partner.test"]]
    assert [m.message["Subject"] for m in to_rep] == ["[Lead Exchange] 50 new leads waiting for you"]
    assert "/portal/" in to_rep[0].message.get_body(("plain",)).get_content()


@pytest.mark.app_config(PUBLIC_URL="https://leads.example.com")
def test_a_digest_counts_by_kind_and_links_to_the_list(programme, run_jobs, smtp_server):
    programme.rep.digest_frequency = DigestFrequency.HOURLY
    db.session.commit()
    with clock.frozen(ELEVEN_FIFTEEN) as frozen:
        _publish(programme, run_jobs, 12)
        _publish(programme, run_jobs, 2, Temperature.HOT)  # e-mailed at once, as always
        claimed = f.claim(f.offer(f.lead(programme.maker, industry="Chemicals"), programme.partner))
        publish_event("claim.reminder", offer=claimed.offer, payload={"sla": "first_contact"})
        db.session.commit()
        run_jobs()
        hot_mails = [m for m in smtp_server.messages if m.recipients == ["rep@demo-partner.test"]]
        assert [m.message["Subject"] for m in hot_mails] == ["[Lead Exchange] 2 hot leads"]
        frozen.set(datetime(2026, 7, 1, 12, 0, 30, tzinfo=UTC))
        send_due_notification_emails()
        run_jobs()
    [digest] = [m for m in smtp_server.messages if m.recipients == ["rep@demo-partner.test"]][1:]
    assert digest.message["Subject"] == "[Lead Exchange] 12 new leads waiting, 1 SLA warning"
    text = digest.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "since your last e-mail: 12 new leads waiting, 1 SLA warning." in text
    assert "Open your list: https://leads.example.com/portal/" in text
    assert re.search(r"^1 SLA warning\n- Reminder: .* · Chemicals · BY, DE$", text, re.M)
    assert "New warm lead" not in text  # not one line per lead


def test_a_long_digest_names_a_few_of_each_kind_and_counts_the_rest(programme):
    hot = [f.lead(programme.maker, temperature=Temperature.HOT) for _ in range(2)]
    rows = [
        Notification(
            user_id=programme.rep.id,
            kind="offer.created",
            title="205 new leads waiting for you",
            link="/portal/",
            group_key="offer.created@2026-07-01T10",
            item_count=205,
        ),
        *[
            Notification(
                user_id=programme.rep.id, kind="offer.created", title=f"New hot lead {n}", lead_id=lead.id
            )
            for n, lead in enumerate(hot)
        ],
        *[
            Notification(
                user_id=programme.rep.id, kind="claim.reminder", title=f"Reminder {n}", link="/portal/leads"
            )
            for n in range(8)
        ],
    ]
    db.session.add_all(rows)
    db.session.flush()
    subject, text = render_email(programme.rep, rows)
    assert subject == "[Lead Exchange] 205 new leads waiting, 2 hot leads, 8 SLA warnings"
    assert text.count("- Reminder") == 5
    assert "… and 3 more on the notifications page." in text
    assert text.count("- New hot lead") == 2


# --- who hears nothing ------------------------------------------------------------------------------


@pytest.fixture
def bystanders(programme):
    """An invited rep (no password chosen yet) and a deactivated one, beside the active users."""
    invited = f.user(programme.partner, Role.PARTNER_REP, email="invited@demo-partner.test", password=None)
    gone = f.user(programme.partner, Role.PARTNER_ADMIN, email="gone@demo-partner.test")
    gone.is_active_user = False
    db.session.commit()
    return SimpleNamespace(invited=invited, gone=gone)


def test_invited_and_deactivated_users_get_no_notification_of_any_kind(programme, bystanders):
    offer = f.offer(f.lead(programme.maker, temperature=Temperature.HOT), programme.partner)
    for name, kind in NOTIFICATION_KINDS.items():
        payload = (
            {"url": "https://x.example", "failures": 3, "error": "boom"} if "url" in str(kind.title) else {}
        )
        publish_event(name, offer=offer, payload=payload)
    publish_event("lead.assigned", offer=offer, users=[bystanders.invited, bystanders.gone, programme.rep])
    db.session.commit()
    assert _bell(bystanders.invited) == []
    assert _bell(bystanders.gone) == []
    assert {n.kind for n in _bell(programme.admin)} >= {"lead.claimed", "offer.created", "webhook.disabled"}


def test_a_claim_emails_neither_the_invited_nor_the_deactivated(programme, bystanders, run_jobs, smtp_server):
    _publish(programme, run_jobs, 1, Temperature.HOT)
    offer = db.session.scalar(sa.select(Offer).where(Offer.partner_id == programme.partner.id))
    claims.claim_offer(programme.rep, offer)
    db.session.commit()
    run_jobs()
    recipients = {r for m in smtp_server.messages for r in m.recipients}
    assert recipients == {"rep@demo-partner.test", "admin@demo-partner.test"}
    subjects = [
        m.message["Subject"] for m in smtp_server.messages if m.recipients == ["admin@demo-partner.test"]
    ]
    assert any(s.startswith("[Lead Exchange] Lead claimed:") for s in subjects)


def test_the_email_job_checks_again_when_it_sends(programme, bystanders, run_jobs, smtp_server):
    """A notification waiting for a digest is not e-mailed to someone who cannot receive it (now)."""
    for user in (bystanders.invited, bystanders.gone, programme.rep):
        db.session.add(
            Notification(
                user_id=user.id, kind="lead.claimed", title="Lead claimed: x", email_due_at=clock.now()
            )
        )
    db.session.commit()
    summary = send_due_notification_emails()
    run_jobs()
    assert summary["emails"] == 1
    assert [m.recipients for m in smtp_server.messages] == [["rep@demo-partner.test"]]
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(Notification.emailed_at.is_(None))
        )
        == 0
    )  # marked all the same: not picked up again
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(OutboxJob).where(OutboxJob.task == "mail.send")
    )


def test_an_invited_user_hears_about_leads_once_the_password_is_chosen(programme, bystanders):
    from exchange.accounts.password_links import LinkPurpose
    from exchange.accounts.team import choose_password

    offer = f.offer(f.lead(programme.maker), programme.partner)
    publish_event("offer.expiring", offer=offer)
    assert _bell(bystanders.invited) == []
    choose_password(bystanders.invited, "a long enough password", LinkPurpose.INVITE)
    publish_event("lead.claimed", offer=offer)
    db.session.commit()
    assert [n.kind for n in _bell(bystanders.invited)] == ["lead.claimed"]


# --- what the rep sees ------------------------------------------------------------------------------


def test_the_page_the_bell_and_the_api_show_the_group(client, programme, run_jobs):
    _publish(programme, run_jobs, 50)
    f.login(client, programme.rep)
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count('data-testid="notification"') == 1
    assert 'data-count="50"' in page
    link = r'<a href="/notifications/\d+/open" data-target="/portal/">50 new leads waiting for you</a>'
    assert re.search(link, page)
    assert re.search(r'data-testid="unread-count">1<', page)
    assert "Page 1 of" not in page  # nothing to page through
    body = client.get("/api/v1/notifications").get_json()
    assert body["unread"] == 1
    [item] = body["items"]
    assert (item["count"], item["title"], item["link"]) == (50, "50 new leads waiting for you", "/portal/")
