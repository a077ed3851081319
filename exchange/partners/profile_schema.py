"""The rules of the partner profile, once: :class:`ProfileSchema`.

The portal form, the API and :func:`exchange.partners.profiles.update_profile` load what they are
given with it, so a value is accepted or refused - and with which message - the same way
everywhere. Loading cleans each field into the plain values ``profile_values`` returns; every message
names its field (and, for coverage, the row), and every problem is reported at once: a load that
fails raises :class:`ProfileInvalid`.

Two rules need more than the input. The product lines a partner may pick depend on its programmes
(``enrollments`` and ``product_lines``), and the rules across fields (business hours, a point with a
radius) on the saved values the input changes (``current``). ``update_profile`` passes them; a load
without ``current`` (the API reading a body) leaves the rules across fields to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, time
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.models import Enrollment, ProductLine, Segment
from exchange.platform.errors import DomainError
from exchange.platform.i18n import is_valid_timezone
from exchange.platform.iso_codes import is_country, is_language
from exchange.platform.schemas import MONEY_MAX, Money

MAX_CAPACITY = 1000
MAX_EMPLOYEES = 10_000_000
MAX_REVENUE = MONEY_MAX  # the column is NUMERIC(14, 2)
MAX_TAGS = 50
MAX_TAG_LENGTH = 80
MAX_COVERAGE_ROWS = 500
MAX_HOLIDAYS = 400
MAX_RADIUS_KM = 20_000  # half the earth's circumference
REGION_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 .\-]*$")
POSTAL_PREFIX_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 \-]*$")
COVERAGE_KEYS = frozenset({"country", "region", "postal_prefix", "position"})


class ProfileInvalid(DomainError):
    """The profile was not saved. ``errors`` maps a field to its messages; ``coverage_rows`` holds
    the positions (1-based, as the caller numbered them) of the coverage rows with a problem."""

    def __init__(self, errors: dict[str, list[str]], coverage_rows: set[int]) -> None:
        count = sum(len(messages) for messages in errors.values())
        super().__init__(_("The profile was not saved: %(n)d problem(s) to fix.", n=count))
        self.errors = errors
        self.coverage_rows = coverage_rows


def _short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


class _Rule:
    """A field that words every refusal itself: ``null`` (where null is not allowed) reads as the
    field's own message instead of marshmallow's."""

    def null_message(self) -> str:
        raise NotImplementedError

    def _validate_missing(self, value: Any) -> None:
        if value is None and not self.allow_none:
            raise ma.ValidationError(self.null_message())
        super()._validate_missing(value)


class WholeNumber(_Rule, ma.fields.Integer):
    """A whole number from ``low`` to ``high``: a JSON number or digits as text, not true/false."""

    def __init__(self, low: int, high: int, message: Callable[[], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.low, self.high, self.message = low, high, message

    def null_message(self) -> str:
        return self.message()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            number = super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            number = None
        if number is None or not self.low <= number <= self.high:
            raise ma.ValidationError(self.message())
        return number


class Bounded(_Rule, ma.fields.Float):
    """A finite number from ``low`` (or above it, ``low_open``) to ``high``."""

    def __init__(
        self, low: float, high: float, message: Callable[[], str], *, low_open: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.low, self.high, self.message, self.low_open = low, high, message, low_open

    def null_message(self) -> str:
        return self.message()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        try:
            number = super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            number = None
        if number is None or not self.low <= number <= self.high or (self.low_open and number <= self.low):
            raise ma.ValidationError(self.message())
        return number


class Revenue(_Rule, Money):
    """An amount the money column holds (:class:`Money`), kept as text with two decimals."""

    def null_message(self) -> str:
        return self._message()

    @staticmethod
    def _message() -> str:
        return _(
            "Annual revenue: an amount from 0 to %(max)s, in digits with up to two decimals (e.g. 1200.50).",
            max=f"{MAX_REVENUE:,.2f}",
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            amount = super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            raise ma.ValidationError(self._message()) from None
        return str(amount)


class _Texts(_Rule, ma.fields.List):
    """A list of texts; ``_clean`` collects every problem before refusing."""

    def __init__(
        self, label: Any, not_a_list: Callable[[], str], inner: ma.fields.Field | None = None, **kwargs: Any
    ) -> None:
        super().__init__(inner or ma.fields.String(), **kwargs)
        self.label, self.not_a_list = label, not_a_list

    def null_message(self) -> str:
        return self.not_a_list()

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ma.ValidationError(self.not_a_list())
        problems: list[str] = []
        cleaned = self._clean(value, problems)
        if problems:
            raise ma.ValidationError(problems)
        return cleaned

    def _clean(self, items: list | tuple, problems: list[str]) -> list:
        raise NotImplementedError


class Tags(_Texts):
    """Names (industries, certifications): spaces collapsed, repeats (any case) dropped."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(label, lambda: _("%(label)s: a list of names.", label=label), **kwargs)

    def _clean(self, items: list | tuple, problems: list[str]) -> list[str]:
        tags: list[str] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, str):
                problems.append(
                    _("%(label)s: %(value)s is not a name.", label=self.label, value=_short(item))
                )
                continue
            tag = " ".join(item.split())
            if not tag or tag.casefold() in seen:
                continue
            if len(tag) > MAX_TAG_LENGTH:
                problems.append(
                    _(
                        "%(label)s: '%(value)s' is longer than %(n)d characters.",
                        label=self.label,
                        value=_short(tag),
                        n=MAX_TAG_LENGTH,
                    )
                )
                continue
            seen.add(tag.casefold())
            tags.append(tag)
        if len(tags) > MAX_TAGS:
            problems.append(_("%(label)s: at most %(n)d entries.", label=self.label, n=MAX_TAGS))
        return tags


