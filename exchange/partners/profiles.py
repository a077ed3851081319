"""The partner profile that matching uses, kept by the partner admin.

``update_profile`` is the one way to change it: from the portal form and from the API. It validates
what it is given with the profile's one schema (``exchange.partners.profile_schema``: messages name
the field and, for coverage, the row), records one
``partner.profile_changed`` event with what changed, and when a field that matching reads changed it
stamps ``PartnerProfile.matching_changed_at`` and enqueues ``partners.rematch``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, can
from exchange.models import (
    CoverageArea,
    Enrollment,
    Organisation,
    PartnerProfile,
    ProductLine,
    SizeBand,
    User,
)
from exchange.partners.profile_schema import ProfileInvalid as ProfileInvalid  # raised by the schema
from exchange.partners.profile_schema import ProfileSchema
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_MATCHING

# What matching reads: a change to any of these re-matches the partner's open leads.
MATCHING_FIELDS = frozenset(
    {
        "employees",
        "annual_revenue",
        "industries",
        "certifications",
        "segments",
        "coverage",
        "latitude",
        "longitude",
        "radius_km",
        "capacity",
        "programmes",
    }
)
# Business time (the SLA clocks), what the partner speaks and where it is based (its public
# holidays): no effect on the ranking.
OTHER_FIELDS = frozenset(
    {
        "timezone",
        "working_days",
        "work_start",
        "work_end",
        "holidays",
        "languages",
        "country",
        "region",
        "postal_code",
        "website",
        "public_holidays",
    }
)
PROFILE_FIELDS = MATCHING_FIELDS | OTHER_FIELDS


def profile_version(profile: PartnerProfile) -> str:
    """An opaque version for optimistic locking (a form remembers it; a stale one is refused)."""
    return profile.updated_at.isoformat()


def profile_values(partner: Organisation) -> dict[str, Any]:
    """The profile as plain, JSON-ready values, in the shape :func:`update_profile` accepts."""
    profile = _profile(partner)
    return {
        "employees": profile.employees,
        "annual_revenue": _money_text(profile.annual_revenue),
        "industries": list(profile.industries or []),
        "certifications": list(profile.certifications or []),
        "segments": list(profile.segments or []),
        "coverage": [
            {"country": area.country, "region": area.region, "postal_prefix": area.postal_prefix}
            for area in profile.coverage
        ],
        "latitude": profile.latitude,
        "longitude": profile.longitude,
        "radius_km": profile.radius_km,
        "capacity": profile.capacity,
        "timezone": profile.timezone,
        "working_days": list(profile.working_days or []),
        "work_start": profile.work_start.strftime("%H:%M"),
        "work_end": profile.work_end.strftime("%H:%M"),
        "holidays": list(profile.holidays or []),
        "languages": list(profile.languages or []),
        "country": profile.country,
        "region": profile.region,
        "postal_code": profile.postal_code,
        "website": profile.website,
        "public_holidays": bool(profile.public_holidays),
        "programmes": {
            str(enrollment.manufacturer_id): sorted(line.code for line in enrollment.product_lines)
            for enrollment in partner_enrollments(partner)
        },
    }


def partner_enrollments(partner: Organisation) -> list[Enrollment]:
    """The partner's programmes, by manufacturer name."""
    return list(
        db.session.scalars(
            sa.select(Enrollment)
            .join(Organisation, Organisation.id == Enrollment.manufacturer_id)
            .where(Enrollment.partner_id == partner.id)
            .order_by(Organisation.name, Enrollment.id)
        )
    )


def selectable_product_lines(enrollment: Enrollment) -> list[ProductLine]:
    """Lines a partner may pick in a programme: the manufacturer's active ones, and any it serves."""
    served = {line.id for line in enrollment.product_lines}
    return list(
        db.session.scalars(
            sa.select(ProductLine)
            .where(
                ProductLine.manufacturer_id == enrollment.manufacturer_id,
                sa.or_(ProductLine.is_active.is_(True), ProductLine.id.in_(served or [-1])),
            )
            .order_by(ProductLine.name, ProductLine.id)
        )
    )


