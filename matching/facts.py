"""What matching knows: small frozen dataclasses built by the caller from its own rows.

Construction normalises (strings trimmed, codes upper-cased, free-text categories case-folded for
comparison, iterables turned into frozensets / tuples, numbers into floats) and validates: a value
out of range raises ``ValueError`` naming the object and the field, so bad data is refused where it
enters instead of producing a silently wrong score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from typing import Any

from matching.weights import DEFAULT_WEIGHTS, validate_weights

SEGMENTS = ("small", "mid_market", "enterprise")
SIZE_BANDS = ("micro", "small", "medium", "large")
MAX_TIER_RANK = 3  # 0 registered, 1 silver, 2 gold, 3 platinum

# Deals up to these values (in the programme's currency) sit comfortably with a partner of each
# size band (micro, small, medium, large); above, the deal-size fit falls as ceiling / value.
DEFAULT_DEAL_SIZE_CEILINGS = (25_000.0, 100_000.0, 500_000.0, math.inf)


def category_key(value: str) -> str:
    """How free-text categories (industries, certifications) compare: trimmed and case-folded."""
    return " ".join(value.split()).casefold()


def code_key(value: str) -> str:
    """How codes (countries, regions) compare: trimmed and upper-cased."""
    return value.strip().upper()


def postal_key(value: str) -> str:
    """How postal codes and prefixes compare: upper-cased, without spaces ("sw1a 1aa" -> "SW1A1AA")."""
    return "".join(value.split()).upper()


def _optional_text(value: str | None, normalise) -> str | None:
    if value is None:
        return None
    value = normalise(value)
    return value or None


def _number(owner: str, name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None):
    """``value`` as a finite float within [minimum, maximum], or ``None``; else ``ValueError``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be finite, got {value!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum:g}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{owner}: {name} must be at most {maximum:g}, got {value!r}")
    return number


def _count(owner: str, name: str, value: Any, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{owner}: {name} must be a whole number >= 0, got {value!r}")
    return value


def _coordinates(owner: str, latitude: Any, longitude: Any) -> tuple[float | None, float | None]:
    latitude = _number(owner, "latitude", latitude, minimum=-90, maximum=90)
    longitude = _number(owner, "longitude", longitude, minimum=-180, maximum=180)
    if (latitude is None) != (longitude is None):
        raise ValueError(f"{owner}: latitude and longitude must be given together")
    return latitude, longitude


def _categories(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):  # a bare string would otherwise become a set of letters
        value = [value]
    return frozenset(key for key in (category_key(item) for item in value) if key)


def _ids(owner: str, name: str, value: Iterable[int]) -> frozenset[int]:
    ids = frozenset(value)
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ValueError(f"{owner}: {name} must hold integer ids, got {sorted(ids, key=repr)!r}")
    return ids


@dataclass(frozen=True, slots=True)
class Area:
    """One coverage area: a whole country, or a region and/or postal-code prefix within it."""

    country: str
    region: str | None = None
    postal_prefix: str | None = None

    def __post_init__(self) -> None:
        country = code_key(self.country or "")
        if len(country) != 2 or not country.isalpha():
            raise ValueError(f"Area: country must be an ISO 3166-1 alpha-2 code, got {self.country!r}")
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "region", _optional_text(self.region, code_key))
        object.__setattr__(self, "postal_prefix", _optional_text(self.postal_prefix, postal_key))

    @property
    def level(self) -> str:
        """How precise the area is: ``"postal"``, ``"region"`` or ``"country"``."""
        if self.postal_prefix is not None:
            return "postal"
        if self.region is not None:
            return "region"
        return "country"


