"""Schemas shared by the API blueprints: pagination arguments and envelopes."""

from __future__ import annotations

import marshmallow as ma


def non_negative(value) -> None:
    """Range(min=0) for Decimal fields, which apispec would document with a string minimum."""
    if value is not None and value < 0:
        raise ma.ValidationError("Must be greater than or equal to 0.")


def non_negative_decimal(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(
        validate=non_negative, metadata={"minimum": 0, **kwargs.pop("metadata", {})}, **kwargs
    )


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
    from exchange.extensions import db

    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": result.pages,
    }
