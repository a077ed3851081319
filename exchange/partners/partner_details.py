"""What a manufacturer knows about a partner (typed by hand, sent through the API, or a row of an
imported list) and its validation: :class:`PartnerDetails` and :func:`clean_details`.

Every refusal is a :class:`~exchange.platform.errors.DomainError` whose ``field`` is the name of the
:class:`PartnerDetails` attribute at fault (an importer points at the column from it). The profile
fields (employees, revenue, industries, coverage, capacity) are checked by the profile's one schema
(``exchange.partners.profile_schema``), so they are accepted by the same rules as the partner's own form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from babel.core import get_global
from flask_babel import gettext as _

from exchange.accounts.sessions import normalise_email
from exchange.models import Enrollment, Organisation, ProductLine, Tier
from exchange.partners.profile_fields import POSTAL_PREFIX_PATTERN, REGION_PATTERN, short
from exchange.partners.profile_schema import ProfileInvalid, ProfileSchema
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from exchange.platform.iso_codes import is_country

# Shape only (the same as the forms' ``exchange.web.fields.EMAIL_PATTERN``).
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBSITE_PATTERN = re.compile(r"^(https?://)?[^\s/@]+\.[^\s/@]+(/\S*)?$", re.IGNORECASE)
EXTERNAL_ID_MAX = 100
# The profile fields the manufacturer's data may fill (the partner keeps them once its admin signed in).
PROFILE_DETAILS = ("employees", "annual_revenue", "industries", "coverage", "capacity")
LOCATION_DETAILS = ("country", "region", "postal_code", "website")


@dataclass
class PartnerDetails:
    """What a manufacturer knows about a partner (by hand, the API, or an import row). ``None``:
    not given (an update leaves the value as it is)."""

    company: str
    admin_email: str
    admin_name: str | None = None
    external_id: str | None = None  # CRM id; idempotency key per manufacturer (Enrollment.external_id)
    country: str | None = None  # ISO 3166-1 alpha-2
    region: str | None = None
    postal_code: str | None = None
    website: str | None = None
    employees: int | None = None
    annual_revenue: Decimal | None = None
    industries: list[str] = field(default_factory=list)
    tier: Tier | None = None
    product_lines: list[str] | None = None  # product-line codes (or names) of THIS manufacturer
    coverage: list[tuple[str, str | None, str | None]] | None = None  # (country, region, postal prefix)
    capacity: int | None = None


@dataclass
class CleanDetails:
    """:class:`PartnerDetails` validated: text trimmed, the e-mail normalised, product lines found,
    the profile fields in the profile's own shape (only those given)."""

    company: str
    admin_email: str
    admin_name: str
    external_id: str | None
    tier: Tier | None
    product_lines: list[ProductLine] | None
    location: dict[str, str | None]  # the LOCATION_DETAILS given
    profile: dict[str, Any]  # the PROFILE_DETAILS given, as ProfileSchema loads them

    @property
    def timezone(self) -> str:
        """The main zone of the partner's country (the partner corrects it in its profile)."""
        country = self.location.get("country")
        zones = get_global("territory_zones").get(country or "", ()) if country else ()
        return zones[0] if zones else "UTC"


def _text(value: Any, name: str, limit: int, *, required: bool = False) -> str | None:
    if value is not None and not isinstance(value, str):
        value = str(value)
    text = " ".join((value or "").split())
    if not text:
        if required:
            raise DomainError(_("This field is required."), field=name)
        return None
    if len(text) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field=name)
    return text


def clean_details(
    manufacturer: Organisation, details: PartnerDetails, *, enrollment: Enrollment | None = None
) -> CleanDetails:
    """Validate ``details`` for ``manufacturer`` (``enrollment``: the one they will update, whose
    product lines stay selectable even when the manufacturer retired them)."""
    company = _text(details.company, "company", 200, required=True)
    email = _text(details.admin_email, "admin_email", 254, required=True)
    email = normalise_email(email or "")
    if not EMAIL_PATTERN.match(email):
        raise DomainError(_("Not an e-mail address."), field="admin_email")
    admin_name = _text(details.admin_name, "admin_name", 200) or email.split("@", 1)[0]
    external_id = _text(details.external_id, "external_id", EXTERNAL_ID_MAX)
    tier = details.tier
    if tier is not None and not isinstance(tier, Tier):
        try:
            tier = Tier(str(tier).strip().lower())
        except ValueError:
            raise DomainError(
                _("Unknown tier '%(value)s' (one of: %(known)s).", value=short(tier), known=_tier_names()),
                field="tier",
            ) from None
    return CleanDetails(
        company=company or "",
        admin_email=email,
        admin_name=admin_name,
        external_id=external_id,
        tier=tier,
        product_lines=find_product_lines(manufacturer, details.product_lines, enrollment),
        location=_location(details),
        profile=_profile(details),
    )


