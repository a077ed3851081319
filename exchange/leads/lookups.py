"""What a lead's input is looked up against: its dedupe key and the duplicate it finds, and the
manufacturer's campaigns and product lines its names refer to (``LeadReferences``).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import Campaign, Lead, Organisation, ProductLine, User
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db


def normalise_company(name: str) -> str:
    return " ".join(name.casefold().split())


def dedupe_key(email: str | None, company: str | None, phone: str | None = None) -> str | None:
    """Normalised e-mail with company ('erika@x.de|acme gmbh'); without an e-mail, the phone's digits
    with company, so re-importing a file of phone-only leads creates nothing new either."""
    company_part = normalise_company(company or "")
    if email and email.strip():
        return f"{email.strip().lower()}|{company_part}"[:400]
    digits = re.sub(r"\D", "", phone or "")
    if digits:
        return f"tel:{digits}|{company_part}"[:400]
    return None


class LeadReferences:
    """Resolves campaign names / ids and product lines for one manufacturer, with a cache per run."""

    def __init__(self, manufacturer: Organisation, actor: User | None = None) -> None:
        self.manufacturer = manufacturer
        self.actor = actor
        self.campaigns_by_name: dict[str, int] = {}
        self.campaign_ids: set[int] = set()
        for campaign_id, name in db.session.execute(
            sa.select(Campaign.id, Campaign.name).where(Campaign.manufacturer_id == manufacturer.id)
        ):
            self.campaigns_by_name[name.casefold()] = campaign_id
            self.campaign_ids.add(campaign_id)
        self.lines_by_code: dict[str, int] = {}
        self.lines_by_name: dict[str, int] = {}
        for line_id, code, name in db.session.execute(
            sa.select(ProductLine.id, ProductLine.code, ProductLine.name).where(
                ProductLine.manufacturer_id == manufacturer.id
            )
        ):
            self.lines_by_code[code.casefold()] = line_id
            self.lines_by_name[name.casefold()] = line_id
        self.campaigns_created = 0

    def campaign_named(self, name: str) -> int:
        """The campaign's id; a campaign of that name is created when there is none."""
        key = name.strip().casefold()
        if key not in self.campaigns_by_name:
            campaign = Campaign(
                manufacturer_id=self.manufacturer.id,
                name=name.strip()[:200],
                currency=self.manufacturer.program.currency if self.manufacturer.program else "EUR",
            )
            db.session.add(campaign)
            db.session.flush()
            self.campaigns_by_name[key] = campaign.id
            self.campaign_ids.add(campaign.id)
            self.campaigns_created += 1
        return self.campaigns_by_name[key]

    def resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        """Turn ``campaign`` / ``campaign_id`` / ``product_line`` / ``product_interest`` of validated
        input into column values (in place). Raises DomainError naming the field."""
        if "campaign" in data:
            name = data.pop("campaign")
            if name:
                data["campaign_id"] = self.campaign_named(name)
            elif "campaign_id" not in data:
                data["campaign_id"] = None
        if data.get("campaign_id") is not None and data["campaign_id"] not in self.campaign_ids:
            raise DomainError(_("No such campaign: %(id)s", id=data["campaign_id"]), field="campaign_id")
        line_given = "product_line" in data
        code = data.pop("product_line", None)
        if code:
            line_id = self.lines_by_code.get(code.casefold())
            if line_id is None:
                raise DomainError(_("No such product line: %(code)s", code=code), field="product_line")
            data["product_line_id"] = line_id
        elif line_given or "product_interest" in data:
            # No line named: the interest text may name one by code or name.
            interest = (data.get("product_interest") or "").casefold()
            data["product_line_id"] = self.lines_by_code.get(interest) or self.lines_by_name.get(interest)
        return data


def find_duplicate(manufacturer_id: int, source_id: str | None, key: str | None) -> Lead | None:
    """The manufacturer's lead with this source id, else with this normalised e-mail + company."""
    if source_id:
        lead = db.session.scalar(
            sa.select(Lead).where(Lead.manufacturer_id == manufacturer_id, Lead.source_id == source_id)
        )
        if lead is not None:
            return lead
    if key:
        return db.session.scalar(
            sa.select(Lead)
            .where(Lead.manufacturer_id == manufacturer_id, Lead.dedupe_key == key)
            .order_by(Lead.id)
            .limit(1)
        )
    return None