@dataclass(frozen=True, slots=True)
class Responsiveness:
    """A partner's response history in one programme (or the programme's averages).

    ``offers`` is how many offers the figures rest on. ``None`` means "not known yet" (no claim, no
    contact, no closed offer): the scorer then uses the programme average for that figure.
    """

    offers: int = 0
    median_minutes_to_claim: float | None = None
    median_minutes_to_first_contact: float | None = None
    sla_compliance_rate: float | None = None  # 0..1: share of deadlines met
    decline_rate: float | None = None  # 0..1: share of offers declined

    def __post_init__(self) -> None:
        owner = "Responsiveness"
        object.__setattr__(self, "offers", _count(owner, "offers", self.offers))
        for name in ("median_minutes_to_claim", "median_minutes_to_first_contact"):
            object.__setattr__(self, name, _number(owner, name, getattr(self, name), minimum=0))
        for name in ("sla_compliance_rate", "decline_rate"):
            object.__setattr__(self, name, _number(owner, name, getattr(self, name), minimum=0, maximum=1))


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """A published lead as matching sees it.

    ``excluded_partner_ids``: partners that declined, returned or were recycled away from this lead;
    they are never offered it again. ``certifications``: certifications that qualify a partner for
    this lead (for example the ones the manufacturer ties to the product line); empty when none do.
    ``deal_value`` is in the programme's currency.
    """

    id: int
    country: str | None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    product_line_id: int | None = None
    industry: str | None = None
    employees: int | None = None
    deal_value: float | None = None
    certifications: frozenset[str] = frozenset()
    excluded_partner_ids: frozenset[int] = frozenset()
    # Comparison keys derived from the fields above (set by __post_init__).
    industry_key: str | None = field(init=False, repr=False, compare=False)
    certification_keys: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        owner = f"LeadFacts {self.id!r}"
        if isinstance(self.id, bool) or not isinstance(self.id, int):
            raise ValueError(f"{owner}: id must be an integer")
        country = _optional_text(self.country, code_key)
        if country is not None and (len(country) != 2 or not country.isalpha()):
            raise ValueError(f"{owner}: country must be an ISO 3166-1 alpha-2 code, got {self.country!r}")
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "region", _optional_text(self.region, code_key))
        object.__setattr__(self, "postal_code", _optional_text(self.postal_code, postal_key))
        latitude, longitude = _coordinates(owner, self.latitude, self.longitude)
        object.__setattr__(self, "latitude", latitude)
        object.__setattr__(self, "longitude", longitude)
        if self.product_line_id is not None and (
            isinstance(self.product_line_id, bool) or not isinstance(self.product_line_id, int)
        ):
            raise ValueError(f"{owner}: product_line_id must be an integer or None")
        industry = _optional_text(self.industry, lambda s: " ".join(s.split()))
        object.__setattr__(self, "industry", industry)
        object.__setattr__(self, "industry_key", category_key(industry) if industry else None)
        object.__setattr__(self, "employees", _count(owner, "employees", self.employees, optional=True))
        object.__setattr__(self, "deal_value", _number(owner, "deal_value", self.deal_value, minimum=0))
        certifications = self.certifications
        if isinstance(certifications, str):
            certifications = [certifications]
        certifications = frozenset(c for c in (" ".join(c.split()) for c in certifications) if c)
        object.__setattr__(self, "certifications", certifications)
        object.__setattr__(self, "certification_keys", _categories(certifications))
        object.__setattr__(
            self, "excluded_partner_ids", _ids(owner, "excluded_partner_ids", self.excluded_partner_ids)
        )

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None


