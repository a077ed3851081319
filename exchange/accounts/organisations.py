"""Creating manufacturers and partners, enrolling partners in a programme."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import (
    DEFAULT_SLA_POLICIES,
    CoverageArea,
    Enrollment,
    EnrollmentStatus,
    ManufacturerProgram,
    Organisation,
    OrgKind,
    PartnerProfile,
    ProductLine,
    SizeBand,
    SlaPolicy,
    Tier,
)
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "org"


def _unique_slug(name: str, slug: str | None) -> str:
    base = slug or slugify(name)
    candidate, n = base, 1
    while db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == candidate)) is not None:
        if slug:
            raise DomainError(_("The short name %(slug)s is taken.", slug=slug), field="slug", status=409)
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_manufacturer(
    name: str, *, slug: str | None = None, timezone: str = "UTC", currency: str = "EUR"
) -> Organisation:
    """A manufacturer with its programme settings and the default SLA policies."""
    org = Organisation(kind=OrgKind.MANUFACTURER, name=name, slug=_unique_slug(name, slug), timezone=timezone)
    org.program = ManufacturerProgram(currency=currency)
    db.session.add(org)
    db.session.flush()
    for temperature, values in DEFAULT_SLA_POLICIES.items():
        db.session.add(SlaPolicy(manufacturer_id=org.id, temperature=temperature, **values))
    db.session.flush()
    return org


def create_partner(
    name: str,
    *,
    slug: str | None = None,
    timezone: str = "UTC",
    employees: int | None = None,
    capacity: int = 10,
    coverage: list[tuple[str, str | None, str | None]] | None = None,
    **profile: object,
) -> Organisation:
    """A partner with its profile. ``coverage`` is a list of (country, region, postal prefix)."""
    org = Organisation(kind=OrgKind.PARTNER, name=name, slug=_unique_slug(name, slug), timezone=timezone)
    org.profile = PartnerProfile(
        employees=employees,
        size_band=SizeBand.for_employees(employees),
        capacity=capacity,
        timezone=timezone,
        **profile,
    )
    for country, region, prefix in coverage or []:
        org.profile.coverage.append(
            CoverageArea(country=country.upper(), region=region, postal_prefix=prefix)
        )
    db.session.add(org)
    db.session.flush()
    return org


def add_product_line(manufacturer: Organisation, code: str, name: str) -> ProductLine:
    line = ProductLine(manufacturer_id=manufacturer.id, code=code, name=name)
    db.session.add(line)
    db.session.flush()
    return line


def enroll(
    manufacturer: Organisation,
    partner: Organisation,
    *,
    tier: Tier = Tier.REGISTERED,
    product_lines: list[ProductLine] | None = None,
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE,
) -> Enrollment:
    if not manufacturer.is_manufacturer or not partner.is_partner:
        raise DomainError(_("Only partners can enroll with manufacturers."))
    enrollment = Enrollment(
        manufacturer_id=manufacturer.id,
        partner_id=partner.id,
        tier=tier,
        status=status,
        product_lines=list(product_lines or []),
    )
    if status not in (EnrollmentStatus.INVITED, EnrollmentStatus.PENDING, EnrollmentStatus.DECLINED):
        # Enrolled directly, without an invitation (the demo, the shell): accepted from the start.
        enrollment.accepted_at = enrollment.enrolled_at = clock.now()
    db.session.add(enrollment)
    db.session.flush()
    return enrollment
