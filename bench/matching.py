"""Matching engine benchmark: the batch scorer on many leads x many partners, against the reference.

    python -m bench.matching --leads 10000 --partners 5000

Generates a realistic programme with a fixed seed (countries with regions, postal codes and
coordinates; product lines, industries, certifications, segments, tiers, capacities, response
histories, exclusions), times ``batch_top_k`` on one core (encoding included), times the reference
``rank_partners`` on a sample of leads against every partner, checks that both choose the same
partners with the same scores, and writes bench/results/matching.json.
Targets: <= 5 s, peak RSS < 1.5 GB, speedup >= 50x, max_abs_diff <= 1e-9.
"""

from __future__ import annotations

import os

# One core: no BLAS / OpenMP thread pools (set before numpy is imported).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from bench import peak_rss_mb, write_result  # noqa: E402
from matching import (  # noqa: E402
    DEFAULT_CHUNK_PAIRS,
    LeadFacts,
    PartnerFacts,
    ProgramSettings,
    Responsiveness,
    batch_top_k,
    rank_partners,
)


@dataclass(frozen=True)
class Country:
    code: str
    share: float  # of leads and partners
    centre: tuple[float, float]  # latitude, longitude
    spread: tuple[float, float]  # half-extent in degrees
    regions: tuple[str, ...]
    postal_digits: int


COUNTRIES = (
    Country(
        "DE",
        0.22,
        (51.0, 10.4),
        (2.6, 3.4),
        ("BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"),
        5,
    ),
    Country(
        "US",
        0.24,
        (39.0, -96.0),
        (8.0, 20.0),
        ("CA", "TX", "NY", "FL", "IL", "PA", "OH", "GA", "NC", "MI", "WA", "MA"),
        5,
    ),
    Country("FR", 0.09, (46.6, 2.4), (2.8, 3.6), ("IDF", "ARA", "PAC", "OCC", "NAQ", "HDF", "GES", "BRE"), 5),
    Country("GB", 0.08, (53.0, -1.8), (2.6, 1.8), ("ENG", "SCT", "WLS", "NIR"), 4),
    Country("IT", 0.07, (42.8, 12.6), (3.4, 3.2), ("LOM", "LAZ", "CAM", "VEN", "PIE", "EMR", "TOS"), 5),
    Country("ES", 0.06, (40.2, -3.7), (2.8, 4.0), ("MD", "CT", "AN", "VC", "GA", "PV"), 5),
    Country("NL", 0.05, (52.2, 5.3), (0.9, 1.1), ("NH", "ZH", "NB", "UT", "GE"), 4),
    Country("AT", 0.04, (47.6, 14.1), (0.8, 2.6), ("W", "NO", "OO", "ST", "T", "K", "S"), 4),
    Country("CH", 0.04, (46.8, 8.2), (0.6, 1.6), ("ZH", "BE", "GE", "VD", "BS", "AG", "TI"), 4),
    Country("PL", 0.05, (52.0, 19.1), (2.2, 3.6), ("MZ", "SL", "WP", "MA", "DS", "LD"), 5),
    Country("SE", 0.03, (60.1, 15.0), (4.5, 3.5), ("AB", "O", "M", "E"), 5),
    Country("BE", 0.03, (50.6, 4.5), (0.6, 1.2), ("BRU", "VLG", "WAL"), 4),
)
PRODUCT_LINES = tuple(range(101, 109))
INDUSTRIES = (
    "Manufacturing", "Chemicals", "Food & Beverage", "Utilities", "Healthcare", "Logistics",
    "Retail", "Construction", "Automotive", "Public Sector", "Energy", "Pharma",
)  # fmt: skip
CERTIFICATIONS = (
    "Pump Specialist",
    "Network Pro",
    "Security Expert",
    "Service Certified",
    "Automation",
    "Cloud",
)
# The certifications a manufacturer ties to each product line.
LINE_CERTIFICATIONS = {
    line: (CERTIFICATIONS[i % 6], CERTIFICATIONS[(i + 2) % 6]) for i, line in enumerate(PRODUCT_LINES)
}


