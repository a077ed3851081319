"""Schemas shared by the API blueprints: pagination arguments and envelopes."""

from __future__ import annotations

import decimal
import re
from typing import Any

import marshmallow as ma

from exchange.platform.extensions import db

# Every amount is stored as Numeric(14, 2): twelve digits before the point, two after.
MONEY_MAX = decimal.Decimal("999999999999.99")
MONEY_TEXT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


class Money(ma.fields.Decimal):
    """A non-negative amount the money columns can hold (0 to ``MONEY_MAX``, in cents), read from text
    such as ``"1200.50"`` or (in a JSON body) a number, written as text. The document says exactly
    that (a pattern for the text, a range for the number), so ``""`` or ``1e40`` is refused on every
    database with 422, not stored on SQLite and refused on PostgreSQL. ``query=True`` for query
    arguments, which are always text."""

    def __init__(self, *, query: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("as_string", True)
        text = {"type": "string", "pattern": MONEY_TEXT}
        number = {"type": "number", "minimum": 0, "maximum": float(MONEY_MAX)}
        doc = text if query else {"anyOf": [text, number]}
        super().__init__(metadata={"format": "decimal", **doc, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> decimal.Decimal:
        if isinstance(value, str):
            if not re.fullmatch(MONEY_TEXT, value):
                raise ma.ValidationError("Write the amount in digits with up to two decimals, e.g. 1200.50.")
            number = decimal.Decimal(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            number = decimal.Decimal(str(value))
        else:
            raise self.make_error("invalid")
        if not number.is_finite() or number < 0:
            raise ma.ValidationError("Must be a number from 0.")
        if number > MONEY_MAX:
            raise ma.ValidationError(f"Must be at most {MONEY_MAX}.")
        return number.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def non_negative_decimal(**kwargs: Any) -> Money:
    """An amount argument (see :class:`Money`)."""
    return Money(**kwargs)


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100_000))
    per_page = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=100))


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """An envelope ``{items, page, per_page, total, pages}`` around ``item_schema``."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
            "total": ma.fields.Integer(),
            "pages": ma.fields.Integer(),
        },
    )


def paginate(query, page: int, per_page: int) -> dict:
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
    }
