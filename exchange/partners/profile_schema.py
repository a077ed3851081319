"""The rules of the partner profile, once: :class:`ProfileSchema`.

The portal form, the API and :func:`exchange.partners.profiles.update_profile` load what they are
given with it, so a value is accepted or refused - and with which message - the same way
everywhere. Loading cleans each field into the plain values ``profile_values`` returns; every message
names its field (and, for coverage, the row), and every problem is reported at once: a load that
fails raises :class:`ProfileInvalid`. The field types (a rule and its messages each) are in
``exchange.partners.profile_fields``; coverage and the product lines, which report by row and by
programme, are here.

Two rules need more than the input. The product lines a partner may pick depend on its programmes
(``enrollments`` and ``product_lines``), and the rules across fields (business hours, a point with a
radius) on the saved values the input changes (``current``). ``update_profile`` passes them; a load
without ``current`` (the API reading a body) leaves the rules across fields to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.models import Enrollment, ProductLine
from exchange.partners.location_fields import Country, Flag, PostalCode, Region, Website
from exchange.partners.profile_fields import (
    MAX_CAPACITY,
    MAX_COVERAGE_ROWS,
    MAX_EMPLOYEES,
    MAX_RADIUS_KM,
    POSTAL_PREFIX_PATTERN,
    REGION_PATTERN,
    Bounded,
    ClockTime,
    Holidays,
    Languages,
    Revenue,
    Rule,
    Segments,
    Tags,
    TimeZone,
    WholeNumber,
    WorkingDays,
    short,
    whole_number,
)
from exchange.platform.errors import DomainError
from exchange.platform.iso_codes import is_country

COVERAGE_KEYS = frozenset({"country", "region", "postal_prefix", "position"})


class ProfileInvalid(DomainError):
    """The profile was not saved. ``errors`` maps a field to its messages; ``coverage_rows`` holds
    the positions (1-based, as the caller numbered them) of the coverage rows with a problem."""

    def __init__(self, errors: dict[str, list[str]], coverage_rows: set[int]) -> None:
        count = sum(len(messages) for messages in errors.values())
        super().__init__(_("The profile was not saved: %(n)d problem(s) to fix.", n=count))
        self.errors = errors
        self.coverage_rows = coverage_rows


def _flat(messages: Any, path: str = "") -> list[str]:
    """Nested marshmallow messages (``{0: {"product_lines": [...]}}``) as one list of texts."""
    if isinstance(messages, Mapping):
        return [text for key, inner in messages.items() for text in _flat(inner, f"{path}[{key}]")]
    if isinstance(messages, list | tuple):
        return [text for inner in messages for text in _flat(inner, path)]
    return [f"{path.lstrip('[').replace('][', '.').rstrip(']')}: {messages}" if path else str(messages)]


def profile_invalid(messages: Mapping[str, Any]) -> ProfileInvalid:
    """The refusal for a failed load: coverage problems arrive keyed by row, the rest as lists."""
    errors: dict[str, list[str]] = {}
    rows: set[int] = set()
    for name, inner in messages.items():
        if name == "coverage" and isinstance(inner, Mapping):
            rows.update(key for key in inner if isinstance(key, int))
            errors[name] = [text for texts in inner.values() for text in _flat(texts)]
        else:
            errors[name] = _flat(inner)
    return ProfileInvalid(errors, rows)


class CoverageAreaSchema(ma.Schema):
    """One row of coverage (documents the shape; :class:`Coverage` reads it)."""

    country = ma.fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2, e.g. DE"})
    region = ma.fields.String(allow_none=True, load_default=None, metadata={"description": "e.g. BY"})
    postal_prefix = ma.fields.String(allow_none=True, load_default=None, metadata={"description": "e.g. 80"})
    position = ma.fields.Integer(
        load_only=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "the row's number in messages (default: its place in the list)"},
    )


class Coverage(Rule, ma.fields.List):
    """Areas, one per row: a country, or a region or a postal code prefix within it. Problems are
    keyed by row (``position`` when the caller numbers its rows, else the place in the list)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(ma.fields.Nested(CoverageAreaSchema), **kwargs)

    def null_message(self) -> str:
        return _("Coverage: a list of areas (country, region, postal_prefix).")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[dict]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ma.ValidationError(self.null_message())
        if len(value) > MAX_COVERAGE_ROWS:
            raise ma.ValidationError(_("Coverage: at most %(n)d rows.", n=MAX_COVERAGE_ROWS))
        problems: dict[int, list[str]] = {}
        rows: list[dict[str, str | None]] = []
        seen: dict[tuple, int] = {}
        for index, raw in enumerate(value, start=1):
            position = index
            given = whole_number(raw.get("position")) if isinstance(raw, Mapping) else None
            if given is not None and given >= 1:
                position = given

            def problem(message: str, position: int = position) -> None:
                text = _("Coverage row %(n)d: %(problem)s", n=position, problem=message)
                problems.setdefault(position, []).append(text)

            area = self._area(raw, problem)
            if area is None:
                continue
            key = (area["country"], area["region"], area["postal_prefix"])
            if key in seen:
                problem(_("repeats row %(n)d.", n=seen[key]))
                continue
            seen[key] = position
            rows.append(area)
        if problems:
            raise ma.ValidationError(problems)
        return rows

    @staticmethod
    def _area(raw: Any, problem: Callable[[str], None]) -> dict[str, str | None] | None:
        if not isinstance(raw, Mapping):
            problem(_("not an area (country, region, postal_prefix)."))
            return None
        unknown = sorted(str(key) for key in raw if key not in COVERAGE_KEYS)
        if unknown:
            problem(_("unknown field '%(name)s'.", name=short(unknown[0], 20)))
            return None
        if "position" in raw and (whole_number(raw["position"]) or 0) < 1:
            problem(_("the position is not a whole number from 1."))
            return None
        texts = {}
        for name in ("country", "region", "postal_prefix"):
            item = raw.get(name)
            if item is not None and not isinstance(item, str):
                problem(_("%(name)s is not text.", name=name))
                return None
            texts[name] = (item or "").strip().upper() or None
        country, region, prefix = texts["country"], texts["region"], texts["postal_prefix"]
        ok = True
        if not country:
            problem(_("the country is missing."))
            ok = False
        elif not is_country(country):
            problem(_("unknown country '%(code)s'.", code=short(country, 10)))
            ok = False
        if region is not None and (len(region) > 64 or not REGION_PATTERN.match(region)):
            problem(_("'%(value)s' is not a region code (letters and digits, e.g. BY).", value=short(region)))
            ok = False
        if prefix is not None and (len(prefix) > 16 or not POSTAL_PREFIX_PATTERN.match(prefix)):
            problem(
                _(
                    "'%(value)s' is not a postal code prefix (up to 16 letters and digits, e.g. 80).",
                    value=short(prefix),
                )
            )
            ok = False
        if ok and region is not None and prefix is not None:
            # One area per row keeps the meaning plain for matching (postal area > region > country).
            problem(_("give a region or a postal code prefix, not both (use two rows)."))
            ok = False
        return {"country": country, "region": region, "postal_prefix": prefix} if ok else None


