"""Template helpers that speak of features, so the platform's labels need not know them: a lead
field's name and an offer's one-line "why"."""

from __future__ import annotations

from flask import Flask

from exchange.leads.intake.headers import FIELDS_BY_NAME
from exchange.offers.explain import why
from exchange.platform.labels import LEAD_FIELD_EXTRAS


def field_label(name: str) -> str:
    """A lead field's name in words (``product_line_id`` -> "Product line")."""
    spec = FIELDS_BY_NAME.get(name)
    return str(spec.label if spec is not None else LEAD_FIELD_EXTRAS.get(name, name.replace("_", " ")))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.globals.update(field_label=field_label, why=why)