def _tier_names() -> str:
    return ", ".join(tier.value for tier in Tier)


def _location(details: PartnerDetails) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    country = _text(details.country, "country", 60)
    if country is not None:
        country = country.upper()
        if not is_country(country):
            raise DomainError(
                _("Unknown country '%(code)s' (an ISO code such as DE).", code=short(country, 10)),
                field="country",
            )
        values["country"] = country
    region = _text(details.region, "region", 64)
    if region is not None:
        region = region.upper()
        if not REGION_PATTERN.match(region):
            raise DomainError(
                _("'%(value)s' is not a region code (letters and digits, e.g. BY).", value=short(region)),
                field="region",
            )
        values["region"] = region
    postal_code = _text(details.postal_code, "postal_code", 16)
    if postal_code is not None:
        postal_code = postal_code.upper()
        if not POSTAL_PREFIX_PATTERN.match(postal_code):
            raise DomainError(
                _("'%(value)s' is not a postal code.", value=short(postal_code)), field="postal_code"
            )
        values["postal_code"] = postal_code
    website = _text(details.website, "website", 300)
    if website is not None:
        if not WEBSITE_PATTERN.match(website):
            raise DomainError(_("Not a web address."), field="website")
        values["website"] = website
    return values


def _profile(details: PartnerDetails) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for name in PROFILE_DETAILS:
        value = getattr(details, name)
        if name == "industries" and not value:
            continue
        if value is None:
            continue
        if name == "coverage":
            value = [
                {"country": area[0], "region": area[1], "postal_prefix": area[2]}
                if isinstance(area, tuple | list) and len(area) == 3
                else area
                for area in value
            ]
        elif name == "annual_revenue" and isinstance(value, Decimal):
            value = str(value)
        given[name] = value
    if not given:
        return {}
    try:
        loaded = ProfileSchema().load(given, partial=True)
    except ProfileInvalid as invalid:
        name, messages = next(iter(invalid.errors.items()))
        error = DomainError(messages[0], field=name if name in PROFILE_DETAILS else None)
        error.errors = {key: list(texts) for key, texts in invalid.errors.items()}
        raise error from None
    if loaded.get("annual_revenue") is not None:
        loaded["annual_revenue"] = Decimal(loaded["annual_revenue"])
    return loaded


def find_product_lines(
    manufacturer: Organisation, given: list[str] | None, enrollment: Enrollment | None
) -> list[ProductLine] | None:
    """The manufacturer's lines by code (or name, ignoring case); None when not given."""
    if given is None:
        return None
    if isinstance(given, str):
        given = [given]
    served = {line.id for line in enrollment.product_lines} if enrollment is not None else set()
    lines = db.session.scalars(
        sa.select(ProductLine).where(ProductLine.manufacturer_id == manufacturer.id).order_by(ProductLine.id)
    ).all()
    usable = [line for line in lines if line.is_active or line.id in served]
    by_code = {line.code: line for line in usable}
    by_folded = {line.code.casefold(): line for line in usable} | {
        line.name.casefold(): line for line in usable
    }
    chosen: list[ProductLine] = []
    for raw in given:
        text = " ".join(str(raw or "").split())
        if not text:
            continue
        line = by_code.get(text) or by_folded.get(text.casefold())
        if line is None:
            known = ", ".join(line.code for line in usable) or "–"
            raise DomainError(
                _(
                    "Unknown product line '%(code)s' (this programme's lines: %(known)s).",
                    code=short(text),
                    known=known,
                ),
                field="product_lines",
            )
        if line not in chosen:
            chosen.append(line)
    return chosen
