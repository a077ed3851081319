"""Building the demo data set: manufacturers, partners, logins, campaigns and leads, then its history
and what the demo opens with (``exchange.demo.activity``).

Deterministic (a fixed random seed) and idempotent: what already exists is left alone.
"""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.accounts import users as accounts
from exchange.accounts.passwords import hash_password
from exchange.demo.activity import play_history, publish_most, work_some
from exchange.demo.data import (
    CAMPAIGNS,
    COMPANY,
    COUNTRIES,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    FIRST,
    HOLIDAY_REGIONS,
    INDUSTRIES,
    LAST,
    MANUFACTURERS,
    PARTNER_KINDS,
    PARTNER_SUFFIX,
    PARTNER_WORDS,
    PAUSED_PARTNER,
    US_ZONES,
)
from exchange.leads.lookups import dedupe_key
from exchange.models import (
    Campaign,
    Lead,
    LeadStatus,
    Organisation,
    ProductLine,
    Role,
    Segment,
    SizeBand,
    Temperature,
    Tier,
    User,
)
from exchange.platform import clock
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db


def _choice_weighted(rng: random.Random, table: dict[str, tuple]) -> str:
    names = list(table)
    return rng.choices(names, weights=[table[n][2] for n in names])[0]


def seed_demo(partners: int = 200, leads: int = 2000) -> dict[str, int]:
    """Create what is missing of the demo data set; returns how many rows of each kind were created."""
    rng = random.Random(20261123)
    created = {"manufacturers": 0, "partners": 0, "users": 0, "leads": 0, "campaigns": 0}

    makers: dict[str, Organisation] = {}
    lines: dict[str, list[ProductLine]] = {}
    for slug, (name, zone, product_lines) in MANUFACTURERS.items():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        if org is None:
            org = organisations.create_manufacturer(
                name, slug=slug, timezone=zone, currency="EUR" if slug == "demo-maker" else "USD"
            )
            for code, line_name in product_lines:
                organisations.add_product_line(org, code, line_name)
            created["manufacturers"] += 1
        makers[slug] = org
        lines[slug] = list(
            db.session.scalars(sa.select(ProductLine).where(ProductLine.manufacturer_id == org.id))
        )

    # The demo partner behind the two partner logins: Bavaria-based, enrolled with both makers.
    demo_partner = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "demo-partner"))
    if demo_partner is None:
        demo_partner = organisations.create_partner(
            "Demo Partner GmbH",
            slug="demo-partner",
            timezone="Europe/Berlin",
            employees=45,
            capacity=40,
            # All of Germany and Austria, closer to home in Bavaria and the Munich postal areas.
            coverage=[("DE", None, None), ("AT", None, None), ("DE", "BY", None)]
            + [("DE", None, prefix) for prefix in ("80", "81", "82", "83", "84", "85", "86", "87")],
            industries=["Manufacturing", "Chemicals", "Utilities"],
            segments=["small", "mid_market"],
            certifications=["Pump Specialist"],
            languages=["de", "en"],
            annual_revenue=Decimal("8500000"),
            country="DE",
            region="BY",
            postal_code="80331",
            website="https://demo-partner.example",
        )
        organisations.enroll(
            makers["demo-maker"], demo_partner, tier=Tier.PLATINUM, product_lines=lines["demo-maker"][:3]
        )
        organisations.enroll(
            makers["demo-maker-2"], demo_partner, tier=Tier.SILVER, product_lines=lines["demo-maker-2"][:2]
        )
        created["partners"] += 1

    existing_partners = set(
        db.session.scalars(sa.select(Organisation.slug).where(Organisation.slug.like("demo-p-%")))
    )
    # Every generated partner has an admin (not a demo login: nobody knows the password); one in
    # ten has not accepted the invitation yet, so the directory shows partners that are not ready.
    admin_hash = hash_password(secrets.token_urlsafe(24))
    for i in range(1, partners):
        if f"demo-p-{i:03d}" in existing_partners:
            continue
        # Each partner from its own seed: stable whatever else already exists.
        partner = _make_partner(random.Random(f"partner-{i}"), i, makers, lines)
        _add_partner_admin(random.Random(f"partner-admin-{i}"), partner, admin_hash if i % 10 != 7 else None)
        created["partners"] += 1

    orgs_by_slug = {"demo-maker": makers["demo-maker"], "demo-partner": demo_partner}
    for login in DEMO_LOGINS:
        if db.session.scalar(sa.select(User.id).where(User.email == login.email)) is None:
            accounts.create_user(
                orgs_by_slug[login.organisation_slug],
                email=login.email,
                name=login.name,
                role=login.role,
                password=DEMO_PASSWORD,
                check_password=False,  # a documented demo login, meant to be typed
            ).last_login_at = clock.now() - timedelta(days=1)
            created["users"] += 1
    db.session.flush()

    # Leads, split between the two manufacturers (three quarters to the first).
    for slug, share in (("demo-maker", 0.75), ("demo-maker-2", 0.25)):
        maker = makers[slug]
        campaigns = _campaigns(maker, rng, created)
        count = int(leads * share)
        existing = set(
            db.session.scalars(
                sa.select(Lead.source_id).where(
                    Lead.manufacturer_id == maker.id, Lead.source_id.like("DEMO-%")
                )
            )
        )
        rows = []
        for n in range(1, count + 1):
            source_id = f"DEMO-{n:05d}"
            if source_id in existing:
                continue
            rows.append(_lead_row(random.Random(f"{slug}-{n}"), maker, source_id, campaigns, lines[slug]))
        if rows:
            db.session.execute(sa.insert(Lead), rows)
            created["leads"] += len(rows)
    db.session.flush()
    created["history"] = play_history(makers.values())
    _pause_one_partner()
    created["published"] = publish_most(makers.values())
    created["worked"] = work_some(demo_partner)
    return created