class Geography:
    """Each region gets a centre and a set of leading postal digits, so postal prefixes, regions and
    coordinates agree with each other as they do in real address data."""

    def __init__(self, rng: random.Random, countries: tuple[Country, ...] = COUNTRIES) -> None:
        self.countries = countries
        self.region_centre: dict[tuple[str, str], tuple[float, float]] = {}
        self.region_digits: dict[tuple[str, str], list[str]] = {}
        for country in countries:
            digits = [f"{d:02d}" for d in range(100)]
            rng.shuffle(digits)
            per_region = len(digits) // len(country.regions)
            for i, region in enumerate(country.regions):
                lat = country.centre[0] + rng.uniform(-1, 1) * country.spread[0]
                lon = country.centre[1] + rng.uniform(-1, 1) * country.spread[1]
                self.region_centre[(country.code, region)] = (lat, lon)
                self.region_digits[(country.code, region)] = digits[i * per_region : (i + 1) * per_region]

    def point(self, rng: random.Random, country: str, region: str, km: float = 60.0) -> tuple[float, float]:
        lat, lon = self.region_centre[(country, region)]
        lat += rng.gauss(0, km / 111.0)
        lon += rng.gauss(0, km / (111.0 * max(0.2, math.cos(math.radians(lat)))))
        return max(-90.0, min(90.0, lat)), (lon + 180.0) % 360.0 - 180.0

    def pick_country(self, rng: random.Random) -> Country:
        return rng.choices(self.countries, weights=[c.share for c in self.countries])[0]

    def postal_code(self, rng: random.Random, country: Country, region: str) -> str:
        head = rng.choice(self.region_digits[(country.code, region)])
        tail = "".join(rng.choice("0123456789") for _ in range(country.postal_digits - 2))
        return head + tail


