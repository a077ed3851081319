"""Small helpers the test modules share: reading what a page rendered."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token in the form that ``path`` renders."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def post_account_form(client: FlaskClient, form: str, **fields: str):
    """Send one of the account page's forms (``pw``, ``prefs``, ``notify``: its fields carry that prefix)."""
    data = {f"{form}-{name}": value for name, value in fields.items()}
    return client.post("/account", data=data | {f"{form}-submit": "y"})
