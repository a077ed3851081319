"""Realistic rows for the database benchmarks, from the generators of ``bench.matching`` (countries,
regions, postal areas, product lines, sizes): one manufacturer, its partners and leads, written with
bulk inserts (PostgreSQL: ``COPY``)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from bench import matching as generated

TIERS = ["registered", "silver", "gold", "platinum"]
SIZE_BANDS = ["micro", "small", "medium", "large"]


@dataclass
class Dataset:
    manufacturer_id: int
    partner_ids: list[int]  # database ids, in the order of ``partner_facts``
    partner_facts: list  # matching.PartnerFacts with database ids
    line_ids: dict[int, int]  # generated product line -> database id


def _copy(connection, table: str, columns: list[str], rows) -> int:
    """Write rows with PostgreSQL COPY (text format)."""
    raw = connection.connection.dbapi_connection
    count = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build_programme(db, partners: int, rng: random.Random, now: datetime) -> Dataset:
    """A manufacturer with ``partners`` enrolled partners (profiles, coverage, product lines)."""
    from exchange.accounts import organisations

    maker = organisations.create_manufacturer("Bench Maker AG", slug="bench-maker", timezone="Europe/Berlin")
    line_ids = {
        line: organisations.add_product_line(maker, f"line-{line}", f"Line {line}").id
        for line in generated.PRODUCT_LINES
    }
    db.session.commit()
    geo = generated.Geography(rng)
    facts = generated.make_partners(rng, geo, partners)
    connection = db.session.connection()
    org_rows = [
        {
            "kind": "partner",
            "name": f"Bench Partner {i}",
            "slug": f"bench-partner-{i}",
            "is_active": True,
            "timezone": "Europe/Berlin",
            "locale": "en",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(len(facts))
    ]
    ids: list[int] = []
    for row in org_rows:  # one at a time: the ids must pair with the generated partners exactly
        ids.append(
            connection.execute(
                sa.text(
                    "INSERT INTO organisations (kind, name, slug, is_active, timezone, locale, created_at, updated_at) "
                    "VALUES (:kind, :name, :slug, :is_active, :timezone, :locale, :created_at, :updated_at) RETURNING id"
                ),
                row,
            ).scalar_one()
        )
    profiles, coverage, enrollments = [], [], []
    for org_id, fact in zip(ids, facts, strict=True):
        profiles.append(
            {
                "partner_id": org_id,
                "employees": fact.employees,
                "size_band": fact.size_band,
                "industries": json.dumps(sorted(fact.industries)),
                "certifications": json.dumps(sorted(fact.certifications)),
                "segments": json.dumps(sorted(fact.segments)),
                "languages": json.dumps(["en"]),
                "capacity": 100_000,
                "latitude": fact.latitude,
                "longitude": fact.longitude,
                "radius_km": fact.radius_km,
                "timezone": "Europe/Berlin",
                "working_days": json.dumps([1, 2, 3, 4, 5]),
                "work_start": "08:00:00",
                "work_end": "18:00:00",
                "holidays": "[]",
                "matching_changed_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        for area in fact.coverage:
            coverage.append(
                {
                    "partner_id": org_id,
                    "country": area.country,
                    "region": area.region,
                    "postal_prefix": area.postal_prefix,
                }
            )
        enrollments.append(
            {
                "manufacturer_id": maker.id,
                "partner_id": org_id,
                "tier": TIERS[fact.tier_rank],
                "status": "active",
                "enrolled_at": now,
                "responsiveness": "{}",
                "created_at": now,
                "updated_at": now,
            }
        )
    connection.execute(
        sa.text(
            "INSERT INTO partner_profiles (partner_id, employees, size_band, industries, certifications, segments, "
            "languages, capacity, latitude, longitude, radius_km, timezone, working_days, work_start, work_end, holidays, "
            "matching_changed_at, created_at, updated_at) VALUES (:partner_id, :employees, :size_band, :industries, "
            ":certifications, :segments, :languages, :capacity, :latitude, :longitude, :radius_km, :timezone, "
            ":working_days, :work_start, :work_end, :holidays, :matching_changed_at, :created_at, :updated_at)"
        ),
        profiles,
    )
    connection.execute(
        sa.text(
            "INSERT INTO coverage_areas (partner_id, country, region, postal_prefix) "
            "VALUES (:partner_id, :country, :region, :postal_prefix)"
        ),
        coverage,
    )
    connection.execute(
        sa.text(
            "INSERT INTO enrollments (manufacturer_id, partner_id, tier, status, enrolled_at, responsiveness, created_at, "
            "updated_at) VALUES (:manufacturer_id, :partner_id, :tier, :status, :enrolled_at, :responsiveness, "
            ":created_at, :updated_at)"
        ),
        enrollments,
    )
    enrollment_ids = dict(
        connection.execute(
            sa.text("SELECT partner_id, id FROM enrollments WHERE manufacturer_id = :m"), {"m": maker.id}
        ).all()
    )
    served = [
        {"enrollment_id": enrollment_ids[org_id], "product_line_id": line_ids[line]}
        for org_id, fact in zip(ids, facts, strict=True)
        for line in fact.product_line_ids
    ]
    connection.execute(
        sa.text(
            "INSERT INTO enrollment_product_lines (enrollment_id, product_line_id) "
            "VALUES (:enrollment_id, :product_line_id)"
        ),
        served,
    )
    db.session.commit()
    from dataclasses import replace

    facts = [
        replace(fact, id=org_id, product_line_ids=frozenset(line_ids[line] for line in fact.product_line_ids))
        for org_id, fact in zip(ids, facts, strict=True)
    ]
    return Dataset(maker.id, ids, facts, line_ids)


def lead_rows(dataset: Dataset, count: int, rng: random.Random, now: datetime, *, status: str = "draft"):
    """``count`` leads as dicts (generated to fit the partners' geography), newest last."""
    geo = generated.Geography(rng)
    facts = generated.make_leads(rng, geo, count, dataset.partner_facts)
    temperatures = ["hot", "warm", "warm", "cold", "cold"]
    for n, fact in enumerate(facts):
        created = now - timedelta(minutes=count - n)
        yield {
            "manufacturer_id": dataset.manufacturer_id,
            "company_name": f"Buyer {n}",
            "contact_first_name": "Erika",
            "contact_last_name": f"Mustermann {n}",
            "contact_email": f"buyer{n}@example.com",
            "contact_phone": "+49 89 123456",
            "street": "Hauptstr. 1",
            "country": fact.country,
            "region": fact.region,
            "postal_code": fact.postal_code,
            "latitude": fact.latitude,
            "longitude": fact.longitude,
            "product_line_id": dataset.line_ids[fact.product_line_id] if fact.product_line_id else None,
            "industry": fact.industry,
            "employees": fact.employees,
            "estimated_value": round(fact.deal_value, 2) if fact.deal_value is not None else None,
            "currency": "EUR",
            "temperature": temperatures[n % 5],
            "status": status,
            "current_wave": 0,
            "dedupe_key": f"buyer{n}@example.com|buyer {n}",
            "created_at": created,
            "updated_at": created,
        }


def copy_rows(db, table: str, rows, columns: list[str]) -> int:
    connection = db.session.connection()
    return _copy(connection, table, columns, ([row[c] for c in columns] for row in rows))
