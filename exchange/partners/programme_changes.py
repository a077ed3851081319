"""The programme's own fields of an enrollment: its tier and the product lines it serves, and who may
change them (:func:`check_actor`, also used by the rest of the directory)."""

from __future__ import annotations

from flask_babel import gettext as _

from exchange.accounts.permissions import Permission, can
from exchange.models import Enrollment, EnrollmentStatus, Organisation, ProductLine, Tier, User
from exchange.platform import jobs
from exchange.platform.errors import DomainError, NotAllowed
from exchange.platform.event_types import AuditEvent
from exchange.platform.events import record
from exchange.platform.extensions import db


def check_actor(actor: User | None, manufacturer: Organisation) -> None:
    """Refuse an actor who may not change ``manufacturer``'s directory (None: the system acts)."""
    if actor is None:
        return
    if not (
        actor.is_active
        and actor.organisation_id == manufacturer.id
        and can(actor, Permission.MANAGE_PARTNERS)
    ):
        raise NotAllowed(_("Only an admin of this manufacturer may change its partner directory."))


def change_programme(
    actor: User | None,
    enrollment: Enrollment,
    *,
    tier: Tier | None = None,
    product_lines: list[ProductLine] | None = None,
) -> bool:
    """Change the programme's fields of an enrollment (None: leave as it is), each change an event
    with from and to; True if anything changed. The next matching reads them; offers not yet shown
    are re-ranked."""
    check_actor(actor, enrollment.manufacturer)
    changed = False
    scope = {"manufacturer_id": enrollment.manufacturer_id, "partner_id": enrollment.partner_id}
    if tier is not None and tier != enrollment.tier:
        record(
            AuditEvent.ENROLLMENT_TIER_CHANGED,
            actor=actor,
            **scope,
            data={"enrollment_id": enrollment.id, "from": enrollment.tier.value, "to": tier.value},
        )
        enrollment.tier = tier
        changed = True
    if product_lines is not None:
        if any(line.manufacturer_id != enrollment.manufacturer_id for line in product_lines):
            raise DomainError(_("Unknown product line."), field="product_lines")
        before = sorted(line.code for line in enrollment.product_lines)
        after = sorted({line.code for line in product_lines})
        if before != after:
            record(
                AuditEvent.ENROLLMENT_PRODUCT_LINES_CHANGED,
                actor=actor,
                **scope,
                data={"enrollment_id": enrollment.id, "from": before, "to": after},
            )
            enrollment.product_lines = list(dict.fromkeys(product_lines))
            changed = True
    if changed:
        db.session.flush()
        if enrollment.status == EnrollmentStatus.ACTIVE:
            jobs.enqueue("offers.rerank_unshown")
    return changed