def _pause_one_partner() -> None:
    """One partner is away for ten days (once: a later seed leaves it as it is)."""
    slug, days, reason = PAUSED_PARTNER
    partner = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if partner is None or partner.profile is None or partner.profile.paused_at is not None:
        return
    now = clock.now()
    # "Away until" a day: from its first minute in the partner's own zone.
    zone = ZoneInfo(partner.profile.timezone or "UTC")
    day = (now.astimezone(zone) + timedelta(days=days)).date()
    until = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    partner.profile.paused_at, partner.profile.paused_until = now, until
    partner.profile.pause_reason = reason
    record(
        AuditEvent.PARTNER_PAUSED, partner_id=partner.id, data={"until": until.isoformat(), "reason": reason}
    )


def _add_partner_admin(rng: random.Random, partner: Organisation, password_hash: str | None) -> None:
    """The partner's admin: signed in some days ago, or (without a password) still invited."""
    db.session.add(
        User(
            organisation=partner,
            email=f"admin@{partner.slug}.demo.test",
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            role=Role.PARTNER_ADMIN,
            password_hash=password_hash,
            last_login_at=clock.now() - timedelta(days=rng.randint(1, 20)) if password_hash else None,
        )
    )


def _home_region(i: int, country: str, coverage: list, us_region: str | None) -> str | None:
    """Where the partner is based within its country, as a ``holidays`` subdivision code."""
    region = us_region or next((r for c, r, _p in coverage if c == country and r), None)
    if region is None:
        region = random.Random(f"partner-{i}-home").choice(COUNTRIES[country][0])
    names = HOLIDAY_REGIONS.get(country)
    return region if names is None else names.get(region)


