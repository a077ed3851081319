"""The partner profile's field types, each with its rule and its messages (used by
:class:`exchange.partners.profile_schema.ProfileSchema`). A field cleans a value into the plain value
``profile_values`` returns, or refuses it with messages that name the field: every problem of a list
at once, and ``null`` (where it is not allowed) in the field's own words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.models import Segment
from exchange.platform.i18n import is_valid_timezone
from exchange.platform.iso_codes import is_language
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


def short(value: Any, limit: int = 40) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Rule:
    """A field that words every refusal itself: ``null`` (where null is not allowed) reads as the
    field's own message instead of marshmallow's."""

    def null_message(self) -> str:
        raise NotImplementedError

    def _validate_missing(self, value: Any) -> None:
        if value is None and not self.allow_none:
            raise ma.ValidationError(self.null_message())
        super()._validate_missing(value)


class WholeNumber(Rule, ma.fields.Integer):
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


class Bounded(Rule, ma.fields.Float):
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


class Revenue(Rule, Money):
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


class _Texts(Rule, ma.fields.List):
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
                problems.append(_("%(label)s: %(value)s is not a name.", label=self.label, value=short(item)))
                continue
            tag = " ".join(item.split())
            if not tag or tag.casefold() in seen:
                continue
            if len(tag) > MAX_TAG_LENGTH:
                problems.append(
                    _(
                        "%(label)s: '%(value)s' is longer than %(n)d characters.",
                        label=self.label,
                        value=short(tag),
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
                        value=short(item),
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
            day = whole_number(item)
            if day is None or not 1 <= day <= 7:
                problems.append(
                    _("Working days: '%(value)s' is not a day (1 = Monday … 7 = Sunday).", value=short(item))
                )
            else:
                days.add(day)
        if not days and not problems:
            problems.append(_("Working days: choose at least one."))
        return sorted(days)


_INTEGER = ma.fields.Integer()


def whole_number(value: Any) -> int | None:
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
                problems.append(_("Holidays: '%(value)s' is not a date (YYYY-MM-DD).", value=short(text)))
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
                problems.append(_("Languages: unknown language code '%(code)s'.", code=short(item, 12)))
            elif code not in languages:
                languages.append(code)
        if not languages and not problems:
            problems.append(_("Languages: name at least one (e.g. en)."))
        return languages


class TimeZone(Rule, ma.fields.String):
    def null_message(self) -> str:
        return self._message(None)

    @staticmethod
    def _message(value: Any) -> str:
        return _(
            "Time zone: unknown time zone '%(value)s' (use an IANA name such as Europe/Berlin).",
            value=short(value if value is not None else ""),
        )

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        zone = value.strip() if isinstance(value, str) else ""
        if not is_valid_timezone(zone):
            raise ma.ValidationError(self._message(value))
        return zone


class ClockTime(Rule, ma.fields.String):
    """A time of day, written HH:MM."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label

    def null_message(self) -> str:
        return self._message("")

    def _message(self, value: Any) -> str:
        return _("%(label)s: '%(value)s' is not a time (HH:MM).", label=self.label, value=short(value))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, time):
            return value.strftime("%H:%M")
        if not isinstance(value, str):
            raise ma.ValidationError(self._message(value))
        try:
            return time.fromisoformat(value.strip()).strftime("%H:%M")
        except ValueError:
            raise ma.ValidationError(self._message(value)) from None