class ProductLines(Rule, ma.fields.Dict):
    """``{manufacturer id: [product line codes]}`` for the partner's programmes: only lines it may
    pick (the schema's ``enrollments`` and ``product_lines``); programmes left out keep theirs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()), **kwargs)

    def null_message(self) -> str:
        return _("Product lines: a mapping of manufacturer to product line codes.")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, list[str]]:
        if not isinstance(value, Mapping):
            raise ma.ValidationError(self.null_message())
        schema = self.parent
        enrollments: Mapping[int, Enrollment] = getattr(schema, "enrollments", None) or {}
        problems: list[str] = []
        cleaned: dict[str, list[str]] = {}
        for key, codes in value.items():
            manufacturer_id = whole_number(key)
            enrollment = enrollments.get(manufacturer_id) if manufacturer_id is not None else None
            if enrollment is None:
                problems.append(
                    _("Product lines: you are not enrolled with manufacturer %(id)s.", id=short(key))
                )
                continue
            if isinstance(codes, str) or not isinstance(codes, list | tuple):
                problems.append(self.null_message())
                continue
            lines = schema.product_lines(enrollment)
            chosen: set[str] = set()
            for code in codes:
                if isinstance(code, str) and code in lines:
                    chosen.add(code)
                else:
                    problems.append(
                        _(
                            "Product lines for %(maker)s: unknown product line '%(code)s'.",
                            maker=enrollment.manufacturer.name,
                            code=short(code),
                        )
                    )
            cleaned[str(enrollment.manufacturer_id)] = sorted(chosen)
        if problems:
            raise ma.ValidationError(problems)
        return cleaned


def _tags(label: Any, description: str) -> Tags:
    return Tags(label, required=True, metadata={"description": description})


class ProfileSchema(ma.Schema):
    """The writable profile, every field required (a full document); load with ``partial=True`` to
    change some fields. Refuses with :class:`ProfileInvalid`."""

    employees = WholeNumber(
        0,
        MAX_EMPLOYEES,
        lambda: _("Employees: a whole number from 0 to %(max)s.", max=f"{MAX_EMPLOYEES:,}"),
        required=True,
        allow_none=True,
    )
    annual_revenue = Revenue(required=True, allow_none=True)
    industries = _tags(_l("Industries"), "industries served")
    certifications = _tags(_l("Certifications"), "certifications held")
    segments = Segments(required=True, metadata={"description": Segments.known()})
    coverage = Coverage(required=True)
    latitude = Bounded(
        -90, 90, lambda: _("Latitude: a number from -90 to 90."), required=True, allow_none=True
    )
    longitude = Bounded(
        -180, 180, lambda: _("Longitude: a number from -180 to 180."), required=True, allow_none=True
    )
    radius_km = Bounded(
        0,
        MAX_RADIUS_KM,
        lambda: _("Radius: kilometres from 1 to %(n)d.", n=MAX_RADIUS_KM),
        low_open=True,
        required=True,
        allow_none=True,
    )
    capacity = WholeNumber(
        1,
        MAX_CAPACITY,
        lambda: _("Capacity: a whole number from 1 to %(n)d.", n=MAX_CAPACITY),
        required=True,
        metadata={"description": "leads in progress at once, 1-1000"},
    )
    timezone = TimeZone(required=True, metadata={"description": "IANA zone, e.g. Europe/Berlin"})
    working_days = WorkingDays(required=True, metadata={"description": "ISO weekdays, 1 = Monday"})
    work_start = ClockTime(_l("Opens at"), required=True, metadata={"description": "HH:MM"})
    work_end = ClockTime(_l("Closes at"), required=True, metadata={"description": "HH:MM"})
    holidays = Holidays(required=True, metadata={"description": "YYYY-MM-DD"})
    languages = Languages(required=True, metadata={"description": "ISO 639-1"})
    country = Country(
        required=True, metadata={"description": "where the partner is based, ISO 3166-1 alpha-2"}
    )
    region = Region(
        required=True, metadata={"description": "state or region code, e.g. BY (public holidays)"}
    )
    postal_code = PostalCode(required=True)
    website = Website(required=True, metadata={"description": "https://…"})
    public_holidays = Flag(
        _l("Public holidays"),
        required=True,
        metadata={"description": "the public holidays of country and region are days off for SLA deadlines"},
    )
    programmes = ProductLines(metadata={"description": "programmes left out keep their product lines"})

    def __init__(
        self,
        *args: Any,
        current: Mapping[str, Any] | None = None,
        enrollments: Mapping[int, Enrollment] | None = None,
        product_lines: Callable[[Enrollment], Mapping[str, ProductLine]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        self.enrollments = enrollments
        self.product_lines = product_lines or (lambda enrollment: {})

    @ma.validates_schema(skip_on_field_errors=False, pass_original=True)
    def _together(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        """Business hours in order; a point with its radius, or none of them. Against the saved
        values the input changes, and not for a field that is already refused."""
        if self.current is None or not isinstance(original, Mapping):
            return
        refused = {name for name in original if name not in data}
        values = {**self.current, **data}
        errors: dict[str, list[str]] = {}
        start, end = values.get("work_start"), values.get("work_end")
        if start and end and end <= start and not {"work_start", "work_end"} & refused:
            errors["work_end"] = [
                _(
                    "Business hours: closing (%(end)s) must be after opening (%(start)s).",
                    start=start,
                    end=end,
                )
            ]
        point_fields = ("latitude", "longitude", "radius_km")
        point = [values.get(name) for name in point_fields]
        if not set(point_fields) & refused and any(v is not None for v in point) and None in point:
            errors["radius_km"] = [
                _("Point coverage: give latitude, longitude and radius together (or none of them).")
            ]
        if errors:
            raise ma.ValidationError(errors)

    def handle_error(self, error: ma.ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        raise profile_invalid(
            error.messages if isinstance(error.messages, Mapping) else {"_schema": error.messages}
        )