def make_partners(rng: random.Random, geo: Geography, count: int) -> list[PartnerFacts]:
    partners = []
    for pid in range(1, count + 1):
        country = geo.pick_country(rng)
        home = rng.choice(country.regions)
        employees = int(rng.lognormvariate(3.3, 1.1)) + 2
        if employees < 10:
            segments = ["small"]
        elif employees < 50:
            segments = ["small", "mid_market"]
        elif employees < 250:
            segments = ["mid_market", "small"] if rng.random() < 0.6 else ["mid_market", "enterprise"]
        else:
            segments = ["mid_market", "enterprise"]
        roll = rng.random()
        if roll < 0.45:
            coverage = [(country.code, None, None)]
        elif roll < 0.8:
            regions = rng.sample(country.regions, k=min(len(country.regions), rng.randint(1, 3)))
            coverage = [(country.code, region, None) for region in regions]
        else:
            digits = geo.region_digits[(country.code, home)]
            coverage = [
                (country.code, None, p) for p in rng.sample(digits, k=min(len(digits), rng.randint(2, 6)))
            ]
        neighbours = [
            c for c in geo.countries if c is not country and abs(c.centre[0] - country.centre[0]) < 8
        ]
        if rng.random() < 0.15 and neighbours:
            coverage.append((rng.choice(neighbours).code, None, None))
        point = radius = None
        roll = rng.random()
        if roll < 0.35:
            point = geo.point(rng, country.code, home, km=40)
            radius = rng.choice([None, 30.0, 50.0, 80.0, 120.0, 150.0]) if roll < 0.25 else None
        capacity = max(3, min(60, employees // 3 + rng.randint(2, 10)))
        offers = 0 if rng.random() < 0.3 else int(rng.lognormvariate(3.0, 1.2))
        history = Responsiveness(
            offers=offers,
            median_minutes_to_claim=rng.lognormvariate(math.log(60), 1.0) if offers else None,
            median_minutes_to_first_contact=rng.lognormvariate(math.log(300), 1.0) if offers else None,
            sla_compliance_rate=rng.betavariate(8, 2) if offers else None,
            decline_rate=rng.betavariate(2, 8) if offers else None,
        )
        partners.append(
            PartnerFacts(
                id=pid,
                enrolled=rng.random() < 0.95,
                tier_rank=rng.choices((0, 1, 2, 3), weights=(0.37, 0.35, 0.2, 0.08))[0],
                product_line_ids=frozenset(rng.sample(PRODUCT_LINES, k=rng.randint(1, 4))),
                industries=[] if rng.random() < 0.1 else rng.sample(INDUSTRIES, k=rng.randint(1, 4)),
                certifications=rng.sample(CERTIFICATIONS, k=rng.randint(0, 2)),
                segments=segments,
                employees=employees,
                coverage=coverage,
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
                radius_km=radius,
                capacity=capacity,
                leads_in_progress=capacity if rng.random() < 0.1 else rng.randint(0, capacity - 1),
                responsiveness=history,
            )
        )
    return partners


def make_leads(
    rng: random.Random, geo: Geography, count: int, partners: list[PartnerFacts]
) -> list[LeadFacts]:
    by_country: dict[str, list[int]] = {}
    for partner in partners:
        for area in partner.coverage:
            by_country.setdefault(area.country, []).append(partner.id)
    leads = []
    for lid in range(1, count + 1):
        country = geo.pick_country(rng)
        region = rng.choice(country.regions)
        point = geo.point(rng, country.code, region) if rng.random() < 0.7 else None
        employees = int(rng.lognormvariate(4.2, 1.4)) + 1
        base = 8_000 if employees < 50 else 45_000 if employees < 1000 else 250_000
        line = rng.choice(PRODUCT_LINES) if rng.random() < 0.85 else None
        excluded = ()
        if rng.random() < 0.1 and by_country.get(country.code):
            excluded = rng.sample(by_country[country.code], k=min(3, rng.randint(1, 3)))
        leads.append(
            LeadFacts(
                id=lid,
                country=country.code,
                region=region if rng.random() < 0.9 else None,
                postal_code=geo.postal_code(rng, country, region) if rng.random() < 0.95 else None,
                latitude=point[0] if point else None,
                longitude=point[1] if point else None,
                product_line_id=line,
                industry=rng.choice(INDUSTRIES) if rng.random() < 0.95 else None,
                employees=employees if rng.random() < 0.9 else None,
                deal_value=round(base * rng.uniform(0.4, 2.5)) if rng.random() < 0.8 else None,
                certifications=LINE_CERTIFICATIONS[line] if line and rng.random() < 0.5 else (),
                excluded_partner_ids=frozenset(excluded),
            )
        )
    return leads


def make_program() -> ProgramSettings:
    return ProgramSettings(
        large_deal_threshold=250_000,
        large_deal_min_tier=2,
        average_responsiveness=Responsiveness(
            offers=10_000,
            median_minutes_to_claim=75,
            median_minutes_to_first_contact=320,
            sla_compliance_rate=0.78,
            decline_rate=0.2,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--k", type=int, default=3, help="partners chosen per lead (default 3)")
    parser.add_argument("--chunk-pairs", type=int, default=DEFAULT_CHUNK_PAIRS)
    parser.add_argument("--sample-leads", type=int, default=12, help="leads scored by the reference")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument(
        "--countries",
        type=int,
        default=len(COUNTRIES),
        help=f"spread the data over the first N of {len(COUNTRIES)} countries (1 = the hardest case)",
    )
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):  # one core, as the target says
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rng = random.Random(args.seed)
    geo = Geography(rng, COUNTRIES[: max(1, args.countries)])
    partners = make_partners(rng, geo, args.partners)
    leads = make_leads(rng, geo, args.leads, partners)
    program = make_program()

    started = time.perf_counter()
    top = batch_top_k(leads, partners, program, k=args.k, chunk_pairs=args.chunk_pairs)
    seconds = time.perf_counter() - started

    # The reference on a sample of leads against every partner: its speed, and agreement.
    sample_rows = sorted(
        random.Random(args.seed + 1).sample(range(len(leads)), min(args.sample_leads, len(leads)))
    )
    started = time.perf_counter()
    rankings = [rank_partners(leads[row], partners, program) for row in sample_rows]
    reference_seconds = time.perf_counter() - started
    max_abs_diff = 0.0
    mismatches = 0
    for row, ranking in zip(sample_rows, rankings, strict=True):
        chosen = top.choices(row)
        expected = ranking.top(args.k)
        if [c.partner_id for c in chosen] != [s.partner_id for s in expected]:
            mismatches += 1
        if int(top.eligible_counts[row]) != len(ranking.eligible):
            mismatches += 1
        for got, want in zip(chosen, expected, strict=False):
            max_abs_diff = max(max_abs_diff, abs(got.score - want.score))
            for name, value in want.components.items():
                max_abs_diff = max(max_abs_diff, abs(got.components[name] - value))

    pairs = len(leads) * len(partners)
    reference_pairs = len(sample_rows) * len(partners)
    pairs_per_second = pairs / seconds
    reference_pairs_per_second = reference_pairs / reference_seconds
    write_result(
        "matching",
        {
            "leads": len(leads),
            "partners": len(partners),
            "k": args.k,
            "chunk_pairs": args.chunk_pairs,
            "countries": len(geo.countries),
            "eligible_pairs": int(top.eligible_counts.sum()),
            "seconds": round(seconds, 3),
            "pairs_per_second": round(pairs_per_second),
            "reference_sample_pairs": reference_pairs,
            "reference_pairs_per_second": round(reference_pairs_per_second),
            "speedup": round(pairs_per_second / reference_pairs_per_second, 1),
            "max_abs_diff": max_abs_diff,
            "topk_mismatches": mismatches,
            "peak_rss_mb": peak_rss_mb(),
        },
    )
    if mismatches or max_abs_diff > 1e-9:
        print("the batch scorer disagrees with the reference", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
