"""The demo programme as data: its logins, manufacturers, countries, names, and the partners' personas
that shape the demo's track record.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.models import Role

DEMO_PASSWORD = "demo-password"  # noqa: S105 - documented demo login


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: Role
    name: str
    organisation_slug: str


DEMO_LOGINS = (
    DemoLogin("maker.admin@demo.test", Role.MANUFACTURER_ADMIN, "Maria Maker", "demo-maker"),
    DemoLogin("channel.manager@demo.test", Role.CHANNEL_MANAGER, "Chris Channel", "demo-maker"),
    DemoLogin("partner.admin@demo.test", Role.PARTNER_ADMIN, "Paula Partner", "demo-partner"),
    DemoLogin("partner.rep@demo.test", Role.PARTNER_REP, "Ralf Rep", "demo-partner"),
)

MANUFACTURERS = {
    "demo-maker": (
        "Demo Maker AG",
        "Europe/Berlin",
        [
            ("pumps", "Industrial pumps"),
            ("valves", "Valves & fittings"),
            ("sensors", "Smart sensors"),
            ("service", "Service contracts"),
        ],
    ),
    "demo-maker-2": (
        "Second Maker Inc.",
        "America/New_York",
        [("routers", "Routers"), ("switches", "Switches"), ("wifi", "Wireless"), ("security", "Security")],
    ),
}

INDUSTRIES = [
    "Manufacturing",
    "Chemicals",
    "Food & Beverage",
    "Utilities",
    "Healthcare",
    "Logistics",
    "Retail",
    "Construction",
    "Automotive",
    "Public Sector",
]

# country -> (regions, time zone, share of partners)
COUNTRIES = {
    "DE": (["BY", "BW", "NW", "HE", "NI", "BE", "SN", "HH"], "Europe/Berlin", 0.35),
    "AT": (["W", "ST", "OO", "T"], "Europe/Vienna", 0.08),
    "CH": (["ZH", "BE", "GE", "BS"], "Europe/Zurich", 0.07),
    "US": (["CA", "TX", "NY", "IL", "FL", "WA", "MA", "GA"], "America/New_York", 0.30),
    "GB": (["ENG", "SCT", "WLS"], "Europe/London", 0.08),
    "FR": (["IDF", "ARA", "PAC"], "Europe/Paris", 0.07),
    "NL": (["NH", "ZH", "NB"], "Europe/Amsterdam", 0.05),
}

# Demo region codes as the ``holidays`` package names the subdivisions (for the partners' public
# holidays); countries not listed use the codes as they are, None: the country's holidays only.
HOLIDAY_REGIONS = {
    "AT": {"W": "9", "ST": "6", "OO": "4", "T": "7"},
    "FR": {},
    "NL": {},
}
# One demo partner of the first maker is away, so the manufacturer sees a paused partner.
PAUSED_PARTNER = ("demo-p-003", 10, "Team at a trade fair (back in ten days)")

US_ZONES = {
    "CA": "America/Los_Angeles",
    "WA": "America/Los_Angeles",
    "TX": "America/Chicago",
    "IL": "America/Chicago",
}

PARTNER_WORDS = [
    "Alpen",
    "Nord",
    "Rhein",
    "Delta",
    "Summit",
    "Pacific",
    "Atlas",
    "Vertex",
    "Blue",
    "Iron",
    "Cedar",
    "Falcon",
    "Harbor",
    "Orbit",
    "Prime",
    "Quantum",
    "River",
    "Stone",
    "Titan",
    "Zenith",
]
PARTNER_KINDS = ["Technik", "Solutions", "Partners", "Systems", "Service"]
PARTNER_SUFFIX = {
    "DE": "GmbH",
    "AT": "GmbH",
    "CH": "AG",
    "US": "LLC",
    "GB": "Ltd",
    "FR": "SARL",
    "NL": "B.V.",
}
FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hannah",
    "Jonas",
    "Lena",
    "Max",
    "Sophie",
    "James",
    "Emily",
    "Michael",
    "Olivia",
    "Daniel",
    "Grace",
    "Lucas",
    "Chloé",
]
LAST = [
    "Müller",
    "Schmidt",
    "Weber",
    "Fischer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Smith",
    "Johnson",
    "Brown",
    "Miller",
    "Davis",
    "Martin",
    "Bernard",
    "de Vries",
    "Jansen",
    "Taylor",
    "Wilson",
    "Huber",
    "Keller",
]
COMPANY = [
    "Werke",
    "Systems",
    "Industries",
    "Logistik",
    "Foods",
    "Energie",
    "Medical",
    "Bau",
    "Motors",
    "Labs",
]


# One demo lead in ten (DEMO-…1) was published in the past year and worked to an end, so partners have
# a track record and the analytics pages show trends: the responsiveness figures, the channel
# manager's partner table and scorecards, and the responsiveness component of matching show real
# differences. How a partner behaves follows from a persona: (share of partners, minutes to claim,
# minutes from claim to first contact, chance to decline, chance to win a worked lead, chance to let
# a clock breach - the sweep then recycles the lead -, chance to return the lead).
PERSONAS = {
    "fast": (0.35, (4, 45), (10, 120), 0.05, 0.5, 0.0, 0.0),
    "steady": (0.35, (45, 360), (60, 600), 0.15, 0.35, 0.05, 0.03),
    "slow": (0.2, (300, 1800), (900, 4000), 0.2, 0.15, 0.35, 0.15),
    "picky": (0.1, (30, 240), (60, 480), 0.7, 0.3, 0.1, 0.2),
}
HISTORY_SOURCE_IDS = "DEMO-%1"  # one lead in ten
HISTORY_DAYS = (400, 4)  # published between 400 and 4 days ago: 13 months of trends
UNCLAIMED_SHARE = 0.08  # of the history leads, nobody claims these: they return to the manufacturer

# The demo campaigns: (name, channel, started days ago, cost in the programme's currency, how much
# likelier than usual its worked leads are won). Referrals pay back within weeks; the trade fair
# costs far more than its few wins bring in.
CAMPAIGNS = (
    ("Hannover Messe", "trade fair", 410, 400_000, 0.2),
    ("Webinar series", "webinar", 405, 12_000, 1.0),
    ("Paid search", "paid search", 400, 40_000, 0.8),
    ("Partner referrals", "referral", 420, 5_000, 1.6),
)