def update_profile(
    actor: User,
    partner: Organisation,
    data: Mapping[str, Any],
    *,
    expected_version: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Change the fields given in ``data`` (the others keep their values) and return what changed
    (``{field: {"from": old, "to": new}}``, empty when nothing did).

    Raises :class:`ProfileInvalid` listing every problem at once (the schema's), :class:`NotAllowed` unless
    ``actor`` is an active partner admin of ``partner``, and :class:`Conflict` when
    ``expected_version`` is given and someone else saved the profile since.
    """
    if not partner.is_partner or partner.profile is None:
        raise DomainError(_("Only partners have a profile."))
    if not (
        actor.is_active
        and can(actor, Permission.EDIT_PARTNER_PROFILE)
        and actor.organisation_id == partner.id
    ):
        raise NotAllowed(_("Only an admin of this partner may change its profile."))
    # Lock the profile so two admins saving at once are serialised (and the version check holds).
    profile = db.session.scalars(
        sa.select(PartnerProfile)
        .where(PartnerProfile.partner_id == partner.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if expected_version is not None and expected_version != profile_version(profile):
        raise Conflict(
            _(
                "Someone else saved this profile after you opened it. Your changes were not saved: "
                "check the profile below and save again."
            )
        )

    current = profile_values(partner)
    enrollments = {enrollment.manufacturer_id: enrollment for enrollment in partner_enrollments(partner)}
    lines_by_code: dict[int, dict[str, ProductLine]] = {}

    def product_lines(enrollment: Enrollment) -> dict[str, ProductLine]:
        lines = {line.code: line for line in selectable_product_lines(enrollment)}
        lines_by_code[enrollment.manufacturer_id] = lines
        return lines

    schema = ProfileSchema(current=current, enrollments=enrollments, product_lines=product_lines)
    proposed = schema.load(data, partial=True)

    changes: dict[str, dict[str, Any]] = {}
    for name, value in proposed.items():
        before = current[name]
        if name == "programmes":
            value = {key: codes for key, codes in value.items() if codes != before.get(key)}
            if value:
                changes[name] = {"from": {key: before[key] for key in value}, "to": value}
        elif value != before:
            changes[name] = {"from": before, "to": value}
    if not changes:
        return {}

    _apply(profile, enrollments, lines_by_code, {name: change["to"] for name, change in changes.items()})
    if "employees" in changes:
        band = SizeBand.for_employees(profile.employees)
        old_band = profile.size_band
        if band != old_band:
            profile.size_band = band
            changes["size_band"] = {"from": _enum_value(old_band), "to": _enum_value(band)}
    now = clock.now()
    profile.updated_at = now
    matching_changed = bool(MATCHING_FIELDS & changes.keys())
    if matching_changed:
        profile.matching_changed_at = now
    record(
        AuditEvent.PARTNER_PROFILE_CHANGED,
        actor=actor,
        partner_id=partner.id,
        data={"changes": changes, "matching": matching_changed},
    )
    db.session.flush()
    if matching_changed:
        enqueue("partners.rematch", partner.id, queue=QUEUE_MATCHING)
    return changes


def _profile(partner: Organisation) -> PartnerProfile:
    if partner.profile is None:
        raise DomainError(_("Only partners have a profile."))
    return partner.profile


def _apply(
    profile: PartnerProfile,
    enrollments: dict[int, Enrollment],
    lines_by_code: dict[int, dict[str, ProductLine]],
    values: dict[str, Any],
) -> None:
    for name, value in values.items():
        if name == "coverage":
            profile.coverage = [
                CoverageArea(country=row["country"], region=row["region"], postal_prefix=row["postal_prefix"])
                for row in value
            ]
        elif name == "programmes":
            for key, codes in value.items():
                enrollment = enrollments[int(key)]
                lines = lines_by_code[enrollment.manufacturer_id]
                enrollment.product_lines = [lines[code] for code in codes]
        elif name == "annual_revenue":
            profile.annual_revenue = None if value is None else Decimal(value)
        elif name in ("work_start", "work_end"):
            setattr(profile, name, time.fromisoformat(value))
        else:
            setattr(profile, name, value)


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def _enum_value(value: Any) -> Any:
    return None if value is None else value.value
