"""A hand-made history of one programme for the analytics tests (tests/test_analytics_history.py),
played through the real services under a frozen clock: publishing (matching runs as its job), claims,
declines, contacts, status updates, wins, losses, returns and SLA sweeps at chosen moments.

Programme "Acme Pumps", time zone Europe/Berlin, one partner per wave (``wave_size = 1``), SLA clocks
around the clock (no business hours, so the arithmetic stays obvious):
hot = 60 min to claim, 60 min to first contact, an update every 60 days (no update breach by accident);
warm = the same but an update every 3 days (only L08 is warm, to breach its update clock).
Three waves, then the open pool, then back to the manufacturer as unclaimed.

Partners (each covers one region; Echo covers all of Germany, so it is the second wave of every German
lead, behind the regional partner):
Alpha (gold, BY) good, Beta (silver, BW) fair, Gamma (registered, NW) bad, Delta (silver, CH) wins in
CHF, Echo (registered, DE) the back-up.

Every step below is (minutes after the lead's publication, action); sweeps are global, so they are
placed where no other lead has a clock due. Times are Berlin wall-clock; 29 March 2026 02:00 CET
jumps to 03:00 CEST (UTC+1 before, UTC+2 after).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from exchange.accounts import organisations
from exchange.leads import lifecycle
from exchange.models import (
    Campaign,
    Claim,
    ClaimStatus,
    ContactChannel,
    DeclineReason,
    LeadStatus,
    Offer,
    OfferState,
    Role,
    SlaPolicy,
    Temperature,
    Tier,
)
from exchange.offers import claims
from exchange.platform import clock
from exchange.platform.extensions import db
from exchange.sla.sweep import run_sweep
from tests import factories as f

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Berlin wall-clock time in 2026 as an aware UTC instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


PARTNERS = {
    "alpha": ("Alpha Pumpen", Tier.GOLD, [("DE", "BY", None)]),
    "beta": ("Beta Fluid", Tier.SILVER, [("DE", "BW", None)]),
    "gamma": ("Gamma Technik", Tier.REGISTERED, [("DE", "NW", None)]),
    "delta": ("Delta Pumpen AG", Tier.SILVER, [("CH", None, None)]),
    "echo": ("Echo Service", Tier.REGISTERED, [("DE", None, None)]),
}
CAMPAIGNS = {
    "fair": ("Trade fair", Decimal("5000")),
    "search": ("Paid search", Decimal("50000")),
}

# fmt: off
# key: (published, country, region, temperature, campaign, currency, story); the story is
# "minutes action [partner] [argument]" steps separated by "|" (actions: claim, decline <reason>,
# contact, status <status>, won <amount>, lost, return, sweep).
LEADS: dict[str, tuple] = {
    # --- before the DST change (CET = UTC+1) ---
    # Alpha claims after 10 min, contacts at 30, qualified next day, won 40,000 EUR after 4 days.
    "L01": (berlin(3, 2, 9), "DE", "BY", "hot", "fair", "EUR",
            "10 claim alpha | 30 contact alpha | 1500 status alpha qualified | 5940 won alpha 40000"),
    # Alpha claims at 20, contacts at 50, lost two days later.
    "L02": (berlin(3, 2, 10), "DE", "BY", "hot", "search", "EUR",
            "20 claim alpha | 50 contact alpha | 3000 lost alpha"),
    # Alpha claims at 5, contacts at 15, meeting the next day; still open.
    "L03": (berlin(3, 3, 9), "DE", "BY", "hot", "fair", "EUR",
            "5 claim alpha | 15 contact alpha | 1440 status alpha meeting"),
    # Beta claims at 40, contacts at 80, qualified after 2 days, won 12,000 EUR after 6 days.
    "L04": (berlin(3, 3, 11), "DE", "BW", "hot", "fair", "EUR",
            "40 claim beta | 80 contact beta | 2880 status beta qualified | 8640 won beta 12000"),
    # Beta declines at 5 (too small): wave 2 (Echo) at once; Echo claims at 30, contacts at 45; open.
    "L05": (berlin(3, 4, 9), "DE", "BW", "hot", None, "EUR",
            "5 decline beta too_small | 30 claim echo | 45 contact echo"),
    # Beta lets the window lapse (sweep at 61): wave 2 (Echo) from 61; Echo claims at 70 (its first-
    # contact deadline 130) and logs the contact at 135: late. Open.
    "L06": (berlin(3, 4, 11), "DE", "BW", "hot", None, "EUR",
            "61 sweep | 70 claim echo | 135 contact echo"),
    # Gamma claims at 50 and never calls: the sweep at 111 breaches first contact and recycles to Echo
    # (wave 2 from 111); Echo claims at 120, contacts at 130, won 8,000 EUR next day.
    "L07": (berlin(3, 5, 9), "DE", "NW", "hot", None, "EUR",
            "50 claim gamma | 111 sweep | 120 claim echo | 130 contact echo | 1500 won echo 8000"),
    # Warm. Gamma claims at 30, contacts at 45, then no update for 3 days: the sweep at 3 d 46 min
    # (4366) breaches the update clock and recycles to Echo; Echo claims at 4380, calls, loses it.
    "L08": (berlin(3, 5, 14), "DE", "NW", "warm", None, "EUR",
            "30 claim gamma | 45 contact gamma | 4366 sweep | 4380 claim echo | 4390 contact echo"
            " | 4410 lost echo"),
    # Gamma claims at 20, contacts at 40, returns it three days later.
    "L09": (berlin(3, 6, 9), "DE", "NW", "hot", None, "EUR",
            "20 claim gamma | 40 contact gamma | 4320 return gamma"),
    # Nobody claims: Gamma lapses (sweep 61), Echo lapses (sweep 122), the pool (Gamma + Echo) lapses
    # (sweep 183): back to the manufacturer as unclaimed.
    "L10": (berlin(3, 6, 11), "DE", "NW", "hot", "search", "EUR", "61 sweep | 122 sweep | 183 sweep"),
    # Delta claims at 15, contacts at 25, qualified at 60, won 30,000 CHF next day.
    "L11": (berlin(3, 9, 9), "CH", None, "hot", "fair", "CHF",
            "15 claim delta | 25 contact delta | 60 status delta qualified | 1440 won delta 30000"),
    # Delta claims at 25, contacts at 40, won 20,000 CHF next day (no qualified step).
    "L12": (berlin(3, 9, 10), "CH", None, "hot", None, "CHF",
            "25 claim delta | 40 contact delta | 1440 won delta 20000"),
    # Nobody claims: Delta lapses (sweep 61), nobody new for wave 2, so the pool (Delta) at once,
    # which lapses (sweep 122): unclaimed.
    "L13": (berlin(3, 10, 9), "CH", None, "hot", "search", "CHF", "61 sweep | 122 sweep"),
    # Gamma claims at 15, never calls: sweep 76 breaches and recycles to Echo (wave 2 from 76), Echo
    # lapses (sweep 137): the pool without Gamma (Echo) lapses (sweep 198): unclaimed.
    "L14": (berlin(3, 10, 11), "DE", "NW", "hot", None, "EUR",
            "15 claim gamma | 76 sweep | 137 sweep | 198 sweep"),
    # France: nobody covers it; published, never offered.
    "L15": (berlin(3, 11, 9), "FR", None, "hot", None, "EUR", ""),
    # --- around the DST change ---
    # Sat 28 March 23:50 CET: Alpha claims at 00:20 CET (30 min), contacts at 00:40; won 5,000 EUR.
    "L17": (berlin(3, 28, 23, 50), "DE", "BY", "hot", None, "EUR",
            "30 claim alpha | 50 contact alpha | 2160 won alpha 5000"),
    # Sun 29 March 00:15 CET (Sat 23:15 UTC: a local day after its UTC day): Alpha claims at 20,
    # contacts at 35; open.
    "L20": (berlin(3, 29, 0, 15), "DE", "BY", "hot", None, "EUR", "20 claim alpha | 35 contact alpha"),
    # Sun 29 March 01:30 CET: Alpha claims at 03:10 CEST - 40 real minutes (100 on the wall clock),
    # contacts at 03:30 CEST (60 real minutes after publication); open.
    "L16": (berlin(3, 29, 1, 30), "DE", "BY", "hot", None, "EUR", "40 claim alpha | 60 contact alpha"),
    # Sun 29 March 10:00 CEST: Beta claims at 30, contacts at 45, won 15,000 EUR two days later.
    "L18": (berlin(3, 29, 10), "DE", "BW", "hot", None, "EUR",
            "30 claim beta | 45 contact beta | 2880 won beta 15000"),
    # Mon 30 March 00:30 CEST (Sun 22:30 UTC): Beta claims at 20, contacts at 30; open.
    "L19": (berlin(3, 30, 0, 30), "DE", "BW", "hot", None, "EUR", "20 claim beta | 30 contact beta"),
}
# fmt: on


def story(key: str) -> list[tuple[int, str, str | None, str | None]]:
    """The steps of a lead: (minutes after publication, action, partner, argument)."""
    steps = []
    for text in filter(None, (part.strip() for part in LEADS[key][6].split("|"))):
        minutes, action, *rest = text.split()
        steps.append((int(minutes), action, rest[0] if rest else None, rest[1] if len(rest) > 1 else None))
    return steps


def build(run_jobs) -> dict:
    """Set up the programme and play every lead's story in time order; returns the objects by key."""
    maker = organisations.create_manufacturer("Acme Pumps", slug="acme", timezone="Europe/Berlin")
    maker.program.wave_size = 1
    pumps = organisations.add_product_line(maker, "pumps", "Pumps")
    for policy in db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.manufacturer_id == maker.id)):
        policy.business_time = False
        policy.claim_window_minutes = 60
        policy.first_contact_minutes = 60
        policy.update_cadence_minutes = (
            3 * 24 * 60 if policy.temperature == Temperature.WARM else 60 * 24 * 60
        )
        policy.waves = 3
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    partners, reps = {}, {}
    for key, (name, tier, coverage) in PARTNERS.items():
        org = organisations.create_partner(name, coverage=coverage, capacity=20, segments=["mid_market"])
        organisations.enroll(maker, org, tier=tier, product_lines=[pumps])
        partners[key], reps[key] = org, f.user(org, Role.PARTNER_REP)
    campaigns = {}
    for key, (name, cost) in CAMPAIGNS.items():
        campaigns[key] = Campaign(
            manufacturer_id=maker.id,
            name=name,
            cost=cost,
            currency="EUR",
            starts_on=datetime(2026, 3, 1).date(),
        )
        db.session.add(campaigns[key])
    db.session.commit()
    world = {
        "maker": maker,
        "admin": admin,
        "pumps": pumps,
        "p": partners,
        "reps": reps,
        "campaigns": campaigns,
        "leads": {},
    }
    steps = []
    for key, (published, *_) in LEADS.items():
        steps.append((published, 0, key, "publish", None, None))
        for order, (minutes, action, partner, argument) in enumerate(story(key), start=1):
            steps.append((published + timedelta(minutes=minutes), order, key, action, partner, argument))
    for at, _, key, action, partner, argument in sorted(steps, key=lambda s: (s[0], s[1])):
        with clock.frozen(at):
            _act(world, key, action, partner, argument)
            db.session.commit()
            run_jobs()
        db.session.expire_all()
    return world


