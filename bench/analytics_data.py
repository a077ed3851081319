"""The data set of ``bench.analytics``: one programme with a history of two years, generated with numpy
and written with PostgreSQL ``COPY``.

One manufacturer (Europe/Berlin, EUR) with ``partners`` accepted partners (5 % platinum, 15 % gold, 30 %
silver, the rest registered; a "quality" per partner makes good and bad ones), 5 product lines, 24
campaigns, and ``leads`` leads published over 24 months. Each lead runs the life the services would
give it, in one pass per block of leads: wave 1 offers three partners of its country (tier-weighted),
who decline (with reasons), lapse or claim (the better partners more and faster); a lapsed wave 1
opens wave 2 (two more partners), a lapsed wave 2 returns the lead unclaimed. A claim starts the
first-contact clock: contact mostly in time, otherwise an ``sla.breached`` that recycles the claim
(and the lead goes on to the next wave) or only reminds (a late contact, or none: claimed but never
contacted). Contacted leads move through meeting, qualified and proposal to won (EUR, CHF for a part
of the Swiss ones) or lost, some are handed back, some miss a status update. Leads of the last four
days are still on offer, and nothing happens after "now". The events go with every step (plus the
lead's creation, contact views, further contacts, notes and reminders), about ten per lead, with the
event ids in time order within each block of leads.

Rows get their ids here (the database is new): leads, offers, claims and events are ``COPY``-ed with
their foreign keys and secondary indexes dropped and recreated afterwards, as a restore does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa

BLOCK = 100_000  # leads generated and written at once
DAY = 86_400
HOUR = 3_600
TIERS = np.array(["platinum", "gold", "silver", "registered"])
TIER_SHARES = (0.05, 0.15, 0.30, 0.50)
TIER_WEIGHT = np.array([4, 3, 2, 1])  # how many more offers a tier gets
TEMPERATURES = np.array(["hot", "warm", "cold"])
TEMPERATURE_PRIORITY = np.array([2, 1, 0])
CLAIM_WINDOW = np.array([4 * HOUR, 8 * HOUR, 24 * HOUR])  # per temperature
CONTACT_WINDOW = np.array([4 * HOUR, 24 * HOUR, 72 * HOUR])
UPDATE_WINDOW = 14 * DAY
COUNTRIES = {  # code: (share of leads and partners, regions)
    "DE": (0.40, ("BW", "BY", "BE", "HH", "HE", "NI", "NW", "SN")),
    "AT": (0.12, ("W", "NO", "OO", "ST", "T")),
    "CH": (0.12, ("ZH", "BE", "GE", "VD", "BS")),
    "FR": (0.14, ("IDF", "ARA", "PAC", "OCC")),
    "NL": (0.10, ("NH", "ZH", "NB", "UT")),
    "PL": (0.12, ("MZ", "SL", "WP", "MA")),
}
COUNTRY_CODES = np.array(list(COUNTRIES))
PRODUCT_LINES = (("pumps", "Pumps"), ("valves", "Valves"), ("drives", "Drives"), ("sensors", "Sensors"),
                 ("service", "Service contracts"))  # fmt: skip
CAMPAIGNS = 24
DECLINE_REASONS = np.array(
    ["too_small", "too_large", "outside_territory", "not_our_product_line", "no_capacity", "bad_data"]
)
LOST_REASONS = np.array(["Price", "Went with a competitor", "No budget", "Project postponed"])
STAGES = ("contacted", "meeting", "qualified", "proposal")

LEAD_COLUMNS = [
    "id", "manufacturer_id", "campaign_id", "product_line_id", "company_name", "contact_first_name",
    "contact_last_name", "contact_email", "country", "region", "postal_code", "industry", "employees",
    "estimated_value", "currency", "temperature", "status", "published_at", "current_wave", "sla_terms",
    "claimed_partner_id", "claimed_at", "closed_at", "won_amount", "won_currency", "lost_reason", "dedupe_key",
    "created_at", "updated_at",
]  # fmt: skip
OFFER_COLUMNS = [
    "id", "lead_id", "partner_id", "manufacturer_id", "score", "components", "reasons", "rank",
    "temperature_priority", "wave", "state", "visible_from", "claim_deadline", "remind_at", "first_shown_at",
    "closed_at", "decline_reason", "created_at", "updated_at",
]  # fmt: skip
CLAIM_COLUMNS = [
    "id", "lead_id", "offer_id", "partner_id", "manufacturer_id", "status", "claimed_at",
    "first_contact_deadline", "first_contact_at", "first_contact_channel", "first_contact_remind_at",
    "first_contact_breached_at", "next_update_deadline", "last_update_at", "update_breached_at", "ended_at",
    "end_reason", "created_at", "updated_at", "offer_visible_from",
]  # fmt: skip
EVENT_COLUMNS = [
    "id", "occurred_at", "type", "manufacturer_id", "partner_id", "lead_id", "offer_id", "claim_id",
    "actor_kind", "data",
]  # fmt: skip
BULK_TABLES = ("leads", "offers", "claims", "events")


@dataclass
class Programme:
    manufacturer_id: int
    user_id: int
    partner_ids: np.ndarray  # database id per partner index
    tier: np.ndarray  # tier index (0 platinum .. 3 registered) per partner
    quality: np.ndarray  # 0..1 per partner: how fast and reliable it is
    country: np.ndarray  # home country index per partner
    line_ids: list[int]
    campaign_ids: list[int]
    tickets: dict[int, np.ndarray] = field(default_factory=dict)  # country -> partner indexes, tier-weighted


@dataclass
class Sizes:
    leads: int = 0
    offers: int = 0
    claims: int = 0
    events: int = 0


def copy(connection, table: str, columns: list[str], rows: Iterator[tuple]) -> int:
    raw = connection.connection.dbapi_connection
    count = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)
            count += 1
    return count


def stamps(seconds: np.ndarray, present: np.ndarray | None = None) -> list:
    """Epoch seconds as ISO UTC text for COPY (None where not ``present``)."""
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s", timezone="UTC").astype(object)
    if present is not None:
        text[~present] = None
    return text.tolist()


def nullable(values: np.ndarray, present: np.ndarray) -> list:
    out = values.astype(object)
    out[~present] = None
    return out.tolist()


# --- the programme --------------------------------------------------------------------------------


def build_programme(db, partners: int, rng: np.random.Generator, now: datetime) -> Programme:
    from exchange.accounts import organisations
    from exchange.accounts.users import create_user
    from exchange.models import Campaign, Role

    maker = organisations.create_manufacturer(
        "Bench Maker AG", slug="bench-maker", timezone="Europe/Berlin", currency="EUR"
    )
    line_ids = [organisations.add_product_line(maker, code, name).id for code, name in PRODUCT_LINES]
    start = (now - timedelta(days=730)).date()
    campaigns = []
    for k in range(CAMPAIGNS):
        starts = start + timedelta(days=30 * k)
        campaigns.append(
            Campaign(
                manufacturer_id=maker.id,
                name=f"Campaign {k + 1:02d}",
                channel=("trade fair", "webinar", "paid search", "mailing")[k % 4],
                starts_on=starts,
                ends_on=starts + timedelta(days=90),
                cost=int(rng.integers(5, 120)) * 1000,
                currency="EUR",
            )
        )
    db.session.add_all(campaigns)
    # Signed in by the test client (no password needed).
    user = create_user(
        maker, email="channel@bench.test", name="Bench Channel Manager", role=Role.CHANNEL_MANAGER
    )
    db.session.flush()
    first = int(db.session.scalar(sa.text("SELECT coalesce(max(id), 0) FROM organisations"))) + 1
    ids = np.arange(first, first + partners)
    tier = rng.choice(4, size=partners, p=TIER_SHARES)
    shares = np.array([share for share, _ in COUNTRIES.values()])
    country = rng.choice(len(COUNTRIES), size=partners, p=shares / shares.sum())
    bad = rng.random(partners) < 0.15
    quality = np.where(bad, rng.beta(1.5, 5, partners), rng.beta(6, 2, partners))
    stamp = now.isoformat()
    connection = db.session.connection()
    copy(connection, "organisations", ["id", "kind", "name", "slug", "is_active", "timezone", "locale",
                                       "created_at", "updated_at"],
         ((int(i), "partner", f"Bench Partner {n:05d}", f"bench-partner-{n}", True, "Europe/Berlin", "en", stamp,
           stamp) for n, i in enumerate(ids)))  # fmt: skip
    copy(connection, "partner_profiles", ["partner_id", "employees", "size_band", "industries", "certifications",
                                          "segments", "languages", "capacity", "timezone", "working_days",
                                          "work_start", "work_end", "holidays", "country",
                                          "matching_changed_at", "created_at", "updated_at"],
         ((int(i), 25, "small", "[]", "[]", '["small"]', '["en"]', 100_000, "Europe/Berlin", "[1, 2, 3, 4, 5]",
           "08:00:00", "18:00:00", "[]", COUNTRY_CODES[c], stamp, stamp, stamp)
          for i, c in zip(ids, country, strict=True)))  # fmt: skip
    regions = [COUNTRIES[code][1] for code in COUNTRY_CODES]
    coverage = []
    for i, c in zip(ids.tolist(), country.tolist(), strict=True):
        if rng.random() < 0.5:
            coverage.append((i, COUNTRY_CODES[c], None))
        else:
            for region in rng.choice(regions[c], size=int(rng.integers(1, 3)), replace=False):
                coverage.append((i, COUNTRY_CODES[c], str(region)))
    copy(connection, "coverage_areas", ["partner_id", "country", "region"], iter(coverage))
    accepted = (now - timedelta(days=800)).isoformat()
    copy(connection, "enrollments", ["manufacturer_id", "partner_id", "tier", "status", "enrolled_at",
                                     "accepted_at", "responded_at", "responsiveness", "created_at", "updated_at"],
         ((maker.id, int(i), TIERS[t], "active", accepted, accepted, accepted, "{}", accepted, stamp)
          for i, t in zip(ids, tier, strict=True)))  # fmt: skip
    connection.execute(
        sa.text(
            "INSERT INTO enrollment_product_lines (enrollment_id, product_line_id) "
            "SELECT e.id, l.id FROM enrollments e JOIN product_lines l ON l.manufacturer_id = e.manufacturer_id "
            "WHERE e.manufacturer_id = :m AND (e.partner_id + l.id) % 3 <> 0"
        ),
        {"m": maker.id},
    )
    connection.execute(sa.text("SELECT setval('organisations_id_seq', :v)"), {"v": int(ids[-1])})
    db.session.commit()
    programme = Programme(maker.id, user.id, ids, tier, quality, country, line_ids, [c.id for c in campaigns])
    for c in range(len(COUNTRIES)):
        members = np.flatnonzero(country == c)
        programme.tickets[c] = rng.permutation(np.repeat(members, TIER_WEIGHT[tier[members]]))
    return programme


# --- bulk loading ---------------------------------------------------------------------------------


def drop_constraints(connection) -> list[str]:
    """Drop the foreign keys, unique constraints and secondary indexes of the bulk tables; returns
    the statements that recreate them."""
    restore = []
    constraints = connection.execute(
        sa.text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid::regclass::text = ANY(:t) AND contype IN ('f', 'u')"
        ),
        {"t": list(BULK_TABLES)},
    ).all()
    for table, name, definition in constraints:
        connection.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    indexes = connection.execute(
        sa.text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:t) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ),
        {"t": list(BULK_TABLES)},
    ).all()
    for name, definition in indexes:
        connection.execute(sa.text(f'DROP INDEX "{name}"'))
        restore.insert(0, definition)  # indexes before the constraints that may use them
    return restore


def generate(
    db, programme: Programme, leads: int, rng: np.random.Generator, now: datetime, log=print
) -> Sizes:
    """Write ``leads`` leads with their offers, claims and events (see the module docstring)."""
    from bench.analytics_block import Block

    connection = db.session.connection()
    restore = drop_constraints(connection)
    db.session.commit()
    now_s = int(now.timestamp())
    start_s = now_s - 730 * DAY
    published = np.sort(rng.integers(start_s, now_s - 600, size=leads))
    sizes = Sizes()
    started = time.perf_counter()
    for low in range(0, leads, BLOCK):
        block = Block(programme, rng, published[low : low + BLOCK], low + 1, sizes, now_s, start_s)
        connection = db.session.connection()
        sizes.leads += copy(connection, "leads", LEAD_COLUMNS, block.lead_rows())
        sizes.offers += copy(connection, "offers", OFFER_COLUMNS, block.offer_rows())
        sizes.claims += copy(connection, "claims", CLAIM_COLUMNS, block.claim_rows())
        sizes.events += copy(connection, "events", EVENT_COLUMNS, block.event_rows())
        db.session.commit()
        log(
            f"  {sizes.leads:>9,} leads, {sizes.offers:,} offers, {sizes.claims:,} claims, "
            f"{sizes.events:,} events ({time.perf_counter() - started:.0f} s)"
        )
    connection = db.session.connection()
    for table, column in (("leads", "id"), ("offers", "id"), ("claims", "id"), ("events", "id")):
        connection.execute(
            sa.text(f"SELECT setval('{table}_{column}_seq', (SELECT max({column}) FROM {table}))")
        )
    db.session.commit()
    log("  indexes and foreign keys ...")
    for statement in restore:
        db.session.execute(sa.text(statement))
        db.session.commit()
    return sizes
