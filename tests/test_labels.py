"""How events read in a lead's history."""

from __future__ import annotations

from exchange.models import DeclineReason, Event
from exchange.notify.kinds import NOTIFICATION_KINDS, WEBHOOK_EVENT_LABELS, WEBHOOK_EVENTS, NotificationKind
from exchange.offers.vocabulary import DECLINE_REASON_LABELS
from exchange.platform.event_types import LEAD_EVENT_LABELS, AuditEvent, LeadEvent
from exchange.platform.labels import end_reason_label, event_label
from exchange.sla.vocabulary import CLOCK_LABELS, SlaClock, clock_name


def test_a_transition_does_not_repeat_its_state(app):
    with app.test_request_context():
        assert event_label(Event(type="lead.claimed", data={"from": "offered", "to": "claimed"})) == "Claimed"


def test_a_status_change_names_the_new_status_and_the_reason(app):
    with app.test_request_context():
        label = event_label(
            Event(type="lead.status_changed", data={"to": "lost", "reason": "Went with a rival"})
        )
    assert label.endswith(": lost, Went with a rival")


def test_every_lead_event_has_a_label(app):
    """A lead's history never shows a raw event type: every type it can record has words."""
    assert set(LEAD_EVENT_LABELS) == set(LeadEvent)
    with app.test_request_context():
        for event_type in LeadEvent:
            assert event_label(Event(type=event_type.value, data={})) != event_type.value, event_type


def test_lead_and_audit_events_are_distinct_vocabularies():
    assert not {e.value for e in LeadEvent} & {e.value for e in AuditEvent}


def test_every_decline_reason_has_a_label():
    assert set(DECLINE_REASON_LABELS) == set(DeclineReason)


def test_every_sla_clock_has_its_words():
    assert set(CLOCK_LABELS) == set(SlaClock)
    assert all(label.name and label.due for label in CLOCK_LABELS.values())


def test_the_update_clock_keeps_both_of_its_stored_names(app):
    """One name in code; the event log stores next_update, notifications and webhooks send status_update."""
    assert SlaClock.UPDATE.value == "next_update"
    assert SlaClock.UPDATE.payload_name == "status_update"
    assert [clock.payload_name for clock in (SlaClock.CLAIM, SlaClock.FIRST_CONTACT)] == [
        "claim",
        "first_contact",
    ]
    assert SlaClock.parse("status_update") is SlaClock.parse("next_update") is SlaClock.UPDATE
    assert SlaClock.parse("nonsense") is None
    with app.test_request_context():
        assert clock_name("status_update") == clock_name("next_update") == "status update"
        assert end_reason_label("SLA breach: next_update") == "missed the status update deadline"


def test_every_notification_kind_reads_in_the_bell_and_in_a_digest():
    assert set(NOTIFICATION_KINDS) == set(NotificationKind)
    assert all(kind.title and kind.digest_label for kind in NOTIFICATION_KINDS.values())
    assert set(WEBHOOK_EVENT_LABELS) == set(WEBHOOK_EVENTS)
    assert WEBHOOK_EVENTS == (
        "offer.created",
        "offer.expiring",
        "lead.claimed",
        "sla.breached",
        "lead.recycled",
    )


def test_an_unmatched_lead_says_why_in_words(app):
    with app.test_request_context():
        label = event_label(Event(type="lead.unmatched", data={"cause": "outside_coverage", "partners": 4}))
    assert label == "No partner can take it: No partner covers this location"
