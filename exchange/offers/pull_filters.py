"""The pull list's filters and sort, once: the page (``/portal/``) and the API
(``GET /api/v1/partner/offers``) read them with :class:`PullFilterSchema`, so a value one of them
refuses the other refuses too, with the same message. The API answers a refusal with 422; the page
(:func:`read_pull_filters`) leaves that filter off and says why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _

from exchange.models import Temperature
from exchange.offers.pull_list import PULL_SORTS, PullFilters
from exchange.platform.schemas import Money

MAX_ID = 2**31 - 1  # database ids


class _Worded:
    """A filter that words its refusal itself (``message``, given the value as typed), on the page
    and in the API alike. Its validators stay declared: they are what the document states."""

    def __init__(self, *args: Any, message: Callable[[str], str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.message = message

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            raise ma.ValidationError(self.message(str(value)[:40])) from None

    def _validate(self, value: Any) -> None:
        try:
            super()._validate(value)
        except ma.ValidationError:
            raise ma.ValidationError(self.message(str(value)[:40])) from None


class Id(_Worded, ma.fields.Integer):
    pass


class Choice(_Worded, ma.fields.String):
    pass


class TemperatureChoice(_Worded, ma.fields.Enum):
    pass


class Code(_Worded, ma.fields.String):
    pass


class Amount(_Worded, Money):
    """A non-negative amount (:class:`Money`): a negative one is refused, as any other non-amount."""


class PullFilterSchema(ma.Schema):
    """Which offers of the pull list, in which order. Loads to keyword arguments of
    :class:`PullFilters` plus ``sort``."""

    manufacturer = Id(
        load_default=None,
        validate=ma.validate.Range(min=1),
        message=lambda value: _("Unknown manufacturer."),
    )
    sort = Choice(
        load_default="score",
        validate=ma.validate.OneOf(PULL_SORTS),
        message=lambda value: _("Unknown sort order: %(v)s", v=value),
    )
    temperature = TemperatureChoice(
        Temperature,
        by_value=True,
        load_default=None,
        message=lambda value: _("Unknown temperature: %(v)s", v=value),
    )
    product_line = Id(
        load_default=None,
        validate=ma.validate.Range(min=1, max=MAX_ID),
        message=lambda value: _("Unknown product line."),
    )
    country = Code(
        load_default=None,
        validate=ma.validate.Length(equal=2),
        message=lambda value: _("Country: a two-letter code such as DE, not %(v)s.", v=value),
    )
    region = Code(
        load_default=None,
        validate=ma.validate.Length(max=64),
        message=lambda value: _("Region: at most 64 characters."),
    )
    min_value = Amount(
        query=True,
        load_default=None,
        message=lambda value: _(
            "Deal size from: an amount from 0 in digits, e.g. 1200.50 (not %(v)s).", v=value
        ),
    )
    max_value = Amount(
        query=True,
        load_default=None,
        message=lambda value: _(
            "Deal size to: an amount from 0 in digits, e.g. 1200.50 (not %(v)s).", v=value
        ),
    )


FILTER_NAMES = tuple(PullFilterSchema._declared_fields)


def pull_filters(args: Mapping[str, Any]) -> PullFilters:
    """The filters of loaded arguments (the API's or the page's)."""
    return PullFilters(
        manufacturer_id=args["manufacturer"],
        temperature=args["temperature"],
        product_line_id=args["product_line"],
        country=args["country"],
        region=args["region"],
        min_value=args["min_value"],
        max_value=args["max_value"],
    )


def read_pull_filters(args: Mapping[str, str]) -> tuple[PullFilters, str, dict[str, str]]:
    """The page's query string: ``(filters, sort, problems)``. An empty box filters nothing; a value
    the schema refuses is left off, its message in ``problems`` (the list shows without that filter)."""
    given = {name: args[name].strip() for name in FILTER_NAMES if (args.get(name) or "").strip()}
    if "country" in given:
        given["country"] = given["country"].upper()  # shown back in the box as the code it is
    schema = PullFilterSchema()
    problems: dict[str, str] = {}
    try:
        loaded = schema.load(given)
    except ma.ValidationError as error:
        problems = {name: " ".join(messages) for name, messages in error.messages.items()}
        loaded = schema.load({name: value for name, value in given.items() if name not in problems})
    return pull_filters(loaded), loaded["sort"], problems
