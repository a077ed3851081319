"""Small helpers the test modules share: reading what a page rendered, a published lead."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from exchange.models import Lead, LeadStatus
from exchange.platform.extensions import db
from tests import factories as f


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token in the form that ``path`` renders."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_account_form(client: FlaskClient, form: str, **fields: str):
    """Send one of the account page's forms (``pw``, ``prefs``, ``notify``: its fields carry that prefix)."""
    data = {f"{form}-{name}": value for name, value in fields.items()}
    return client.post("/account", data=data | {f"{form}-submit": "y"})


def published(programme: dict, **overrides) -> Lead:
    """A published pump lead in Munich of ``programme["maker"]`` (committed): the matching tests'
    lead, ``overrides`` changing any of its fields."""
    values = {
        "status": LeadStatus.PUBLISHED,
        "product_line_id": programme["pumps"].id,
        "country": "DE",
        "region": "BY",
        "postal_code": "80331",
        "industry": "Manufacturing",
        "employees": 300,
    }
    values.update(overrides)
    lead = f.lead(programme["maker"], **values)
    db.session.commit()
    return lead
