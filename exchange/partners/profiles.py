"""The partner profile that matching uses, kept by the partner admin.

``update_profile`` is the one way to change it: from the portal form and from the API. It validates
every field (messages name the field and, for coverage, the row), records one
``partner.profile_changed`` event with what changed, and when a field that matching reads changed it
stamps ``PartnerProfile.matching_changed_at`` and enqueues ``partners.rematch``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import (
    CoverageArea,
    Enrollment,
    Organisation,
    PartnerProfile,
    ProductLine,
    Role,
    Segment,
    SizeBand,
    User,
)
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.i18n import is_valid_timezone
from exchange.platform.iso_codes import is_country, is_language
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
# Business time (the SLA clocks) and what the partner speaks: no effect on the ranking.
OTHER_FIELDS = frozenset({"timezone", "working_days", "work_start", "work_end", "holidays", "languages"})
PROFILE_FIELDS = MATCHING_FIELDS | OTHER_FIELDS

MAX_CAPACITY = 1000
MAX_EMPLOYEES = 10_000_000
MAX_REVENUE = Decimal("999999999999.99")  # the column is NUMERIC(14, 2)
MAX_TAGS = 50
MAX_TAG_LENGTH = 80
MAX_COVERAGE_ROWS = 500
MAX_HOLIDAYS = 400
MAX_RADIUS_KM = 20_000  # half the earth's circumference
REGION_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 .\-]*$")
POSTAL_PREFIX_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 \-]*$")


class ProfileInvalid(DomainError):
    """The profile was not saved. ``errors`` maps a field to its messages; ``coverage_rows`` holds
    the positions (1-based, as the caller numbered them) of the coverage rows with a problem."""

    def __init__(self, errors: dict[str, list[str]], coverage_rows: set[int]) -> None:
        count = sum(len(messages) for messages in errors.values())
        super().__init__(_("The profile was not saved: %(n)d problem(s) to fix.", n=count))
        self.errors = errors
        self.coverage_rows = coverage_rows


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

    Raises :class:`ProfileInvalid` listing every problem at once, :class:`NotAllowed` unless
    ``actor`` is an active partner admin of ``partner``, and :class:`Conflict` when
    ``expected_version`` is given and someone else saved the profile since.
    """
    if not partner.is_partner or partner.profile is None:
        raise DomainError(_("Only partners have a profile."))
    if not (actor.is_active and actor.role == Role.PARTNER_ADMIN and actor.organisation_id == partner.id):
        raise NotAllowed(_("Only an admin of this partner may change its profile."))
    unknown = sorted(set(data) - PROFILE_FIELDS)
    if unknown:
        raise ProfileInvalid({name: [_("Unknown field.")] for name in unknown}, set())

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
    validator = _ProfileValidator(enrollments)
    proposed = {name: validator.clean(name, value) for name, value in data.items()}
    merged = current | proposed
    validator.check_together(merged)
    if validator.errors:
        raise ProfileInvalid(validator.errors, validator.coverage_rows)

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

    _apply(profile, enrollments, validator, {name: change["to"] for name, change in changes.items()})
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
    validator: _ProfileValidator,
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
                lines = validator.lines_by_code[enrollment.manufacturer_id]
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


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _ProfileValidator:
    """Cleans one field at a time into the plain values :func:`profile_values` returns, collecting
    every problem (so a form shows them all at once) instead of stopping at the first."""

    def __init__(self, enrollments: dict[int, Enrollment]) -> None:
        self.enrollments = enrollments
        self.errors: dict[str, list[str]] = {}
        self.coverage_rows: set[int] = set()
        self.lines_by_code: dict[int, dict[str, ProductLine]] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def clean(self, name: str, value: Any) -> Any:
        return getattr(self, f"_clean_{name}")(name, value)

    # --- size ------------------------------------------------------------------------------------

    def _clean_employees(self, name: str, value: Any) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_EMPLOYEES:
            self.error(name, _("Employees: a whole number from 0 to %(max)s.", max=f"{MAX_EMPLOYEES:,}"))
            return None
        return value

    def _clean_annual_revenue(self, name: str, value: Any) -> str | None:
        if value is None or value == "":
            return None
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or not 0 <= amount <= MAX_REVENUE:
            self.error(name, _("Annual revenue: an amount from 0 to %(max)s.", max=f"{MAX_REVENUE:,.2f}"))
            return None
        return _money_text(amount)

    # --- specialties -----------------------------------------------------------------------------

    def _clean_tags(self, name: str, value: Any, label: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, list | tuple):
            self.error(name, _("%(label)s: a list of names.", label=label))
            return []
        tags: list[str] = []
        seen: set[str] = set()
        for item in value:
            if not isinstance(item, str):
                self.error(name, _("%(label)s: %(value)s is not a name.", label=label, value=_short(item)))
                continue
            tag = " ".join(item.split())
            if not tag or tag.casefold() in seen:
                continue
            if len(tag) > MAX_TAG_LENGTH:
                self.error(
                    name,
                    _(
                        "%(label)s: '%(value)s' is longer than %(n)d characters.",
                        label=label,
                        value=_short(tag),
                        n=MAX_TAG_LENGTH,
                    ),
                )
                continue
            seen.add(tag.casefold())
            tags.append(tag)
        if len(tags) > MAX_TAGS:
            self.error(name, _("%(label)s: at most %(n)d entries.", label=label, n=MAX_TAGS))
        return tags

    def _clean_industries(self, name: str, value: Any) -> list[str]:
        return self._clean_tags(name, value, _("Industries"))

    def _clean_certifications(self, name: str, value: Any) -> list[str]:
        return self._clean_tags(name, value, _("Certifications"))

    def _clean_segments(self, name: str, value: Any) -> list[str]:
        known = [segment.value for segment in Segment]
        chosen: set[str] = set()
        for item in value or []:
            if item in known:
                chosen.add(item)
            else:
                self.error(
                    name,
                    _(
                        "Customer segments: unknown segment '%(value)s' (use %(known)s).",
                        value=_short(item),
                        known=", ".join(known),
                    ),
                )
        if not chosen and name not in self.errors:
            self.error(name, _("Customer segments: choose at least one."))
        return [segment for segment in known if segment in chosen]

    def _clean_programmes(self, name: str, value: Any) -> dict[str, list[str]]:
        if not isinstance(value, Mapping):
            self.error(name, _("Product lines: a mapping of manufacturer to product line codes."))
            return {}
        cleaned: dict[str, list[str]] = {}
        for key, codes in value.items():
            try:
                manufacturer_id = int(key)
            except (TypeError, ValueError):
                manufacturer_id = None
            enrollment = self.enrollments.get(manufacturer_id) if manufacturer_id is not None else None
            if enrollment is None:
                self.error(
                    name,
                    _("Product lines: you are not enrolled with manufacturer %(id)s.", id=_short(key)),
                )
                continue
            lines = {line.code: line for line in selectable_product_lines(enrollment)}
            self.lines_by_code[enrollment.manufacturer_id] = lines
            chosen: set[str] = set()
            for code in codes or []:
                if code in lines:
                    chosen.add(code)
                else:
                    self.error(
                        name,
                        _(
                            "Product lines for %(maker)s: unknown product line '%(code)s'.",
                            maker=enrollment.manufacturer.name,
                            code=_short(code),
                        ),
                    )
            cleaned[str(enrollment.manufacturer_id)] = sorted(chosen)
        return cleaned

    # --- coverage --------------------------------------------------------------------------------

    def _clean_coverage(self, name: str, value: Any) -> list[dict[str, str | None]]:
        rows: list[dict[str, str | None]] = []
        if value is None:
            return rows
        if len(value) > MAX_COVERAGE_ROWS:
            self.error(name, _("Coverage: at most %(n)d rows.", n=MAX_COVERAGE_ROWS))
            return rows
        seen: dict[tuple, int] = {}
        for index, raw in enumerate(value, start=1):
            position = int(raw.get("position") or index)

            def problem(message: str, position: int = position) -> None:
                self.error(name, _("Coverage row %(n)d: %(problem)s", n=position, problem=message))
                self.coverage_rows.add(position)

            country = (raw.get("country") or "").strip().upper()
            region = (raw.get("region") or "").strip().upper() or None
            prefix = (raw.get("postal_prefix") or "").strip().upper() or None
            ok = True
            if not country:
                problem(_("the country is missing."))
                ok = False
            elif not is_country(country):
                problem(_("unknown country '%(code)s'.", code=_short(country, 10)))
                ok = False
            if region is not None and (len(region) > 64 or not REGION_PATTERN.match(region)):
                problem(
                    _("'%(value)s' is not a region code (letters and digits, e.g. BY).", value=_short(region))
                )
                ok = False
            if prefix is not None and (len(prefix) > 16 or not POSTAL_PREFIX_PATTERN.match(prefix)):
                problem(
                    _(
                        "'%(value)s' is not a postal code prefix (up to 16 letters and digits, e.g. 80).",
                        value=_short(prefix),
                    )
                )
                ok = False
            if ok and region is not None and prefix is not None:
                # One area per row keeps the meaning plain for matching (postal area > region > country).
                problem(_("give a region or a postal code prefix, not both (use two rows)."))
                ok = False
            if not ok:
                continue
            key = (country, region, prefix)
            if key in seen:
                problem(_("repeats row %(n)d.", n=seen[key]))
                continue
            seen[key] = position
            rows.append({"country": country, "region": region, "postal_prefix": prefix})
        return rows

    def _clean_number(self, name: str, value: Any, low: float, high: float, message: str) -> float | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            self.error(name, message)
            return None
        return float(value)

    def _clean_latitude(self, name: str, value: Any) -> float | None:
        return self._clean_number(name, value, -90, 90, _("Latitude: a number from -90 to 90."))

    def _clean_longitude(self, name: str, value: Any) -> float | None:
        return self._clean_number(name, value, -180, 180, _("Longitude: a number from -180 to 180."))

    def _clean_radius_km(self, name: str, value: Any) -> float | None:
        radius = self._clean_number(
            name, value, 0, MAX_RADIUS_KM, _("Radius: kilometres from 1 to %(n)d.", n=MAX_RADIUS_KM)
        )
        if radius is not None and radius <= 0:
            self.error(name, _("Radius: kilometres from 1 to %(n)d.", n=MAX_RADIUS_KM))
            return None
        return radius

    # --- capacity, business time, languages ------------------------------------------------------

    def _clean_capacity(self, name: str, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
            self.error(name, _("Capacity: a whole number from 1 to %(n)d.", n=MAX_CAPACITY))
            return None
        return value

    def _clean_timezone(self, name: str, value: Any) -> str | None:
        zone = (value or "").strip() if isinstance(value, str) else ""
        if not is_valid_timezone(zone):
            self.error(
                name,
                _(
                    "Time zone: unknown time zone '%(value)s' (use an IANA name such as Europe/Berlin).",
                    value=_short(value if value is not None else ""),
                ),
            )
            return None
        return zone

    def _clean_working_days(self, name: str, value: Any) -> list[int]:
        days: set[int] = set()
        for item in value or []:
            if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 7:
                self.error(
                    name, _("Working days: '%(value)s' is not a day (1 = Monday … 7 = Sunday).", value=item)
                )
            else:
                days.add(item)
        if not days and name not in self.errors:
            self.error(name, _("Working days: choose at least one."))
        return sorted(days)

    def _clean_time(self, name: str, value: Any, label: str) -> str | None:
        if isinstance(value, time):
            return value.strftime("%H:%M")
        try:
            return time.fromisoformat(str(value)).strftime("%H:%M")
        except ValueError:
            self.error(
                name, _("%(label)s: '%(value)s' is not a time (HH:MM).", label=label, value=_short(value))
            )
            return None

    def _clean_work_start(self, name: str, value: Any) -> str | None:
        return self._clean_time(name, value, _("Opens at"))

    def _clean_work_end(self, name: str, value: Any) -> str | None:
        return self._clean_time(name, value, _("Closes at"))

    def _clean_holidays(self, name: str, value: Any) -> list[str]:
        days: set[str] = set()
        for item in value or []:
            if isinstance(item, date):
                days.add(item.isoformat())
                continue
            text = str(item).strip()
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    raise ValueError(text)
                days.add(date.fromisoformat(text).isoformat())
            except ValueError:
                self.error(name, _("Holidays: '%(value)s' is not a date (YYYY-MM-DD).", value=_short(text)))
        if len(days) > MAX_HOLIDAYS:
            self.error(name, _("Holidays: at most %(n)d dates.", n=MAX_HOLIDAYS))
        return sorted(days)

    def _clean_languages(self, name: str, value: Any) -> list[str]:
        languages: list[str] = []
        for item in value or []:
            code = str(item).strip().lower().replace("_", "-").split("-")[0]
            if not is_language(code):
                self.error(name, _("Languages: unknown language code '%(code)s'.", code=_short(item, 12)))
            elif code not in languages:
                languages.append(code)
        if not languages and name not in self.errors:
            self.error(name, _("Languages: name at least one (e.g. en)."))
        return languages

    # --- rules across fields ---------------------------------------------------------------------

    def check_together(self, values: dict[str, Any]) -> None:
        start, end = values.get("work_start"), values.get("work_end")
        if start and end and end <= start and not {"work_start", "work_end"} & self.errors.keys():
            self.error(
                "work_end",
                _(
                    "Business hours: closing (%(end)s) must be after opening (%(start)s).",
                    start=start,
                    end=end,
                ),
            )
        point = [values.get(key) for key in ("latitude", "longitude", "radius_km")]
        point_errors = {"latitude", "longitude", "radius_km"} & self.errors.keys()
        if not point_errors and any(v is not None for v in point) and not all(v is not None for v in point):
            self.error(
                "radius_km",
                _("Point coverage: give latitude, longitude and radius together (or none of them)."),
            )
