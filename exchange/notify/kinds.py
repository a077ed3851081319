"""The kinds of notification: what :func:`exchange.notify.notifications.publish_event` knows, how each
reads in the bell, in e-mail and on the webhook form, and whom it concerns.

The values are what ``notifications.kind``, ``webhook_deliveries.event_type``, the ``X-Exchange-Event``
header and the ``event`` of a webhook body carry; they never change.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from exchange.models import PARTNER_ROLES, Role


class NotificationKind(enum.StrEnum):
    OFFER_CREATED = "offer.created"
    OFFER_EXPIRING = "offer.expiring"
    LEAD_CLAIMED = "lead.claimed"
    SLA_BREACHED = "sla.breached"
    LEAD_RECYCLED = "lead.recycled"
    CLAIM_REMINDER = "claim.reminder"
    LEAD_ASSIGNED = "lead.assigned"
    WEBHOOK_DISABLED = "webhook.disabled"
    ENROLLMENT_INVITED = "enrollment.invited"


@dataclass(frozen=True)
class KindDefinition:
    """How one kind of event reads in the bell and in e-mail, and whom it concerns.

    ``title`` and ``body`` are formatted with ``%(name)s`` placeholders: ``summary`` (the lead, as the
    recipient may see it), ``temperature``, ``deadline`` (the payload's, else the offer's claim
    deadline where ``claim_deadline`` is set; in the recipient's zone), ``sla``, ``partner``,
    ``manufacturer`` (the names of the event's organisations), ``reason`` and any plain value of the
    event's payload. A body whose placeholders are not all
    known is left out; a title must always format."""

    title: Any
    body: Any = None
    # The offer's claim deadline is the deadline the texts speak of (offer kinds).
    claim_deadline: bool = False
    partner_roles: frozenset[Role] = PARTNER_ROLES
    manufacturer_roles: frozenset[Role] = frozenset()
    # Service notices: e-mailed immediately whatever the user's e-mail settings.
    service_notice: bool = False
    # Kinds that come in floods: for partner users, events that are not hot collect into one entry per
    # hour, titled with their number (``%(num)d``) and opening the pull list.
    grouped_title: Callable[[int], str] | None = None
    grouped_body: Any = None
    # How an e-mail digest counts this kind ("12 new leads waiting").
    digest_label: Callable[[int], str] | None = None
    # Kinds a partner's webhooks may subscribe to, and how the webhook form names them.
    webhook_label: Any = None


CHANNEL_MANAGERS = frozenset({Role.CHANNEL_MANAGER})

# Every kind publish_event knows, and how it reads. Those with a webhook_label are WEBHOOK_EVENTS;
# the others are in-app only.
NOTIFICATION_KINDS: dict[NotificationKind, KindDefinition] = {
    NotificationKind.OFFER_CREATED: KindDefinition(
        title=_l("New %(temperature)s lead for you: %(summary)s"),
        body=_l("Claim it by %(deadline)s, before it moves on to the next partner."),
        claim_deadline=True,
        grouped_title=lambda num: ngettext(
            "%(num)d new lead waiting for you", "%(num)d new leads waiting for you", num
        ),
        grouped_body=_l(
            "Offered to you since %(since)s. Claim them from your list before they move on to the next "
            "partner; hot leads are notified one by one."
        ),
        digest_label=lambda num: ngettext("%(num)d new lead waiting", "%(num)d new leads waiting", num),
        webhook_label=_l("A lead is offered to you"),
    ),
    NotificationKind.OFFER_EXPIRING: KindDefinition(
        title=_l("Claim window closing: %(summary)s"),
        body=_l("Claim it by %(deadline)s or it moves on to the next partner."),
        claim_deadline=True,
        grouped_title=lambda num: ngettext(
            "Claim window closing on %(num)d lead", "Claim windows closing on %(num)d leads", num
        ),
        grouped_body=_l("Claim them from your list before they move on to the next partner."),
        digest_label=lambda num: ngettext(
            "%(num)d claim window closing", "%(num)d claim windows closing", num
        ),
        webhook_label=_l("A claim window is about to close"),
    ),
    NotificationKind.LEAD_CLAIMED: KindDefinition(
        title=_l("Lead claimed: %(summary)s"),
        body=_l("The contact details are on the lead. First contact is due by %(deadline)s."),
        digest_label=lambda num: ngettext("%(num)d lead claimed", "%(num)d leads claimed", num),
        webhook_label=_l("You claimed a lead (with its contact details)"),
    ),
    NotificationKind.SLA_BREACHED: KindDefinition(
        title=_l("SLA breached: %(summary)s"),
        body=_l("%(partner)s missed the %(sla)s deadline (%(deadline)s)."),
        manufacturer_roles=CHANNEL_MANAGERS,
        digest_label=lambda num: ngettext("%(num)d SLA breach", "%(num)d SLA breaches", num),
        webhook_label=_l("You missed an SLA deadline"),
    ),
    NotificationKind.LEAD_RECYCLED: KindDefinition(
        title=_l("Lead moved to another partner: %(summary)s"),
        body=_l("It was recycled after the %(sla)s deadline was missed; the breach stays on your record."),
        digest_label=lambda num: ngettext(
            "%(num)d lead moved to another partner", "%(num)d leads moved to other partners", num
        ),
        webhook_label=_l("A lead was taken from you after a breach"),
    ),
    NotificationKind.CLAIM_REMINDER: KindDefinition(
        title=_l("Reminder: %(summary)s"),
        body=_l("The %(sla)s deadline is %(deadline)s."),
        digest_label=lambda num: ngettext("%(num)d SLA warning", "%(num)d SLA warnings", num),
    ),
    NotificationKind.LEAD_ASSIGNED: KindDefinition(
        title=_l("A lead was handed to you: %(summary)s"),
        digest_label=lambda num: ngettext("%(num)d lead handed to you", "%(num)d leads handed to you", num),
    ),
    NotificationKind.WEBHOOK_DISABLED: KindDefinition(
        title=_l("Webhook disabled: %(url)s"),
        body=_l(
            "%(failures)s deliveries in a row failed (last error: %(error)s). No events are sent to "
            "this endpoint until you enable it again."
        ),
        partner_roles=frozenset({Role.PARTNER_ADMIN}),
        service_notice=True,
        digest_label=lambda num: ngettext("%(num)d webhook disabled", "%(num)d webhooks disabled", num),
    ),
    # A manufacturer invites an existing partner into its programme (its admins accept or decline).
    NotificationKind.ENROLLMENT_INVITED: KindDefinition(
        title=_l("%(manufacturer)s invites you to its partner programme"),
        body=_l(
            "Accept or decline the invitation under Programmes. Until you accept, %(manufacturer)s "
            "sees nothing of your profile."
        ),
        partner_roles=frozenset({Role.PARTNER_ADMIN}),
        service_notice=True,
        digest_label=lambda num: ngettext(
            "%(num)d invitation to a partner programme", "%(num)d invitations to partner programmes", num
        ),
    ),
}


def hot_leads_label(num: int) -> str:
    """How an e-mail digest counts new hot leads (offers notified one by one)."""
    return ngettext("%(num)d hot lead", "%(num)d hot leads", num)


def other_notifications_label(num: int) -> str:
    return ngettext("%(num)d other notification", "%(num)d other notifications", num)


# The kinds a webhook may subscribe to, in the order the form and the API list them.
WEBHOOK_EVENTS = tuple(
    kind for kind, definition in NOTIFICATION_KINDS.items() if definition.webhook_label is not None
)
WEBHOOK_EVENT_LABELS = {kind: NOTIFICATION_KINDS[kind].webhook_label for kind in WEBHOOK_EVENTS}
