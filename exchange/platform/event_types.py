"""The event log's vocabulary: every type :func:`exchange.platform.events.record` writes.

Two kinds, as they are read: :class:`LeadEvent` are the lines of a lead's history (and of the reveal
audit), each with its label in :data:`LEAD_EVENT_LABELS`; :class:`AuditEvent` are changes to an
organisation's set-up, kept for the audit trail and shown in no history. The values are what the
``events.type`` column stores and the API returns; they never change.
"""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class LeadEvent(enum.StrEnum):
    """What happened to a lead, its offers and claims, its SLA clocks, and the import it came from."""

    LEAD_CREATED = "lead.created"
    LEAD_IMPORTED = "lead.imported"
    LEAD_UPDATED = "lead.updated"
    LEAD_PUBLISHED = "lead.published"
    LEAD_OFFERED = "lead.offered"
    LEAD_WAVE_ADVANCED = "lead.wave_advanced"
    LEAD_POOL_OPENED = "lead.pool_opened"
    LEAD_UNCLAIMED = "lead.unclaimed"
    LEAD_UNMATCHED = "lead.unmatched"
    LEAD_CLAIMED = "lead.claimed"
    OFFER_DECLINED = "offer.declined"
    OFFER_WITHDRAWN = "offer.withdrawn"
    LEAD_CONTACTED = "lead.contacted"
    LEAD_CONTACT_LOGGED = "lead.contact_logged"
    LEAD_STATUS_CHANGED = "lead.status_changed"
    LEAD_STATUS_CONFIRMED = "lead.status_confirmed"
    LEAD_WON = "lead.won"
    LEAD_LOST = "lead.lost"
    LEAD_NOTE_ADDED = "lead.note_added"
    LEAD_ASSIGNED = "lead.assigned"
    # The manufacturer took a claim from a suspended or ended partner and gave the lead back to matching.
    LEAD_REASSIGNED = "lead.reassigned"
    LEAD_RETURNED = "lead.returned"
    LEAD_CONTACT_VIEWED = "lead.contact_viewed"
    LEAD_RECYCLED = "lead.recycled"
    LEAD_WITHDRAWN = "lead.withdrawn"
    LEAD_COOLED = "lead.cooled"
    LEAD_REQUALIFIED = "lead.requalified"
    SLA_REMINDED = "sla.reminded"
    SLA_BREACHED = "sla.breached"
    # Recorded on the import, not a lead: rejected rows carry contact details but never became leads.
    REJECTED_ROWS_DOWNLOADED = "import.rejected_rows_downloaded"


class AuditEvent(enum.StrEnum):
    """Who changed an organisation's set-up: team, API tokens, webhooks, partner profile, SLA policy."""

    USER_INVITED = "user.invited"
    USER_INVITATION_RESENT = "user.invitation_resent"
    USER_INVITATION_ACCEPTED = "user.invitation_accepted"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_SIGN_IN_UNLOCKED = "user.sign_in_unlocked"
    USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"  # noqa: S105 - an event name, not a secret
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an event name, not a secret
    TOKEN_CREATED = "token.created"  # noqa: S105 - an event name, not a secret
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an event name, not a secret
    PARTNER_PROFILE_CHANGED = "partner.profile_changed"
    WEBHOOK_ENDPOINT_CREATED = "webhook.endpoint_created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook.endpoint_updated"
    WEBHOOK_ENDPOINT_ENABLED = "webhook.endpoint_enabled"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"
    WEBHOOK_ENDPOINT_DELETED = "webhook.endpoint_deleted"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an event name, not a secret
    WEBHOOK_REDELIVERY_REQUESTED = "webhook.redelivery_requested"
    SLA_POLICY_UPDATED = "sla_policy.updated"
    SLA_POLICY_RESET = "sla_policy.reset"
    # Onboarding (issue 12): organisations, the partner directory, enrollments, availability.
    ORGANISATION_CREATED = "organisation.created"
    PARTNER_ADDED = "partner.added"  # the manufacturer created a partner organisation
    PARTNERS_IMPORTED = "partner.imported"  # a partner list import finished (counts in data)
    ENROLLMENT_INVITED = "enrollment.invited"
    ENROLLMENT_INVITATION_RESENT = "enrollment.invitation_resent"
    ENROLLMENT_ACCEPTED = "enrollment.accepted"
    ENROLLMENT_DECLINED = "enrollment.declined"
    ENROLLMENT_SUSPENDED = "enrollment.suspended"
    ENROLLMENT_REACTIVATED = "enrollment.reactivated"
    ENROLLMENT_ENDED = "enrollment.ended"
    ENROLLMENT_TIER_CHANGED = "enrollment.tier_changed"
    ENROLLMENT_PRODUCT_LINES_CHANGED = "enrollment.product_lines_changed"
    PARTNER_PAUSED = "partner.paused"
    PARTNER_RESUMED = "partner.resumed"


EventType = LeadEvent | AuditEvent

# How each line of a lead's history starts (details follow: exchange.platform.labels.event_label).
LEAD_EVENT_LABELS = {
    LeadEvent.LEAD_CREATED: _l("Lead created"),
    LeadEvent.LEAD_PUBLISHED: _l("Published"),
    LeadEvent.LEAD_OFFERED: _l("Offered to wave 1"),
    LeadEvent.LEAD_WAVE_ADVANCED: _l("Offered to the next wave"),
    LeadEvent.LEAD_POOL_OPENED: _l("Offered to the open pool"),
    LeadEvent.LEAD_UNCLAIMED: _l("Returned to the manufacturer unclaimed"),
    LeadEvent.LEAD_CLAIMED: _l("Claimed"),
    LeadEvent.OFFER_DECLINED: _l("Declined"),
    LeadEvent.LEAD_CONTACTED: _l("First contact logged"),
    LeadEvent.LEAD_CONTACT_LOGGED: _l("Contact logged"),
    LeadEvent.LEAD_STATUS_CHANGED: _l("Status changed"),
    LeadEvent.LEAD_STATUS_CONFIRMED: _l("Status confirmed"),
    LeadEvent.LEAD_WON: _l("Won"),
    LeadEvent.LEAD_LOST: _l("Lost"),
    LeadEvent.LEAD_NOTE_ADDED: _l("Note"),
    LeadEvent.LEAD_ASSIGNED: _l("Assigned"),
    LeadEvent.LEAD_REASSIGNED: _l("Taken from the partner and matched again"),
    LeadEvent.LEAD_RETURNED: _l("Returned"),
    LeadEvent.LEAD_CONTACT_VIEWED: _l("Contact details viewed"),
    LeadEvent.REJECTED_ROWS_DOWNLOADED: _l("Rejected rows downloaded (with their contact details)"),
    LeadEvent.SLA_REMINDED: _l("SLA reminder sent"),
    LeadEvent.SLA_BREACHED: _l("SLA breached"),
    LeadEvent.LEAD_RECYCLED: _l("Recycled to another partner"),
    LeadEvent.LEAD_WITHDRAWN: _l("Withdrawn"),
    LeadEvent.LEAD_UNMATCHED: _l("No partner can take it"),
    LeadEvent.LEAD_COOLED: _l("Cooled down"),
    LeadEvent.LEAD_REQUALIFIED: _l("Re-qualified"),
    LeadEvent.LEAD_IMPORTED: _l("Imported"),
    LeadEvent.LEAD_UPDATED: _l("Changed"),
    LeadEvent.OFFER_WITHDRAWN: _l("Offer withdrawn"),
}