class Segments(_Texts):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            _l("Customer segments"),
            lambda: _("Customer segments: a list of segments (use %(known)s).", known=self.known()),
            **kwargs,
        )

    @staticmethod
    def known() -> str:
        return ", ".join(segment.value for segment in Segment)

    def _clean(self, items: list | tuple, problems: list[str]) -> list[str]:
        known = [segment.value for segment in Segment]
        chosen = {item for item in items if isinstance(item, str) and item in known}
        for item in items:
            if not (isinstance(item, str) and item in known):
                problems.append(
                    _(
                        "Customer segments: unknown segment '%(value)s' (use %(known)s).",
                        value=_short(item),
                        known=self.known(),
                    )
                )
        if not chosen and not problems:
            problems.append(_("Customer segments: choose at least one."))
        return [segment for segment in known if segment in chosen]


class WorkingDays(_Texts):
    """ISO weekdays (1 = Monday), as numbers or digits; sorted, each once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            _l("Working days"),
            lambda: _("Working days: a list of days (1 = Monday … 7 = Sunday)."),
            ma.fields.Integer(),
            **kwargs,
        )

    def _clean(self, items: list | tuple, problems: list[str]) -> list[int]:
        days: set[int] = set()
        for item in items:
            day = _whole(item)
            if day is None or not 1 <= day <= 7:
                problems.append(
                    _("Working days: '%(value)s' is not a day (1 = Monday … 7 = Sunday).", value=_short(item))
                )
            else:
                days.add(day)
        if not days and not problems:
            problems.append(_("Working days: choose at least one."))
        return sorted(days)


_INTEGER = ma.fields.Integer()


def _whole(value: Any) -> int | None:
    """A whole number as the API reads one (a JSON number or digits as text), else None."""
    try:
        return _INTEGER.deserialize(value)
    except ma.ValidationError:
        return None


class Holidays(_Texts):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(_l("Holidays"), lambda: _("Holidays: a list of dates (YYYY-MM-DD)."), **kwargs)

    def _clean(self, items: list | tuple, problems: list[str]) -> list[str]:
        days: set[str] = set()
        for item in items:
            if isinstance(item, date):
                days.add(item.isoformat())
                continue
            text = item.strip() if isinstance(item, str) else str(item)
            try:
                if not isinstance(item, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                    raise ValueError(text)
                days.add(date.fromisoformat(text).isoformat())
            except ValueError:
                problems.append(_("Holidays: '%(value)s' is not a date (YYYY-MM-DD).", value=_short(text)))
        if len(days) > MAX_HOLIDAYS:
            problems.append(_("Holidays: at most %(n)d dates.", n=MAX_HOLIDAYS))
        return sorted(days)


class Languages(_Texts):
    """ISO 639-1 codes; a regional tag (en-GB) counts as its language."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            _l("Languages"), lambda: _("Languages: a list of language codes (e.g. en)."), **kwargs
        )

    def _clean(self, items: list | tuple, problems: list[str]) -> list[str]:
        languages: list[str] = []
        for item in items:
            code = item.strip().lower().replace("_", "-").split("-")[0] if isinstance(item, str) else ""
            if not is_language(code):
                problems.append(_("Languages: unknown language code '%(code)s'.", code=_short(item, 12)))
            elif code not in languages:
                languages.append(code)
        if not languages and not problems:
            problems.append(_("Languages: name at least one (e.g. en)."))
        return languages


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


class Coverage(_Rule, ma.fields.List):
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
            given = _whole(raw.get("position")) if isinstance(raw, Mapping) else None
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
            problem(_("unknown field '%(name)s'.", name=_short(unknown[0], 20)))
            return None
        if "position" in raw and (_whole(raw["position"]) or 0) < 1:
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
        return {"country": country, "region": region, "postal_prefix": prefix} if ok else None


class TimeZone(_Rule, ma.fields.String):
    def null_message(self) -> str:
        return self._message(None)

    @staticmethod
    def _message(value: Any) -> str:
        return _(
            "Time zone: unknown time zone '%(value)s' (use an IANA name such as Europe/Berlin).",
            value=_short(value if value is not None else ""),
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        zone = value.strip() if isinstance(value, str) else ""
        if not is_valid_timezone(zone):
            raise ma.ValidationError(self._message(value))
        return zone


class ClockTime(_Rule, ma.fields.String):
    """A time of day, written HH:MM."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label

    def null_message(self) -> str:
        return self._message("")

    def _message(self, value: Any) -> str:
        return _("%(label)s: '%(value)s' is not a time (HH:MM).", label=self.label, value=_short(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, time):
            return value.strftime("%H:%M")
        if not isinstance(value, str):
            raise ma.ValidationError(self._message(value))
        try:
            return time.fromisoformat(value.strip()).strftime("%H:%M")
        except ValueError:
            raise ma.ValidationError(self._message(value)) from None


class ProductLines(_Rule, ma.fields.Dict):
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
            manufacturer_id = _whole(key)
            enrollment = enrollments.get(manufacturer_id) if manufacturer_id is not None else None
            if enrollment is None:
                problems.append(
                    _("Product lines: you are not enrolled with manufacturer %(id)s.", id=_short(key))
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
                            code=_short(code),
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
