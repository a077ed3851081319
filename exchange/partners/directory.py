"""The manufacturer's partner directory: adding a partner (by hand, the API, an import row), inviting
it, and the programme's own fields of an enrollment (tier, product lines).

:func:`add_partner` is the one way a partner comes into a programme:

- the same ``external_id`` (the CRM id) as an enrollment of this programme, or the same admin
  e-mail as one invited or enrolled here: that enrollment is updated (``UPDATED``), or left as it
  is when nothing changed (``DUPLICATE``); never a second enrollment;
- the e-mail of a partner admin of an existing partner: an ``invited`` enrollment of that partner
  (``created_partner=False``), its profile untouched, and an enrollment invitation to its admins;
  the manufacturer sees only what it typed (``invited_name``, ``invited_email``) until they accept;
- the e-mail of a manufacturer's user or of a partner user who is not an admin: refused on
  ``admin_email``;
- otherwise a new partner organisation with a profile from the details, a partner admin without a
  password and an account invitation; the enrollment (``created_partner=True``) becomes active when
  that admin accepts (chooses a password).

While a created partner's admin has never signed in, an update also refreshes the partner's name,
location and profile fields from the manufacturer's data; afterwards the partner owns its profile.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.accounts.organisations import create_partner
from exchange.accounts.permissions import Permission, can
from exchange.accounts.sessions import find_user_by_email
from exchange.accounts.users import create_user
from exchange.models import (
    CoverageArea,
    Enrollment,
    EnrollmentStatus,
    Organisation,
    Role,
    SizeBand,
    Tier,
    User,
)
from exchange.partners.invitations import INVITABLE, deliver_invitation, send_invitation
from exchange.partners.invited_admin import admin_signed_in, withdraw_for_new_address
from exchange.partners.partner_details import (
    LOCATION_DETAILS,
    CleanDetails,
    PartnerDetails,
    clean_details,
    find_product_lines,
)
from exchange.partners.programme_changes import change_programme, check_actor
from exchange.platform import clock
from exchange.platform.errors import Conflict, DomainError
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db

__all__ = [
    "AddOutcome",
    "AddResult",
    "PartnerDetails",
    "add_partner",
    "change_programme",
    "send_invitation",
]

# Statuses from which adding the partner again invites it again.
REINVITABLE = frozenset({EnrollmentStatus.ENDED, EnrollmentStatus.DECLINED})


class AddOutcome(enum.StrEnum):
    CREATED = "created"  # a new enrollment (of a new or an existing partner)
    UPDATED = "updated"  # an enrollment of this programme, changed
    DUPLICATE = "duplicate"  # an enrollment of this programme, nothing to change


@dataclass
class AddResult:
    enrollment: Enrollment
    outcome: AddOutcome
    invited: bool  # an invitation was queued (sent after the commit)


def add_partner(
    actor: User | None,
    manufacturer: Organisation,
    details: PartnerDetails,
    *,
    invite: bool = True,
    base_url: str,
) -> AddResult:
    """Bring the partner ``details`` describe into ``manufacturer``'s programme (see the module).
    ``invite``: send the invitation (after the commit); ``base_url``: where its link points."""
    check_actor(actor, manufacturer)
    if not manufacturer.is_manufacturer:
        raise DomainError(_("Only manufacturers have a partner directory."))
    # One change to the directory at a time per programme: two imports cannot add one partner twice.
    db.session.execute(sa.select(Organisation.id).where(Organisation.id == manufacturer.id).with_for_update())
    clean = clean_details(manufacturer, details, product_lines=False)
    user = find_user_by_email(clean.admin_email)
    existing = _existing(manufacturer, clean, user)
    # Lines the manufacturer retired stay selectable for an enrollment that serves them.
    clean.product_lines = find_product_lines(manufacturer, details.product_lines, existing)
    if existing is not None and user is not None:
        _partner_of_admin(user)  # refuse a manufacturer's or a rep's address before anything changes
    if existing is not None and withdraw_for_new_address(actor, existing, clean, user):
        # The new address may name a partner of this programme already (then that one is updated).
        existing = _existing(manufacturer, clean, user)
        clean.product_lines = find_product_lines(manufacturer, details.product_lines, existing)
    if existing is not None:
        return _update(actor, existing, clean, invite=invite, base_url=base_url)

    if user is not None:
        partner = _partner_of_admin(user)
        enrollment = _new_enrollment(actor, manufacturer, partner, clean, created_partner=False)
    else:
        partner = _create_partner(clean)
        create_user(partner, email=clean.admin_email, name=clean.admin_name, role=Role.PARTNER_ADMIN)
        enrollment = _new_enrollment(actor, manufacturer, partner, clean, created_partner=True)
        record(
            AuditEvent.PARTNER_ADDED,
            actor=actor,
            manufacturer_id=manufacturer.id,
            partner_id=partner.id,
            data={"enrollment_id": enrollment.id, "company": clean.company},
        )
    record(
        AuditEvent.ENROLLMENT_INVITED,
        actor=actor,
        manufacturer_id=manufacturer.id,
        partner_id=enrollment.partner_id,
        data={
            "enrollment_id": enrollment.id,
            "invited_name": enrollment.invited_name,
            "invited_email": enrollment.invited_email,
            "created_partner": enrollment.created_partner,
            "tier": enrollment.tier.value,
            "product_lines": sorted(line.code for line in enrollment.product_lines),
            "external_id": enrollment.external_id,
        },
    )
    invited = False
    if invite:
        deliver_invitation(actor, enrollment, base_url)
        invited = True
    db.session.flush()
    return AddResult(enrollment, AddOutcome.CREATED, invited)


def _existing(manufacturer: Organisation, clean: CleanDetails, user: User | None) -> Enrollment | None:
    """This programme's enrollment of the partner the details name: by external id, else by the
    admin e-mail (invited here, or an admin of an enrolled partner)."""
    if clean.external_id is not None:
        found = db.session.scalar(
            sa.select(Enrollment).where(
                Enrollment.manufacturer_id == manufacturer.id, Enrollment.external_id == clean.external_id
            )
        )
        if found is not None:
            return found
    found = db.session.scalar(
        sa.select(Enrollment)
        .where(Enrollment.manufacturer_id == manufacturer.id, Enrollment.invited_email == clean.admin_email)
        .order_by(Enrollment.id)
        .limit(1)
    )
    if found is None and user is not None and _is_partner_admin(user):
        found = db.session.scalar(
            sa.select(Enrollment).where(
                Enrollment.manufacturer_id == manufacturer.id,
                Enrollment.partner_id == user.organisation_id,
            )
        )
    if (
        found is not None
        and clean.external_id is not None
        and found.external_id not in (None, clean.external_id)
    ):
        raise Conflict(
            _(
                "This admin's partner is already in your programme under the external id %(id)s.",
                id=found.external_id,
            ),
            field="external_id",
        )
    return found


def _is_partner_admin(user: User) -> bool:
    """An active admin of a partner (who accepts invitations for it)."""
    return user.organisation.is_partner and can(user, Permission.MANAGE_PROGRAMMES) and user.is_active


def _partner_of_admin(user: User) -> Organisation:
    """The existing partner whose admin ``user`` is; refuses every other user's e-mail."""
    organisation = user.organisation
    if not organisation.is_partner:
        raise DomainError(
            _(
                "This e-mail address belongs to a user of a manufacturer, not of a partner. "
                "Give the e-mail address of the partner's admin."
            ),
            field="admin_email",
            status=409,
        )
    if not _is_partner_admin(user):
        raise DomainError(
            _(
                "This e-mail address belongs to a partner's user who is not its active admin. "
                "Give the e-mail address of the partner's admin."
            ),
            field="admin_email",
            status=409,
        )
    return organisation


