"""Schemas shared by the API blueprints: pagination arguments and envelopes."""

from __future__ import annotations

import marshmallow as ma


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
