"""Model-level guarantees: the append-only event log, one active claim per lead, cascades."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from exchange.models import AppendOnlyError, Claim, ClaimStatus, Event, Lead, Organisation
from exchange.platform import events
from exchange.platform.extensions import db
from tests import factories as f


def test_events_cannot_be_changed_or_deleted_through_the_orm(app):
    event = events.record("lead.created", data={"a": 1})
    db.session.commit()
    event.type = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(Event, event.id))
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()


def test_events_cannot_be_changed_or_deleted_in_sql_either(app):
    event = events.record("lead.created")
    db.session.commit()
    for statement in (
        sa.update(Event).where(Event.id == event.id).values(type="x"),
        sa.delete(Event).where(Event.id == event.id),
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.get(Event, event.id).type == "lead.created"


def test_at_most_one_active_claim_per_lead(app):
    maker = f.manufacturer()
    a, b = f.partner(maker), f.partner(maker)
    lead = f.lead(maker)
    db.session.add(Claim(lead_id=lead.id, partner_id=a.id, manufacturer_id=maker.id))
    db.session.commit()
    db.session.add(Claim(lead_id=lead.id, partner_id=b.id, manufacturer_id=maker.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # an ended claim does not block a new one
    db.session.execute(sa.update(Claim).values(status=ClaimStatus.RETURNED))
    db.session.add(Claim(lead_id=lead.id, partner_id=b.id, manufacturer_id=maker.id))
    db.session.commit()


def test_new_manufacturer_gets_programme_and_default_sla_policies(app):
    from exchange.models import SlaPolicy, Temperature

    maker = f.manufacturer()
    db.session.commit()
    policies = {
        p.temperature: p
        for p in db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == maker.id))
    }
    assert set(policies) == set(Temperature)
    assert policies[Temperature.HOT].claim_window_minutes == 60
    assert policies[Temperature.WARM].claim_window_minutes == 240
    assert policies[Temperature.COLD].first_contact_minutes == 3 * 8 * 60
    assert maker.program.wave_size == 3


def test_lead_country_must_be_iso2(app):
    maker = f.manufacturer()
    # SQLite: the check constraint; PostgreSQL: VARCHAR(2) refuses first
    with pytest.raises(sa.exc.DatabaseError):
        f.lead(maker, country="DEU")
    db.session.rollback()


def test_source_id_is_unique_per_manufacturer(app):
    one, two = f.manufacturer(), f.manufacturer()
    f.lead(one, source_id="CRM-1")
    f.lead(two, source_id="CRM-1")  # another manufacturer may use the same id
    db.session.commit()
    with pytest.raises(IntegrityError):
        f.lead(one, source_id="CRM-1")
    db.session.rollback()


def test_deleting_an_organisation_cascades_to_its_rows(app):
    maker = f.manufacturer()
    f.lead(maker)
    db.session.commit()
    db.session.delete(db.session.get(Organisation, maker.id))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
