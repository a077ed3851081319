"""Qualification: the five criteria (need, fit, budget, authority, timeframe) decide a lead's
temperature by rules each manufacturer can adjust; an imported rating stands in when no criterion is
known. Leads nobody works cool down one step per ``cooling_days_per_step`` days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from exchange.models import (
    Lead,
    LeadStatus,
    ManufacturerProgram,
    Offer,
    OfferState,
    Organisation,
    Temperature,
    User,
)
from exchange.models.offer import TEMPERATURE_PRIORITY
from exchange.platform import clock, events, unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.event_types import LeadEvent
from exchange.platform.extensions import db

CRITERIA = ("need", "fit", "budget", "authority", "timeframe")
DEFAULT_RULES: dict[str, Any] = {"hot_min": 5, "warm_min": 3, "hot_requires": [], "warm_requires": []}

# Nobody is working these: time cools them (a claimed lead is being worked by its partner).
UNWORKED_STATUSES = (
    LeadStatus.DRAFT,
    LeadStatus.PUBLISHED,
    LeadStatus.OFFERED,
    LeadStatus.RETURNED,
    LeadStatus.UNCLAIMED,
)
COOLER = {Temperature.HOT: Temperature.WARM, Temperature.WARM: Temperature.COLD}


@dataclass(frozen=True)
class QualificationRules:
    """How many criteria make a lead hot / warm, and which criteria each of them requires."""

    hot_min: int = 5
    warm_min: int = 3
    hot_requires: tuple[str, ...] = field(default_factory=tuple)
    warm_requires: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> QualificationRules:
        """Rules from stored or submitted data; raises DomainError naming the bad setting."""
        values = {**DEFAULT_RULES, **(data or {})}
        try:
            hot_min, warm_min = int(values["hot_min"]), int(values["warm_min"])
        except (TypeError, ValueError):
            raise DomainError(_("The criteria counts must be whole numbers."), field="hot_min") from None
        if not 1 <= hot_min <= 5:
            raise DomainError(_("Hot needs between 1 and 5 criteria."), field="hot_min")
        if not 0 <= warm_min <= hot_min:
            raise DomainError(_("Warm needs between 0 and as many criteria as hot."), field="warm_min")
        requires = {}
        for key in ("hot_requires", "warm_requires"):
            names = list(values.get(key) or [])
            unknown = [n for n in names if n not in CRITERIA]
            if unknown:
                raise DomainError(
                    _("Unknown criterion: %(name)s", name=", ".join(map(str, unknown))), field=key
                )
            requires[key] = tuple(n for n in CRITERIA if n in names)
        return cls(hot_min, warm_min, requires["hot_requires"], requires["warm_requires"])

    def as_dict(self) -> dict[str, Any]:
        return {
            "hot_min": self.hot_min,
            "warm_min": self.warm_min,
            "hot_requires": list(self.hot_requires),
            "warm_requires": list(self.warm_requires),
        }


def rules_for(program: ManufacturerProgram | None) -> QualificationRules:
    try:
        return QualificationRules.from_dict(program.qualification_rules if program else None)
    except DomainError:
        return QualificationRules()  # stored rules are validated on save; never fail a lead over them


def qualify(
    criteria: dict[str, bool | None], rating: str | None, rules: QualificationRules
) -> tuple[Temperature, str]:
    """The temperature for these criteria (or, when none is known, the imported rating) and why."""
    known = {name: criteria.get(name) for name in CRITERIA if criteria.get(name) is not None}
    if not known:
        if rating:
            return Temperature(rating), f"No criterion recorded; imported rating: {rating}"
        return Temperature.COLD, "No criterion recorded and no rating"
    met = [name for name in CRITERIA if criteria.get(name) is True]
    summary = f"{len(met)} of 5 criteria met ({', '.join(met) or 'none'})"
    unknown = [name for name in CRITERIA if criteria.get(name) is None]
    if unknown:
        summary += f"; unknown: {', '.join(unknown)}"
    if len(met) >= rules.hot_min and all(name in met for name in rules.hot_requires):
        return Temperature.HOT, f"{summary}; hot needs {_rule_text(rules.hot_min, rules.hot_requires)}"
    if len(met) >= rules.warm_min and all(name in met for name in rules.warm_requires):
        return Temperature.WARM, f"{summary}; warm needs {_rule_text(rules.warm_min, rules.warm_requires)}"
    return Temperature.COLD, f"{summary}; warm needs {_rule_text(rules.warm_min, rules.warm_requires)}"


def _rule_text(minimum: int, requires: tuple[str, ...]) -> str:
    text = f"{minimum}"
    if requires:
        text += f" incl. {', '.join(requires)}"
    return text


def apply_qualification(lead: Lead, rules: QualificationRules) -> tuple[Temperature | None, Temperature]:
    """Set the lead's temperature and reason from its criteria / rating. Returns (before, after)."""
    before = lead.temperature
    temperature, reason = qualify(lead.qualification, lead.imported_rating, rules)
    lead.temperature = temperature
    lead.temperature_reason = reason[:300]
    if before != temperature or lead.temperature_changed_at is None:
        lead.temperature_changed_at = clock.now()
    return before, temperature


