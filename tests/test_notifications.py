"""publish_event: who is notified, what the texts reveal, when e-mail goes out, and that nothing
leaves before the caller commits."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from exchange.models import (
    DigestFrequency,
    Notification,
    OutboxJob,
    Role,
    Temperature,
    WebhookDelivery,
    WebhookEndpoint,
)
from exchange.notify.digests import email_due_at, next_daily_digest
from exchange.notify.inbox import set_email_preferences
from exchange.notify.kinds import NOTIFICATION_KINDS
from exchange.notify.notifications import publish_event
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.platform.jobs.runner import run_periodic
from tests import factories as f


@pytest.fixture
def world(app):
    maker = f.manufacturer("Acme Pumps")
    partner = f.partner(maker, "Bavaria Systems")
    other_partner = f.partner(maker, "Other Reseller")
    lead = f.lead(maker, company_name="Secret Buyer GmbH", industry="Food", temperature=Temperature.WARM)
    offer = f.offer(lead, partner, claim_deadline=datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    w = SimpleNamespace(
        maker=maker,
        partner=partner,
        other_partner=other_partner,
        lead=lead,
        offer=offer,
        admin=f.user(partner, Role.PARTNER_ADMIN, email="admin@bavaria.test"),
        rep=f.user(partner, Role.PARTNER_REP, email="rep@bavaria.test"),
        manager=f.user(maker, Role.CHANNEL_MANAGER, email="cm@acme.test"),
        maker_admin=f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test"),
        stranger=f.user(other_partner, Role.PARTNER_ADMIN, email="admin@other.test"),
    )
    db.session.commit()
    return w


def _notified(publication) -> set[str]:
    return {_email_of(n.user_id) for n in publication.notifications}


def _email_of(user_id: int) -> str:
    from exchange.models import User

    return db.session.get(User, user_id).email


def test_offer_created_reaches_the_partners_admins_and_reps_only(world):
    publication = publish_event("offer.created", offer=world.offer)
    assert _notified(publication) == {"admin@bavaria.test", "rep@bavaria.test"}
    [note] = [n for n in publication.notifications if n.user_id == world.rep.id]
    assert note.kind == "offer.created"
    assert note.lead_id == world.lead.id
    assert note.link == f"/portal/offers/{world.offer.id}"
    assert note.read_at is None


def test_sla_breach_also_reaches_the_channel_managers_unless_the_policy_says_no(world):
    publication = publish_event(
        "sla.breached",
        offer=world.offer,
        payload={"sla": "first_contact", "deadline": datetime(2026, 7, 1, 9, 0, tzinfo=UTC)},
    )
    assert _notified(publication) == {"admin@bavaria.test", "rep@bavaria.test", "cm@acme.test"}
    [for_manager] = [n for n in publication.notifications if n.user_id == world.manager.id]
    assert for_manager.link == f"/manage/leads/{world.lead.id}"
    assert "Bavaria Systems missed the first contact deadline" in for_manager.body

    quiet = publish_event("sla.breached", offer=world.offer, notify_manufacturer=False)
    assert _notified(quiet) == {"admin@bavaria.test", "rep@bavaria.test"}


def test_the_actor_is_not_told_about_their_own_action(world):
    publication = publish_event("lead.claimed", offer=world.offer, actor=world.rep)
    assert _notified(publication) == {"admin@bavaria.test"}


def test_inactive_users_and_organisations_hear_nothing(world):
    world.rep.is_active_user = False
    db.session.flush()
    assert _notified(publish_event("offer.created", offer=world.offer)) == {"admin@bavaria.test"}
    world.partner.is_active = False
    db.session.flush()
    assert publish_event("offer.created", offer=world.offer).notifications == []


def test_explicit_recipients_must_belong_to_the_event(world):
    publication = publish_event("lead.assigned", offer=world.offer, users=[world.rep])
    assert _notified(publication) == {"rep@bavaria.test"}
    with pytest.raises(ValueError, match="neither organisation"):
        publish_event("lead.assigned", offer=world.offer, users=[world.stranger])


def test_mismatched_objects_and_unknown_events_are_programming_errors(world):
    other_lead = f.lead(world.maker)
    with pytest.raises(ValueError, match="unknown event type"):
        publish_event("lead.teleported", offer=world.offer)
    with pytest.raises(ValueError, match="another lead"):
        publish_event("offer.created", offer=world.offer, lead=other_lead)
    with pytest.raises(ValueError, match="another partner"):
        publish_event("offer.created", offer=world.offer, partner_id=world.other_partner.id)
    other_maker = f.manufacturer()
    with pytest.raises(ValueError, match="another manufacturer"):
        publish_event("offer.created", offer=world.offer, manufacturer_id=other_maker.id)


@pytest.mark.parametrize(
    "payload",
    [
        {"contact_email": "x@y.example"},
        {"details": {"street": "Secret Street 1"}},
        {"items": [{"contact_phone": "+49"}]},
        {"lead": {"id": 1}},
    ],
)
def test_an_extra_payload_may_not_carry_lead_data(world, payload):
    with pytest.raises(ValueError, match="partner-safe"):
        publish_event("offer.created", offer=world.offer, payload=payload)


def test_texts_name_the_buyer_only_to_its_claimer_and_its_manufacturer(world):
    before = publish_event("sla.breached", offer=world.offer)
    for note in before.notifications:
        if note.user_id == world.manager.id:
            assert "Secret Buyer GmbH" in note.title
        else:
            assert "Secret Buyer GmbH" not in note.title
            assert "Food" in note.title
    f.claim(world.offer)
    after = publish_event("lead.claimed", offer=world.offer)
    assert all("Secret Buyer GmbH" in note.title for note in after.notifications)


def test_texts_show_deadlines_in_the_recipients_zone(world):
    world.rep.timezone = "Asia/Tokyo"
    db.session.flush()
    publication = publish_event("offer.created", offer=world.offer)
    [for_rep] = [n for n in publication.notifications if n.user_id == world.rep.id]
    assert "9:00:00" in for_rep.body and "JST" in for_rep.body  # 12:00 UTC is 21:00 in Tokyo
    assert for_rep.title.startswith("New warm lead for you")


def test_every_kind_has_a_title_that_formats(world):
    for name, kind in NOTIFICATION_KINDS.items():
        payload = (
            {"url": "https://x.example", "failures": 3, "error": "boom"} if "url" in str(kind.title) else {}
        )
        publication = publish_event(name, offer=world.offer, payload=payload)
        assert publication.notifications, name
        assert all(n.title and "%(" not in n.title for n in publication.notifications)


def test_nothing_leaves_before_the_commit(world, smtp_server, run_jobs):
    import responses

    f.webhook_endpoint(world.partner)
    db.session.commit()
    jobs_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob))
    with responses.RequestsMock() as mocked:  # any HTTP call would fail the test
        publication = publish_event("offer.created", offer=world.offer, hot=True)
        assert publication.notifications and publication.deliveries
        db.session.rollback()
        run_jobs()
        assert len(mocked.calls) == 0
    assert smtp_server.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == jobs_before


# --- e-mail ------------------------------------------------------------------------------------------


def _bodies(smtp_server) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for received in smtp_server.messages:
        for recipient in received.recipients:
            found.setdefault(recipient, []).append(received.message.get_body(("plain",)).get_content())
    return found


@pytest.mark.app_config(PUBLIC_URL="https://leads.example.com")
def test_immediate_email_goes_out_once_after_the_commit(world, smtp_server, run_jobs):
    world.rep.timezone = "Europe/Berlin"
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    run_periodic("notifications.send_due")  # the periodic sweep finds nothing left to send
    run_jobs()
    bodies = _bodies(smtp_server)
    assert sorted(bodies) == ["admin@bavaria.test", "rep@bavaria.test"]
    [text] = bodies["rep@bavaria.test"]
    assert "New warm lead for you" in text
    assert f"https://leads.example.com/portal/offers/{world.offer.id}" in text
    assert "CEST" in text  # times in the rep's zone
    assert "https://leads.example.com/notifications/settings" in text
    assert "Secret Buyer GmbH" not in text and "Mustermann" not in text
    subjects = {m.message["Subject"] for m in smtp_server.messages}
    assert all(s.startswith("[Lead Exchange] New warm lead for you") for s in subjects)
    emailed = db.session.scalars(sa.select(Notification.emailed_at)).all()
    assert all(emailed)


def test_hourly_digest_collects_everything_into_one_email(world, smtp_server, run_jobs):
    for user in (world.admin, world.rep):
        user.digest_frequency = DigestFrequency.HOURLY
    db.session.commit()
    with clock.frozen(datetime(2026, 7, 1, 10, 15, tzinfo=UTC)) as frozen:
        for _ in range(3):
            publish_event("claim.reminder", offer=world.offer, payload={"sla": "first_contact"})
        db.session.commit()
        run_periodic("notifications.send_due")
        run_jobs()
        assert smtp_server.messages == []
        due = set(db.session.scalars(sa.select(Notification.email_due_at)).all())
        assert due == {datetime(2026, 7, 1, 11, 0, tzinfo=UTC)}
        frozen.set(datetime(2026, 7, 1, 11, 0, 30, tzinfo=UTC))
        run_periodic("notifications.send_due")
        run_jobs()
        run_periodic("notifications.send_due")
        run_jobs()
    bodies = _bodies(smtp_server)
    assert len(bodies["rep@bavaria.test"]) == 1
    assert "since your last e-mail: 3 SLA warnings." in bodies["rep@bavaria.test"][0]
    assert bodies["rep@bavaria.test"][0].count("- Reminder: Food") == 3
    subjects = {m.message["Subject"] for m in smtp_server.messages}
    assert subjects == {"[Lead Exchange] 3 SLA warnings"}


def test_hot_leads_are_emailed_at_once_even_for_digest_readers(world, smtp_server, run_jobs):
    world.rep.digest_frequency = DigestFrequency.DAILY
    world.admin.digest_frequency = DigestFrequency.OFF
    world.lead.temperature = Temperature.HOT
    publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert sorted(_bodies(smtp_server)) == ["admin@bavaria.test", "rep@bavaria.test"]


def test_email_switched_off_means_bell_only(world, smtp_server, run_jobs):
    world.rep.email_notifications = False
    world.lead.temperature = Temperature.HOT
    publication = publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert sorted(_bodies(smtp_server)) == ["admin@bavaria.test"]
    [for_rep] = [n for n in publication.notifications if n.user_id == world.rep.id]
    assert for_rep.email_due_at is None


def test_when_email_is_due(world):
    now = datetime(2026, 7, 1, 10, 15, tzinfo=UTC)
    user = world.rep
    cases = [
        (True, DigestFrequency.IMMEDIATE, False, now),
        (True, DigestFrequency.HOURLY, False, datetime(2026, 7, 1, 11, 0, tzinfo=UTC)),
        (True, DigestFrequency.DAILY, False, datetime(2026, 7, 2, 8, 0, tzinfo=UTC)),
        (True, DigestFrequency.OFF, False, None),
        (True, DigestFrequency.OFF, True, now),
        (False, DigestFrequency.IMMEDIATE, True, None),
    ]
    for enabled, frequency, hot, expected in cases:
        user.email_notifications, user.digest_frequency = enabled, frequency
        assert email_due_at(user, hot=hot, service_notice=False, now=now) == expected, (enabled, frequency)
    user.email_notifications = False
    assert email_due_at(user, hot=False, service_notice=True, now=now) == now


def test_daily_digest_hour_is_local_across_a_daylight_saving_change():
    new_york = ZoneInfo("America/New_York")
    # The US moves to summer time on 8 March 2026: 08:00 is 13:00 UTC before, 12:00 UTC after.
    assert next_daily_digest(datetime(2026, 3, 7, 12, 0, tzinfo=UTC), new_york, 8) == datetime(
        2026, 3, 7, 13, 0, tzinfo=UTC
    )
    assert next_daily_digest(datetime(2026, 3, 7, 15, 0, tzinfo=UTC), new_york, 8) == datetime(
        2026, 3, 8, 12, 0, tzinfo=UTC
    )


def test_changing_preferences_reschedules_waiting_notifications(world, smtp_server, run_jobs):
    world.rep.digest_frequency = DigestFrequency.DAILY
    db.session.commit()
    publish_event("offer.expiring", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert "rep@bavaria.test" not in _bodies(smtp_server)
    set_email_preferences(world.rep, email_notifications=True, digest_frequency=DigestFrequency.IMMEDIATE)
    db.session.commit()
    run_jobs()
    assert len(_bodies(smtp_server)["rep@bavaria.test"]) == 1

    publish_event("offer.expiring", offer=world.offer)
    db.session.commit()
    run_jobs()
    set_email_preferences(world.admin, email_notifications=True, digest_frequency=DigestFrequency.HOURLY)
    publish_event("offer.expiring", offer=world.offer)
    db.session.commit()
    set_email_preferences(world.admin, email_notifications=False, digest_frequency=DigestFrequency.HOURLY)
    db.session.commit()
    waiting = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == world.admin.id, Notification.emailed_at.is_(None)
        )
    ).all()
    assert waiting and all(n.email_due_at is None for n in waiting)


def test_two_sweeps_never_email_a_notification_twice(world, smtp_server, run_jobs):
    from exchange.notify.delivery_jobs import send_due_notification_emails

    for user in (world.admin, world.rep):
        user.digest_frequency = DigestFrequency.HOURLY
    with clock.frozen(datetime(2026, 7, 1, 10, 15, tzinfo=UTC)) as frozen:
        publish_event("offer.expiring", offer=world.offer)
        db.session.commit()
        frozen.set(datetime(2026, 7, 1, 11, 0, tzinfo=UTC))
        first = send_due_notification_emails()
        second = send_due_notification_emails()
        run_jobs()
    assert first == {"emails": 2, "notifications": 2}
    assert second == {"emails": 0, "notifications": 0}
    assert len(smtp_server.messages) == 2


def test_deleted_or_deactivated_users_are_not_emailed(world, smtp_server, run_jobs):
    world.lead.temperature = Temperature.HOT
    publish_event("offer.created", offer=world.offer)
    world.rep.is_active_user = False
    db.session.commit()
    run_jobs()
    assert sorted(_bodies(smtp_server)) == ["admin@bavaria.test"]
    assert not db.session.scalars(
        sa.select(Notification).where(
            Notification.emailed_at.is_(None), Notification.email_due_at.is_not(None)
        )
    ).all()


def test_digest_sweep_is_a_periodic_job():
    from exchange.platform.jobs import PERIODIC_JOBS

    names = {job.name: job for job in PERIODIC_JOBS}
    assert names["notifications.send_due"].interval == 60
    assert "webhooks.prune" in names


def test_links_stay_on_this_site(world):
    for link in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "portal/offers/1"):
        with pytest.raises(ValueError, match="path on this site"):
            publish_event("offer.created", offer=world.offer, link=link)
    publication = publish_event("offer.created", offer=world.offer, link="/portal/webhooks")
    assert {n.link for n in publication.notifications} == {"/portal/webhooks"}


def test_a_claim_speaks_of_the_first_contact_deadline_not_the_claim_window(world):
    f.claim(world.offer)
    without = publish_event("lead.claimed", offer=world.offer)
    assert all(n.body is None for n in without.notifications)  # no deadline given: no half sentence
    first_contact = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)
    with_deadline = publish_event("lead.claimed", offer=world.offer, payload={"deadline": first_contact})
    assert all("First contact is due by Jul 1, 2026, 3:30:00" in n.body for n in with_deadline.notifications)


def _count_selects():
    counter = {"selects": 0}

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            counter["selects"] += 1

    return counter, count


def test_publishing_many_events_at_once_takes_the_same_few_queries(app, world):
    from exchange.notify.notifications import BusinessEvent, publish_events

    partners = [f.partner(world.maker) for _ in range(30)]
    offers = []
    for partner in partners:
        f.user(partner, Role.PARTNER_ADMIN)
        f.webhook_endpoint(partner)
        offers.append(f.offer(f.lead(world.maker), partner))
    db.session.commit()
    offers = [db.session.get(type(o), o.id) for o in offers]
    for offer in offers:
        offer.lead  # loaded, as the caller has them  # noqa: B018

    counter, count = _count_selects()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        small = publish_events([BusinessEvent("sla.breached", offer=o) for o in offers[:3]])
        selects_for_3 = counter["selects"]
        counter["selects"] = 0
        large = publish_events([BusinessEvent("sla.breached", offer=o) for o in offers[3:]])
        selects_for_27 = counter["selects"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert selects_for_27 == selects_for_3 <= 5
    publications = small + large
    assert len(publications) == 30
    for offer, publication in zip(offers, publications, strict=True):
        partner_users = [n for n in publication.notifications if n.user_id != world.manager.id]
        assert len(partner_users) == 1  # the partner's admin (and the channel manager besides)
        assert [d.endpoint_id for d in publication.deliveries] == [
            db.session.scalar(
                sa.select(WebhookEndpoint.id).where(WebhookEndpoint.organisation_id == offer.partner_id)
            )
        ]
        assert publication.deliveries[0].payload["offer"]["id"] == offer.id


def test_a_batch_is_checked_before_anything_is_added(world):
    from exchange.notify.notifications import BusinessEvent, publish_events

    with pytest.raises(ValueError, match="partner-safe"):
        publish_events(
            [
                BusinessEvent("offer.created", offer=world.offer),
                BusinessEvent("offer.created", offer=world.offer, payload={"contact_email": "x@y.example"}),
            ]
        )
    with pytest.raises(ValueError, match="needs 'url'"):
        publish_events(
            [
                BusinessEvent("offer.created", offer=world.offer),
                BusinessEvent("webhook.disabled", partner_id=world.partner.id),  # its title needs the URL
            ]
        )
    with pytest.raises(ValueError, match="neither organisation"):
        publish_events(
            [
                BusinessEvent("offer.created", offer=world.offer),
                BusinessEvent("lead.assigned", offer=world.offer, users=[world.stranger]),
            ]
        )
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 0


def test_titles_are_one_line_even_when_the_lead_data_is_not(world, smtp_server, run_jobs):
    world.lead.industry = "Food\r\nBcc: everyone@example.com"
    world.lead.temperature = Temperature.HOT
    publication = publish_event("offer.created", offer=world.offer)
    db.session.commit()
    run_jobs()
    assert all("\n" not in n.title and "\r" not in n.title for n in publication.notifications)
    assert sorted(_bodies(smtp_server)) == ["admin@bavaria.test", "rep@bavaria.test"]
    assert all(m.recipients in (["admin@bavaria.test"], ["rep@bavaria.test"]) for m in smtp_server.messages)
