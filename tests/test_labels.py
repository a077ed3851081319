"""How events read in a lead's history."""

from __future__ import annotations

from exchange.labels import event_label
from exchange.models import Event


def test_a_transition_does_not_repeat_its_state(app):
    with app.test_request_context():
        assert event_label(Event(type="lead.claimed", data={"from": "offered", "to": "claimed"})) == "Claimed"


def test_a_status_change_names_the_new_status_and_the_reason(app):
    with app.test_request_context():
        label = event_label(
            Event(type="lead.status_changed", data={"to": "lost", "reason": "Went with a rival"})
        )
    assert label.endswith(": lost, Went with a rival")