@dataclass(frozen=True, slots=True)
class PartnerFacts:
    """A partner as matching sees it for one manufacturer's programme.

    ``enrolled``: the enrollment is active. ``available``: the partner has not paused new offers.
    ``tier_rank``: 0 registered, 1 silver, 2 gold,
    3 platinum. ``segments``: customer segments served (``small``, ``mid_market``, ``enterprise``).
    ``size_band`` (``micro``/``small``/``medium``/``large``) wins over ``employees`` when both are
    given. ``coverage`` areas and the optional point + ``radius_km`` add up: a lead inside either is
    covered. A point without a radius only feeds the distance in the geography score.
    """

    id: int
    enrolled: bool = True
    available: bool = True
    tier_rank: int = 0
    product_line_ids: frozenset[int] = frozenset()
    industries: frozenset[str] = frozenset()
    certifications: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    employees: int | None = None
    size_band: str | None = None
    coverage: tuple[Area, ...] = ()
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    capacity: int = 10
    leads_in_progress: int = 0
    responsiveness: Responsiveness = Responsiveness()

    def __post_init__(self) -> None:
        owner = f"PartnerFacts {self.id!r}"
        if isinstance(self.id, bool) or not isinstance(self.id, int):
            raise ValueError(f"{owner}: id must be an integer")
        if not isinstance(self.enrolled, bool):  # a status string such as "suspended" is truthy
            raise ValueError(f"{owner}: enrolled must be True or False, got {self.enrolled!r}")
        if not isinstance(self.available, bool):
            raise ValueError(f"{owner}: available must be True or False, got {self.available!r}")
        if (
            isinstance(self.tier_rank, bool)
            or not isinstance(self.tier_rank, int)
            or not 0 <= self.tier_rank <= MAX_TIER_RANK
        ):
            raise ValueError(f"{owner}: tier_rank must be 0-{MAX_TIER_RANK}, got {self.tier_rank!r}")
        object.__setattr__(self, "product_line_ids", _ids(owner, "product_line_ids", self.product_line_ids))
        object.__setattr__(self, "industries", _categories(self.industries))
        object.__setattr__(self, "certifications", _categories(self.certifications))
        segments = _categories(self.segments)
        unknown = segments - set(SEGMENTS)
        if unknown:
            raise ValueError(f"{owner}: unknown segments {sorted(unknown)}; known: {', '.join(SEGMENTS)}")
        object.__setattr__(self, "segments", segments)
        object.__setattr__(self, "employees", _count(owner, "employees", self.employees, optional=True))
        band = _optional_text(self.size_band, category_key)
        if band is not None and band not in SIZE_BANDS:
            raise ValueError(f"{owner}: unknown size_band {self.size_band!r}; known: {', '.join(SIZE_BANDS)}")
        object.__setattr__(self, "size_band", band)
        coverage = tuple(area if isinstance(area, Area) else Area(*area) for area in self.coverage)
        object.__setattr__(self, "coverage", coverage)
        latitude, longitude = _coordinates(owner, self.latitude, self.longitude)
        object.__setattr__(self, "latitude", latitude)
        object.__setattr__(self, "longitude", longitude)
        radius = _number(owner, "radius_km", self.radius_km, minimum=0)
        if radius is not None and latitude is None:
            raise ValueError(f"{owner}: radius_km needs latitude and longitude")
        object.__setattr__(self, "radius_km", radius)
        object.__setattr__(self, "capacity", _count(owner, "capacity", self.capacity))
        object.__setattr__(
            self, "leads_in_progress", _count(owner, "leads_in_progress", self.leads_in_progress)
        )
        if not isinstance(self.responsiveness, Responsiveness):
            raise ValueError(f"{owner}: responsiveness must be a Responsiveness")

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None


@dataclass(frozen=True, slots=True)
class ProgramSettings:
    """One manufacturer's matching settings.

    ``weights`` are validated and normalised to sum to 1 on construction (missing keys take their
    default). Leads whose ``deal_value`` is above ``large_deal_threshold`` may only go to partners
    of at least ``large_deal_min_tier`` (both must be set for the rule to apply).
    ``average_responsiveness``: the programme's figures, toward which thin histories are smoothed.
    """

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    large_deal_threshold: float | None = None
    large_deal_min_tier: int | None = None
    average_responsiveness: Responsiveness = Responsiveness()
    deal_size_ceilings: tuple[float, float, float, float] = DEFAULT_DEAL_SIZE_CEILINGS

    def __post_init__(self) -> None:
        owner = "ProgramSettings"
        object.__setattr__(self, "weights", validate_weights(self.weights))
        object.__setattr__(
            self,
            "large_deal_threshold",
            _number(owner, "large_deal_threshold", self.large_deal_threshold, minimum=0),
        )
        tier = self.large_deal_min_tier
        if tier is not None and (isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= 3):
            raise ValueError(f"{owner}: large_deal_min_tier must be 0-{MAX_TIER_RANK} or None, got {tier!r}")
        if not isinstance(self.average_responsiveness, Responsiveness):
            raise ValueError(f"{owner}: average_responsiveness must be a Responsiveness")
        ceilings = tuple(self.deal_size_ceilings)
        if (
            len(ceilings) != len(SIZE_BANDS)
            or any(isinstance(c, bool) or not isinstance(c, Real | Decimal) or not c > 0 for c in ceilings)
            or list(ceilings) != sorted(ceilings)
        ):
            raise ValueError(
                f"{owner}: deal_size_ceilings must be {len(SIZE_BANDS)} positive, non-decreasing numbers"
            )
        object.__setattr__(self, "deal_size_ceilings", tuple(float(c) for c in ceilings))

    def is_large_deal(self, lead: LeadFacts) -> bool:
        """Whether the minimum-tier rule applies to ``lead``."""
        return (
            self.large_deal_threshold is not None
            and self.large_deal_min_tier is not None
            and lead.deal_value is not None
            and lead.deal_value > self.large_deal_threshold
        )