def _create_partner(clean: CleanDetails) -> Organisation:
    profile = dict(clean.profile)
    coverage = [
        (area["country"], area["region"], area["postal_prefix"]) for area in profile.pop("coverage", [])
    ]
    # Without a capacity the partner gets no offers until its admin sets one (readiness says so).
    capacity = profile.pop("capacity", 0)
    return create_partner(
        clean.company,
        timezone=clean.timezone,
        capacity=capacity,
        coverage=coverage,
        **profile,
        **{name: clean.location.get(name) for name in LOCATION_DETAILS},
    )


def _new_enrollment(
    actor: User | None,
    manufacturer: Organisation,
    partner: Organisation,
    clean: CleanDetails,
    *,
    created_partner: bool,
) -> Enrollment:
    now = clock.now()
    enrollment = Enrollment(
        manufacturer_id=manufacturer.id,
        partner_id=partner.id,
        tier=clean.tier or Tier.REGISTERED,
        status=EnrollmentStatus.INVITED,
        product_lines=list(clean.product_lines or []),
        external_id=clean.external_id,
        invited_name=clean.company,
        invited_email=clean.admin_email,
        invited_by_id=actor.id if actor is not None else None,
        status_changed_at=now,
        created_partner=created_partner,
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def _update(
    actor: User | None, enrollment: Enrollment, clean: CleanDetails, *, invite: bool, base_url: str
) -> AddResult:
    changed = False
    if clean.external_id is not None and enrollment.external_id is None:
        enrollment.external_id = clean.external_id
        changed = True
    if enrollment.status in INVITABLE and enrollment.invited_name != clean.company:
        enrollment.invited_name = clean.company
        changed = True
    changed |= change_programme(actor, enrollment, tier=clean.tier, product_lines=clean.product_lines)
    if enrollment.created_partner and not admin_signed_in(enrollment.partner):
        changed |= _refresh_profile(enrollment.partner, clean)
    invited = False
    if enrollment.status in REINVITABLE:
        _reinvite(actor, enrollment, clean)
        changed = True
        if invite:
            deliver_invitation(actor, enrollment, base_url)
            invited = True
    elif invite and enrollment.status in INVITABLE and enrollment.invited_at is None:
        # Added earlier without an invitation (an import with --no-invite): send it now.
        deliver_invitation(actor, enrollment, base_url)
        invited = True
    db.session.flush()
    return AddResult(enrollment, AddOutcome.UPDATED if changed or invited else AddOutcome.DUPLICATE, invited)


def _reinvite(actor: User | None, enrollment: Enrollment, clean: CleanDetails) -> None:
    """An ended or declined partner added again is invited again."""
    previous = enrollment.status
    now = clock.now()
    enrollment.status = EnrollmentStatus.INVITED
    enrollment.status_changed_at = now
    enrollment.status_reason = None
    enrollment.responded_at = None
    enrollment.invited_at = None
    enrollment.invited_name = clean.company
    # The partner accepted before (else its invitation was withdrawn for the new address): the
    # invitation goes to its admins; another company's address never lands on this enrollment.
    named = find_user_by_email(clean.admin_email)
    if named is not None and named.organisation_id == enrollment.partner_id:
        enrollment.invited_email = clean.admin_email
    enrollment.invited_by_id = actor.id if actor is not None else None
    record(
        AuditEvent.ENROLLMENT_INVITED,
        actor=actor,
        manufacturer_id=enrollment.manufacturer_id,
        partner_id=enrollment.partner_id,
        data={
            "enrollment_id": enrollment.id,
            "invited_name": enrollment.invited_name,
            "invited_email": enrollment.invited_email,
            "from": previous.value,
        },
    )


def _refresh_profile(partner: Organisation, clean: CleanDetails) -> bool:
    """The manufacturer's newer data for a partner nobody has taken over yet; True if any changed."""
    profile = partner.profile
    changed = False
    if partner.name != clean.company:
        partner.name = clean.company
        changed = True
    values: dict[str, Any] = {**clean.location, **clean.profile}
    for name, value in values.items():
        if name == "coverage":
            current = [(a.country, a.region, a.postal_prefix) for a in profile.coverage]
            wanted = [(a["country"], a["region"], a["postal_prefix"]) for a in value]
            if current != wanted:
                profile.coverage = [CoverageArea(country=c, region=r, postal_prefix=p) for c, r, p in wanted]
                changed = True
        elif getattr(profile, name) != value:
            setattr(profile, name, value)
            changed = True
            if name == "employees":
                profile.size_band = SizeBand.for_employees(value)
            if name == "country":
                profile.timezone = partner.timezone = clean.timezone
    if changed:
        profile.matching_changed_at = clock.now()
    return changed
