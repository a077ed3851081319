"""How events read in a lead's history."""

from __future__ import annotations

from exchange.models import Event
from exchange.platform.labels import event_label


def test_a_transition_does_not_repeat_its_state(app):
    with app.test_request_context():
        assert event_label(Event(type="lead.claimed", data={"from": "offered", "to": "claimed"})) == "Claimed"


def test_a_status_change_names_the_new_status_and_the_reason(app):
    with app.test_request_context():
        label = event_label(
            Event(type="lead.status_changed", data={"to": "lost", "reason": "Went with a rival"})
        )
    assert label.endswith(": lost, Went with a rival")


def test_every_lead_event_the_code_records_has_a_label():
    """A lead's history never shows a raw event type: every type recorded on a lead has words."""
    import re
    from pathlib import Path

    from exchange.platform.labels import EVENTS

    root = Path(__file__).resolve().parent.parent
    source = "\n".join(
        path.read_text()
        for folder in ("exchange", "portal", "manufacturer_admin")
        for path in (root / folder).rglob("*.py")
    )
    recorded = set(re.findall(r'"((?:lead|offer|sla)\.[a-z_]+)"', source))
    not_history = {
        "offer.created",
        "offer.expiring",
        "offer.claimed",
        "claim.reminder",
        "sla.sweep",
    }  # webhooks
    assert sorted(recorded - not_history - set(EVENTS)) == []


def test_an_unmatched_lead_says_why_in_words(app):
    with app.test_request_context():
        label = event_label(Event(type="lead.unmatched", data={"cause": "outside_coverage", "partners": 4}))
    assert label == "No partner can take it: No partner covers this location"