def _make_partner(
    rng: random.Random, i: int, makers: dict[str, Organisation], lines: dict[str, list[ProductLine]]
) -> Organisation:
    country = _choice_weighted(rng, COUNTRIES)
    regions, zone, _share = COUNTRIES[country]
    home_region = None
    if country == "US":
        home_region = rng.choice(regions)
        zone = US_ZONES.get(home_region, zone)
    employees = int(rng.lognormvariate(3.3, 1.1)) + 2
    band = SizeBand.for_employees(employees)
    segments = {
        SizeBand.MICRO: ["small"],
        SizeBand.SMALL: ["small", "mid_market"],
        SizeBand.MEDIUM: ["mid_market", "small"] if rng.random() < 0.6 else ["mid_market", "enterprise"],
        SizeBand.LARGE: ["mid_market", "enterprise"],
    }[band]
    # Coverage: the whole home country, or a few regions of it, or postal prefixes; some cover neighbours.
    roll = rng.random()
    if roll < 0.45:
        coverage = [(country, None, None)]
    elif roll < 0.8:
        coverage = [(country, r, None) for r in rng.sample(regions, k=min(len(regions), rng.randint(1, 3)))]
    else:
        digits = "0123456789"
        coverage = [
            (country, None, p)
            for p in {rng.choice(digits) + rng.choice(digits) for _ in range(rng.randint(2, 6))}
        ]
    if country in ("DE", "AT", "CH") and rng.random() < 0.3:
        coverage.append((rng.choice([c for c in ("DE", "AT", "CH") if c != country]), None, None))
    start = rng.choice([7, 8, 8, 9, 9, 10])
    partner = organisations.create_partner(
        f"{rng.choice(PARTNER_WORDS)} {rng.choice(PARTNER_KINDS)} {i:03d} {PARTNER_SUFFIX[country]}",
        slug=f"demo-p-{i:03d}",
        timezone=zone,
        employees=employees,
        capacity=max(3, min(60, employees // 3 + rng.randint(2, 10))),
        coverage=coverage,
        industries=rng.sample(INDUSTRIES, k=rng.randint(1, 4)),
        segments=segments,
        certifications=rng.sample(
            ["Pump Specialist", "Network Pro", "Security Expert", "Service Certified"], k=rng.randint(0, 2)
        ),
        languages=["de", "en"] if country in ("DE", "AT", "CH") else ["en"],
        annual_revenue=Decimal(employees * rng.randint(90, 220) * 1000),
        work_start=time(start, 0),
        work_end=time(start + rng.choice([8, 8, 9, 10]), 0),
        country=country,
        region=_home_region(i, country, coverage, home_region),
    )
    tiers = [Tier.PLATINUM, Tier.GOLD, Tier.SILVER, Tier.REGISTERED]
    weights = [0.08, 0.2, 0.35, 0.37]
    # Most partners sell for one of the makers (by region), some for both.
    first = country in ("DE", "AT", "CH", "FR", "NL", "GB") or rng.random() < 0.3
    second = country in ("US", "GB") or rng.random() < 0.25
    for slug, take in (("demo-maker", first), ("demo-maker-2", second)):
        if not take:
            continue
        served = rng.sample(lines[slug], k=rng.randint(1, len(lines[slug])))
        organisations.enroll(makers[slug], partner, tier=rng.choices(tiers, weights)[0], product_lines=served)
    return partner


def _campaigns(maker: Organisation, rng: random.Random, created: dict[str, int]) -> list[Campaign]:
    today = clock.now().date()
    campaigns = []
    for name, channel, days_ago, cost, _win_factor in CAMPAIGNS:
        campaign = db.session.scalar(
            sa.select(Campaign).where(Campaign.manufacturer_id == maker.id, Campaign.name == name)
        )
        if campaign is None:
            campaign = Campaign(
                manufacturer_id=maker.id,
                name=name,
                channel=channel,
                starts_on=today - timedelta(days=days_ago),
                ends_on=None,
                cost=Decimal(cost),
                currency=maker.program.currency,
            )
            db.session.add(campaign)
            db.session.flush()
            created["campaigns"] += 1
        campaigns.append(campaign)
    return campaigns


def _lead_row(
    rng: random.Random,
    maker: Organisation,
    source_id: str,
    campaigns: list[Campaign],
    lines: list[ProductLine],
) -> dict:
    country = _choice_weighted(rng, COUNTRIES)
    regions = COUNTRIES[country][0]
    criteria = {
        k: rng.random() < p
        for k, p in (("need", 0.8), ("fit", 0.7), ("budget", 0.55), ("authority", 0.5), ("timeframe", 0.45))
    }
    met = sum(criteria.values())
    temperature = Temperature.HOT if met == 5 else Temperature.WARM if met >= 3 else Temperature.COLD
    employees = int(rng.lognormvariate(4.2, 1.4)) + 1
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = f"{rng.choice(LAST)} {rng.choice(COMPANY)}"
    email = f"{first}.{last}.{source_id}@example.com".lower().replace(" ", "")
    created_at = clock.now() - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1440))
    segment = (
        Segment.SMALL if employees < 50 else Segment.MID_MARKET if employees < 1000 else Segment.ENTERPRISE
    )
    value = {Segment.SMALL: 8000, Segment.MID_MARKET: 45000, Segment.ENTERPRISE: 250000}[segment]
    line = rng.choice(lines) if rng.random() < 0.85 else None
    return {
        "manufacturer_id": maker.id,
        "campaign_id": rng.choice(campaigns).id,
        "product_line_id": line.id if line else None,
        "product_interest": line.name if line else "General enquiry",
        "source_id": source_id,
        "lead_source": "Demo",
        "dedupe_key": dedupe_key(email, company),
        "contact_first_name": first,
        "contact_last_name": last,
        "contact_title": rng.choice(
            ["Head of Operations", "CTO", "Purchasing Manager", "Plant Manager", "CEO"]
        ),
        "contact_email": email,
        "contact_phone": f"+{rng.randint(1, 49)} {rng.randint(100, 999)} {rng.randint(100000, 999999)}",
        "street": f"{rng.choice(['Haupt', 'Bahnhof', 'Main', 'Market', 'Park'])}str. {rng.randint(1, 120)}",
        "company_name": company,
        "industry": rng.choice(INDUSTRIES),
        "employees": employees,
        "annual_revenue": Decimal(employees * rng.randint(80, 300) * 1000),
        "website": f"https://{company.split()[0].lower()}.example.com",
        "city": None,
        "postal_code": f"{rng.randint(10, 99)}{rng.randint(100, 999)}",
        "region": rng.choice(regions),
        "country": country,
        "estimated_value": Decimal(int(value * rng.uniform(0.4, 2.5))),
        "currency": maker.program.currency,
        **criteria,
        "temperature": temperature,
        "temperature_reason": f"{met} of 5 qualification criteria met",
        # Rated within the last week: the leads the demo publishes now keep their temperature instead
        # of being cooled by the first timer run minutes after their offers went out (a "new hot lead"
        # notification for a lead the list then shows as cold, with a hot lead's claim window).
        "temperature_changed_at": max(created_at, clock.now() - timedelta(days=7)),
        "status": LeadStatus.DRAFT,
        "created_at": created_at,
        "updated_at": created_at,
    }
