"""The first run of an installation: a manufacturer's programme and its first admin.

Two ways in, one service (:func:`start_programme`): ``flask orgs create-manufacturer`` (the admin
gets an invitation link, printed and e-mailed) and the browser's setup page ``/setup`` (the admin
chooses a password there), open only while no organisation exists.

The setup page is guarded by a **setup token** printed in the server log, as self-hosted tools do, so
nobody else on the network can claim a fresh installation. The token is an HMAC of ``SECRET_KEY``
and a fixed purpose: every web process (several gunicorn workers, a restart) derives the same token
without a shared store, it reveals nothing of the key, and it dies when the first organisation exists
(the page answers 404 from then on). Candidates are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

import matching
from exchange.accounts.organisations import create_manufacturer
from exchange.accounts.password_links import LinkPurpose, link_url, make_token
from exchange.accounts.sessions import find_user_by_email, normalise_email
from exchange.accounts.users import create_user
from exchange.models import Organisation, Role, User
from exchange.platform import unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db
from exchange.platform.i18n import is_valid_timezone
from exchange.platform.iso_codes import is_currency
from exchange.platform.jobs import enqueue
from exchange.platform.jobs.registry import QUEUE_NOTIFY

_TOKEN_PURPOSE = b"lead-exchange:first-run-setup-token:v1"
# The shape of an address (as the forms check it); deliverability is the mail server's business.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- is this a fresh installation? -------------------------------------------------------------------


def installation_is_empty() -> bool:
    """True while no organisation exists. Once one does, the answer is remembered by this process
    (organisations are never all deleted by the application)."""
    state = current_app.extensions.setdefault("exchange.first_run", {})
    if state.get("done"):
        return False
    empty = db.session.scalar(sa.select(Organisation.id).limit(1)) is None
    if not empty:
        state["done"] = True
    return empty


# --- the setup token -----------------------------------------------------------------------------------


def setup_token() -> str:
    """The installation's setup token, e.g. ``k3vq-7c2m-...`` (24 characters in groups of four)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), _TOKEN_PURPOSE, hashlib.sha256).digest()
    text = base64.b32encode(digest[:15]).decode().lower()
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def _normalised(token: str) -> str:
    return "".join(ch for ch in (token or "").lower() if ch.isalnum())


def setup_token_matches(candidate: str | None) -> bool:
    """Constant-time comparison; dashes, spaces and case do not matter."""
    return hmac.compare_digest(_normalised(candidate or "").encode(), _normalised(setup_token()).encode())


def setup_hint(base_url: str) -> str:
    """What the server log says while the installation is empty."""
    return (
        f"First run: no organisation exists yet. Open {base_url.rstrip('/')}/setup and enter the "
        f"setup token {setup_token()} (or run `flask orgs create-manufacturer NAME --admin EMAIL`)."
    )


def announce_if_empty(base_url: str) -> bool:
    """Log :func:`setup_hint` when the installation is empty; False when it is not, or when the
    database cannot be read yet (not migrated: nothing to announce)."""
    try:
        empty = installation_is_empty()
    except sa.exc.SQLAlchemyError:
        unit_of_work.discard()
        return False
    if empty:
        current_app.logger.warning(setup_hint(base_url))
    return empty


# --- the programme and its first admin -----------------------------------------------------------------


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _name_from_email(email: str) -> str:
    local = email.partition("@")[0]
    return " ".join(part.capitalize() for part in re.split(r"[._+-]+", local) if part) or email


def start_programme(
    name: str,
    *,
    admin_email: str,
    admin_name: str | None = None,
    timezone: str = "UTC",
    currency: str = "EUR",
    slug: str | None = None,
    password: str | None = None,
    base_url: str | None = None,
) -> tuple[Organisation, User]:
    """Create a manufacturer (default SLA policies, the default matching weights) and its first admin.

    With ``password`` the admin can sign in at once (the setup page); without it the admin is
    invited: an e-mail with a link to choose a password is queued (after the commit) to
    ``base_url``. Refuses, with the field named: an empty name, an unknown IANA time zone, a currency
    that is not ISO 4217, an e-mail address that is malformed or already used.
    """
    name = _clean(name)
    if not name:
        raise DomainError(_("Give the company's name."), field="name")
    if len(name) > 200:
        raise DomainError(_("The name is longer than 200 characters."), field="name")
    timezone = (timezone or "").strip()
    if not is_valid_timezone(timezone):
        raise DomainError(
            _("%(zone)s is not a time zone; use an IANA name such as Europe/Berlin.", zone=timezone or "–"),
            field="timezone",
        )
    currency = (currency or "").strip().upper()
    if not is_currency(currency):
        raise DomainError(
            _("%(code)s is not an ISO 4217 currency code such as EUR.", code=currency or "–"),
            field="currency",
        )
    email = normalise_email(admin_email or "")
    if not _EMAIL.match(email) or len(email) > 254:
        raise DomainError(_("%(email)s is not an e-mail address.", email=email or "–"), field="email")
    if find_user_by_email(email) is not None:
        raise DomainError(
            _("%(email)s already belongs to a user of this installation.", email=email),
            field="email",
            status=409,
        )
    admin_name = _clean(admin_name) or _name_from_email(email)

    org = create_manufacturer(
        name, slug=(slug or "").strip().lower() or None, timezone=timezone, currency=currency
    )
    org.program.matching_weights = dict(matching.DEFAULT_WEIGHTS)
    admin = create_user(org, email=email, name=admin_name, role=Role.MANUFACTURER_ADMIN, password=password)
    record(
        AuditEvent.ORGANISATION_CREATED,
        actor=admin if password is not None else None,
        manufacturer_id=org.id,
        data={
            "name": org.name,
            "slug": org.slug,
            "kind": org.kind.value,
            "admin_user_id": admin.id,
            "admin_email": admin.email,
            "via": "setup page" if password is not None else "command line",
        },
        kind="user" if password is not None else "system",
    )
    if password is None:
        record(
            AuditEvent.USER_INVITED,
            manufacturer_id=org.id,
            data={"user_id": admin.id, "email": admin.email, "role": admin.role.value},
            kind="system",
        )
        enqueue(
            "accounts.send_password_link",
            admin.id,
            LinkPurpose.INVITE.value,
            base_url or current_app.config["PUBLIC_URL"],
            queue=QUEUE_NOTIFY,
        )
    return org, admin


def invitation_link(admin: User, base_url: str) -> str:
    """A one-time link for ``admin`` to choose a password (the same kind the e-mail carries)."""
    return link_url(base_url, LinkPurpose.INVITE, make_token(admin, LinkPurpose.INVITE))