def update_rules(
    actor: User, manufacturer: Organisation, data: dict[str, Any], *, requalify_drafts: bool = True
) -> int:
    """Store the manufacturer's qualification rules; re-qualify its draft leads when asked.
    Returns how many drafts changed temperature (each records ``lead.requalified``)."""
    rules = QualificationRules.from_dict(data)
    program = manufacturer.program
    if program is None:
        raise DomainError(_("This organisation has no partner programme."))
    program.qualification_rules = rules.as_dict()
    changed = 0
    if requalify_drafts:
        drafts = db.session.scalars(
            sa.select(Lead)
            .where(Lead.manufacturer_id == manufacturer.id, Lead.status == LeadStatus.DRAFT)
            .execution_options(yield_per=500)
        )
        for lead in drafts:
            before, after = apply_qualification(lead, rules)
            if before != after:
                changed += 1
                events.record(
                    LeadEvent.LEAD_REQUALIFIED,
                    actor=actor,
                    manufacturer_id=manufacturer.id,
                    lead_id=lead.id,
                    data={"from": before.value if before else None, "to": after.value},
                )
    db.session.flush()
    return changed


def cool_unworked_leads(batch_size: int = 500) -> dict[str, int]:
    """Periodic job: every unworked lead whose temperature has not changed for the manufacturer's
    ``cooling_days_per_step`` drops one step per period that passed (hot -> warm -> cold), recording
    ``lead.cooled``. The clock of the next step keeps running from where the last one ended."""
    now = clock.now()
    cooled = 0
    programs = db.session.execute(
        sa.select(ManufacturerProgram.manufacturer_id, ManufacturerProgram.cooling_days_per_step).where(
            ManufacturerProgram.cooling_days_per_step > 0
        )
    ).all()
    for manufacturer_id, days in programs:
        step = timedelta(days=days)
        since = sa.func.coalesce(Lead.temperature_changed_at, Lead.created_at)
        last_id = 0
        while True:
            leads = db.session.scalars(
                sa.select(Lead)
                .where(
                    Lead.manufacturer_id == manufacturer_id,
                    Lead.status.in_(UNWORKED_STATUSES),
                    Lead.temperature.in_([Temperature.HOT, Temperature.WARM]),
                    since <= now - step,
                    Lead.id > last_id,
                )
                .order_by(Lead.id)
                .limit(batch_size)
            ).all()
            if not leads:
                break
            for lead in leads:
                last_id = lead.id
                reference = lead.temperature_changed_at or lead.created_at
                steps = int((now - reference) / step)
                before, after = lead.temperature, lead.temperature
                for _step in range(steps):
                    after = COOLER.get(after, after)
                if after == before:
                    continue
                lead.temperature = after
                lead.temperature_changed_at = reference + step * steps
                # Its open offers sort with the new temperature in the partners' lists.
                db.session.execute(
                    sa.update(Offer)
                    .where(Offer.lead_id == lead.id, Offer.state == OfferState.OPEN)
                    .values(temperature_priority=TEMPERATURE_PRIORITY[after])
                    .execution_options(synchronize_session=False)
                )
                lead.temperature_reason = (
                    f"Cooled from {before.value} to {after.value}: not worked for {steps * days} days"
                )
                events.record(
                    LeadEvent.LEAD_COOLED,
                    manufacturer_id=manufacturer_id,
                    lead_id=lead.id,
                    data={"from": before.value, "to": after.value, "days": steps * days},
                )
                cooled += 1
            unit_of_work.checkpoint()  # batch by batch: the leads' locks are held for one batch only
    return {"cooled": cooled}
