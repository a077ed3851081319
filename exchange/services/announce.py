"""What the lifecycle tells partners and channel managers (in-app, e-mail, webhooks).

One function per business event, called inside the transaction of the change. (Wired to the
notification service when that lands on main.)
"""

from __future__ import annotations

from exchange.models import Claim, Lead, Offer


def offer_created(lead: Lead, offer: Offer) -> None:
    pass


def offer_expiring(lead: Lead, offer: Offer) -> None:
    pass


def lead_claimed(lead: Lead, claim: Claim) -> None:
    pass


def sla_breached(lead: Lead, claim: Claim, clock_name: str, recycled: bool) -> None:
    pass


def lead_recycled(lead: Lead, claim: Claim) -> None:
    pass


def claim_reminder(lead: Lead, claim: Claim, clock_name: str) -> None:
    pass


def lead_unclaimed(lead: Lead) -> None:
    pass
