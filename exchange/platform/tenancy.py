"""Tenant-scoped queries. Every read of a manufacturer's or a partner's data goes through here, so a
forgotten filter cannot leak another organisation's rows (Redash's ``get_by_id_and_org``)."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from exchange.models import (
    ApiToken,
    Campaign,
    Claim,
    Enrollment,
    Event,
    Lead,
    LeadImport,
    Notification,
    Offer,
    Organisation,
    OrgKind,
    ProductLine,
    SlaPolicy,
    User,
    WebhookEndpoint,
)
from exchange.platform.extensions import db

M = TypeVar("M")


class NotATenantModel(LookupError):
    """The model has no owner column for this kind of organisation: it must be reached another way."""


# Which column ties a row to the organisation that may see it, by the kind of organisation asking.
TENANT_COLUMNS: dict[type, dict[OrgKind, Any]] = {
    Lead: {OrgKind.MANUFACTURER: Lead.manufacturer_id},
    LeadImport: {OrgKind.MANUFACTURER: LeadImport.manufacturer_id},
    Campaign: {OrgKind.MANUFACTURER: Campaign.manufacturer_id},
    ProductLine: {OrgKind.MANUFACTURER: ProductLine.manufacturer_id},
    SlaPolicy: {OrgKind.MANUFACTURER: SlaPolicy.manufacturer_id},
    Offer: {OrgKind.MANUFACTURER: Offer.manufacturer_id, OrgKind.PARTNER: Offer.partner_id},
    Claim: {OrgKind.MANUFACTURER: Claim.manufacturer_id, OrgKind.PARTNER: Claim.partner_id},
    Enrollment: {OrgKind.MANUFACTURER: Enrollment.manufacturer_id, OrgKind.PARTNER: Enrollment.partner_id},
    Event: {OrgKind.MANUFACTURER: Event.manufacturer_id, OrgKind.PARTNER: Event.partner_id},
    User: {OrgKind.MANUFACTURER: User.organisation_id, OrgKind.PARTNER: User.organisation_id},
    ApiToken: {OrgKind.MANUFACTURER: ApiToken.organisation_id, OrgKind.PARTNER: ApiToken.organisation_id},
    WebhookEndpoint: {
        OrgKind.MANUFACTURER: WebhookEndpoint.organisation_id,
        OrgKind.PARTNER: WebhookEndpoint.organisation_id,
    },
}


def current_org() -> Organisation:
    """The signed-in user's organisation (views behind a role gate only)."""
    return current_user.organisation


def tenant_column(model: type, org: Organisation) -> Any:
    try:
        return TENANT_COLUMNS[model][org.kind]
    except KeyError:
        raise NotATenantModel(f"{model.__name__} is not readable by a {org.kind} directly") from None


def scoped(model: type[M], org: Organisation) -> sa.Select[tuple[M]]:
    """``SELECT model`` restricted to what ``org`` owns."""
    return sa.select(model).where(tenant_column(model, org) == org.id)


def get_scoped(model: type[M], object_id: int, org: Organisation) -> M | None:
    return db.session.scalar(scoped(model, org).where(model.id == object_id))  # type: ignore[attr-defined]


def get_scoped_or_404(model: type[M], object_id: int, org: Organisation) -> M:
    """The object if ``org`` owns it; 404 otherwise (never 403: ids must not be probeable)."""
    obj = get_scoped(model, object_id, org)
    if obj is None:
        abort(404)
    return obj


def notifications_for(user: User) -> sa.Select[tuple[Notification]]:
    return sa.select(Notification).where(Notification.user_id == user.id)