def _act(world: dict, key: str, action: str, partner: str | None, argument) -> None:
    if action == "publish":
        _, country, region, temperature, campaign, currency, _ = LEADS[key]
        lead = f.lead(
            world["maker"],
            country=country,
            region=region,
            postal_code="75001" if country == "FR" else "80331",
            product_line_id=world["pumps"].id,
            temperature=Temperature(temperature),
            campaign_id=world["campaigns"][campaign].id if campaign else None,
            currency=currency,
            estimated_value=Decimal("25000"),
        )
        lifecycle.publish_leads(world["admin"], [lead])
        world["leads"][key] = lead
        return
    if action == "sweep":
        run_sweep()
        return
    lead = world["leads"][key]
    rep = world["reps"][partner]
    partner_id = world["p"][partner].id
    if action == "claim":
        offer = db.session.scalar(
            sa.select(Offer).where(
                Offer.lead_id == lead.id, Offer.partner_id == partner_id, Offer.state == OfferState.OPEN
            )
        )
        assert offer is not None, f"{key}: no open offer for {partner}"
        claims.claim_offer(rep, offer)
        return
    if action == "decline":
        offer = db.session.scalar(
            sa.select(Offer).where(Offer.lead_id == lead.id, Offer.partner_id == partner_id)
        )
        claims.decline_offer(rep, offer, DeclineReason(argument), None)
        return
    claim = db.session.scalar(
        sa.select(Claim).where(
            Claim.lead_id == lead.id, Claim.partner_id == partner_id, Claim.status == ClaimStatus.ACTIVE
        )
    )
    assert claim is not None, f"{key}: no active claim of {partner}"
    if action == "contact":
        claims.log_contact(rep, claim, ContactChannel.CALL)
    elif action == "status":
        claims.update_status(rep, claim, LeadStatus(argument))
    elif action == "won":
        currency = LEADS[key][5]
        claims.update_status(rep, claim, LeadStatus.WON, amount=Decimal(argument), currency=currency)
    elif action == "lost":
        claims.update_status(rep, claim, LeadStatus.LOST, reason="went with a competitor")
    elif action == "return":
        claims.return_lead(rep, claim, "not our business")
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(action)


def lead_ids(world: dict, *keys: str) -> list[int]:
    return [world["leads"][key].id for key in keys]
