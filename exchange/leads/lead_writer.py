"""Validating, de-duplicating and writing leads a batch at a time: for the file import job and API batches.

``LeadWriter`` validates rows with ``LeadInputSchema``, recognises duplicates (source id, else
normalised e-mail + company; within the batch stream and against existing leads, with one query per
batch) and writes a batch with multi-row inserts (``exchange.leads.bulk_insert``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from exchange.leads.bulk_insert import insert_leads, insert_rows
from exchange.leads.intake.headers import CRITERIA
from exchange.leads.intake.schema import LEAD_COLUMNS, LeadInputSchema
from exchange.leads.lifecycle import HISTORY_ONLY, publish_leads
from exchange.leads.lookups import LeadReferences, dedupe_key, normalise_company
from exchange.leads.qualification import qualify, rules_for
from exchange.models import Event, Lead, LeadStatus, Organisation, User
from exchange.platform import clock
from exchange.platform.errors import DomainError
from exchange.platform.event_types import LeadEvent
from exchange.platform.events import actor_kind
from exchange.platform.extensions import db

# Lead columns an import may change on an existing draft.
UPDATABLE = (*LEAD_COLUMNS, "campaign_id", "product_line_id", "imported_rating")


@dataclass
class RowResult:
    row: int  # the spreadsheet row (the header is row 1), or the item's index in an API batch
    status: str  # created, updated, duplicate or rejected
    lead_id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _flat_messages(messages: Any) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for name, value in (messages or {}).items():
        if isinstance(value, dict):
            value = [str(v) for v in value.values()]
        flat[name] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat


class LeadWriter:
    """Validates, de-duplicates and writes leads for one manufacturer, a batch at a time.

    Duplicates: an existing lead with the row's source id, else with its normalised e-mail + company
    (or phone + company without an e-mail). A duplicate that is still a draft and differs is
    updated; otherwise it is counted and left alone. Within one writer the first row wins.
    """

    def __init__(
        self,
        manufacturer: Organisation,
        *,
        actor: User | None = None,
        kind: str | None = None,
        number_format: str = "en",
        fields: Sequence[str] | None = None,
        default_campaign_id: int | None = None,
        publish: bool = False,
        event_type: LeadEvent = LeadEvent.LEAD_IMPORTED,
        event_data: dict[str, Any] | None = None,
    ) -> None:
        only = None
        if fields is not None:
            only = sorted(set(fields) | {"company_name"})
        self.schema = LeadInputSchema(number_format=number_format, only=only)
        self.fields = frozenset(self.schema.fields)
        self.compared = self._compared_columns(fields, default_campaign_id is not None)
        self.manufacturer = manufacturer
        self.actor = actor
        self.kind = kind or ("system" if actor is None else None)
        self.default_campaign_id = default_campaign_id
        self.publish = publish
        self.event_type = event_type
        self.event_data = event_data or {}
        self.references = LeadReferences(manufacturer, actor)
        self.rules = rules_for(manufacturer.program)
        self.currency = manufacturer.program.currency if manufacturer.program else "EUR"
        # What earlier rows of this run claimed: source id / dedupe key / lead id -> lead id.
        self.seen_source_ids: dict[str, int | None] = {}
        self.seen_keys: dict[str, int | None] = {}
        self.seen_leads: set[int] = set()

    @staticmethod
    def _compared_columns(fields: Sequence[str] | None, default_campaign: bool) -> tuple[str, ...]:
        """The lead columns a row can change, plus what re-qualifying and the dedupe key need; a
        file with 8 columns does not fetch 30 per existing lead."""
        if fields is None:
            return UPDATABLE
        wanted = set(fields) | {
            "source_id",
            "contact_email",
            "company_name",
            "contact_phone",
            "imported_rating",
            *CRITERIA,
        }
        if "campaign" in wanted or default_campaign:
            wanted.add("campaign_id")
        if {"product_interest", "product_line"} & wanted:
            wanted.add("product_line_id")
        return tuple(c for c in UPDATABLE if c in wanted)

    def _actor_kind(self) -> str:
        if self.kind:
            return self.kind

        return actor_kind()

    def write(self, records: Sequence[tuple[int, dict[str, Any]]]) -> list[RowResult]:
        """Validate and write one batch. Flushes; the caller commits."""
        results: list[RowResult] = []
        pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]] = []
        later: list[tuple[RowResult, str | None, str | None]] = []
        for row, raw in records:
            result = RowResult(row=row, status="rejected")
            results.append(result)
            # Empty cells are left out of validation (nothing to check) and come back as None.
            given = {k: v for k, v in raw.items() if (v is not None and v != "") or k not in self.fields}
            if "company_name" in raw:
                given["company_name"] = raw["company_name"]  # required: its absence is an error
            try:
                data = self.schema.load(given)
            except ma.ValidationError as error:
                result.errors = _flat_messages(error.messages)
                continue
            for name in raw.keys() - data.keys():
                data[name] = None
            if (
                self.default_campaign_id is not None
                and not data.get("campaign")
                and not data.get("campaign_id")
            ):
                data.pop("campaign", None)
                data["campaign_id"] = self.default_campaign_id
            try:
                self.references.resolve(data)
            except DomainError as error:
                result.errors = {error.field or "_schema": [error.message]}
                continue
            history = {key: data.pop(key) for key in HISTORY_ONLY if key in data}
            if "rating" in data:
                data["imported_rating"] = data.pop("rating")
            source_id = data.get("source_id")
            key = dedupe_key(data.get("contact_email"), data.get("company_name"), data.get("contact_phone"))
            if (source_id and source_id in self.seen_source_ids) or (key and key in self.seen_keys):
                result.status = "duplicate"
                later.append((result, source_id, key))  # the earlier row's lead may be written below
                continue
            if source_id:
                self.seen_source_ids[source_id] = None
            if key:
                self.seen_keys[key] = None
            data["dedupe_key"] = key
            pending.append((result, data, history))
        if pending:
            self._write_valid(pending)
        for result, source_id, key in later:
            result.lead_id = (self.seen_source_ids.get(source_id) if source_id else None) or (
                self.seen_keys.get(key) if key else None
            )
        return results

    def _existing(self, pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]]) -> tuple[dict, dict]:
        source_ids = {data["source_id"] for _r, data, _h in pending if data.get("source_id")}
        keys = {data["dedupe_key"] for _r, data, _h in pending if data.get("dedupe_key")}
        by_source: dict[str, dict[str, Any]] = {}
        by_key: dict[str, dict[str, Any]] = {}
        columns = [Lead.id, Lead.status, Lead.temperature, Lead.dedupe_key]
        columns += [getattr(Lead, c) for c in self.compared]
        mine = Lead.manufacturer_id == self.manufacturer.id
        # One statement, two index lookups (an OR of the two would scan all the manufacturer's leads).
        selects = []
        if source_ids:
            selects.append(sa.select(*columns).where(mine, Lead.source_id.in_(source_ids)))
        if keys:
            selects.append(sa.select(*columns).where(mine, Lead.dedupe_key.in_(keys)))
        if not selects:
            return by_source, by_key
        statement = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        rows = db.session.execute(statement)
        for row in rows:
            existing = dict(row._mapping)
            if existing["source_id"]:
                by_source.setdefault(existing["source_id"], existing)
            if existing["dedupe_key"]:
                # The oldest lead wins when several share a key.
                known = by_key.get(existing["dedupe_key"])
                if known is None or existing["id"] < known["id"]:
                    by_key[existing["dedupe_key"]] = existing
        return by_source, by_key

    def _write_valid(self, pending: list[tuple[RowResult, dict[str, Any], dict[str, Any]]]) -> None:
        by_source, by_key = self._existing(pending)
        now = clock.now()
        creates: list[tuple[RowResult, dict[str, Any], dict[str, Any]]] = []
        updates: list[tuple[RowResult, dict[str, Any], list[str], dict[str, Any]]] = []
        for result, data, history in pending:
            existing = by_source.get(data.get("source_id") or "") or by_key.get(data.get("dedupe_key") or "")
            if existing is None:
                creates.append((result, data, history))
                continue
            result.lead_id = existing["id"]
            self._remember(data, existing["id"])
            if existing["id"] in self.seen_leads or existing["status"] != LeadStatus.DRAFT:
                result.status = "duplicate"
                continue
            self.seen_leads.add(existing["id"])
            change = self._changes(existing, data, now)
            if change is None:
                result.status = "duplicate"
            else:
                result.status = "updated"
                updates.append((result, change, sorted(k for k in change if k in data), existing))
        kind = self._actor_kind()
        actor_id = self.actor.id if self.actor else None
        events: list[dict[str, Any]] = []
        if creates:
            rows = [self._new_row(data, now) for _r, data, _h in creates]
            ids = insert_leads(rows)
            for (result, data, history), lead_id, row in zip(creates, ids, rows, strict=True):
                result.status = "created"
                result.lead_id = lead_id
                self._remember(data, lead_id)
                self.seen_leads.add(lead_id)
                payload = {**self.event_data, "row": result.row, "temperature": row["temperature"].value}
                payload.update({k: v for k, v in history.items() if v})
                events.append(self._event(self.event_type, lead_id, payload, kind, actor_id, now))
        if updates:
            db.session.execute(
                sa.update(Lead), [{"id": r.lead_id, **change} for r, change, _f, _e in updates]
            )
            for result, change, changed_fields, existing in updates:
                payload = {**self.event_data, "row": result.row, "fields": changed_fields}
                if "temperature" in change and change["temperature"] != existing["temperature"]:
                    payload["temperature"] = {
                        "from": existing["temperature"].value,
                        "to": change["temperature"].value,
                    }
                events.append(
                    self._event(LeadEvent.LEAD_UPDATED, result.lead_id, payload, kind, actor_id, now)
                )
        if events:
            insert_rows(Event.__table__, events)
        if self.publish and creates:
            created_ids = [r.lead_id for r, _d, _h in creates]
            leads = db.session.scalars(sa.select(Lead).where(Lead.id.in_(created_ids))).all()
            publish_leads(self.actor, leads, kind=self.kind)

    def _remember(self, data: dict[str, Any], lead_id: int) -> None:
        if data.get("source_id"):
            self.seen_source_ids[data["source_id"]] = lead_id
        if data.get("dedupe_key"):
            self.seen_keys[data["dedupe_key"]] = lead_id

    def _event(
        self, type_: LeadEvent, lead_id: int | None, data: dict, kind: str, actor_id: int | None, now
    ) -> dict:
        return {
            "type": type_.value,
            "occurred_at": now,
            "manufacturer_id": self.manufacturer.id,
            "partner_id": None,
            "lead_id": lead_id,
            "offer_id": None,
            "claim_id": None,
            "actor_user_id": actor_id,
            "actor_kind": kind,
            "data": data,
        }

    def _new_row(self, data: dict[str, Any], now) -> dict[str, Any]:
        row: dict[str, Any] = {name: data.get(name) for name in UPDATABLE}
        row["currency"] = row["currency"] or self.currency
        temperature, reason = qualify(data, data.get("imported_rating"), self.rules)
        row.update(
            manufacturer_id=self.manufacturer.id,
            created_by_id=self.actor.id if self.actor else None,
            dedupe_key=data.get("dedupe_key"),
            temperature=temperature,
            temperature_reason=reason[:300],
            temperature_changed_at=now,
            status=LeadStatus.DRAFT,
            created_at=now,
            updated_at=now,
        )
        return row

    def _changes(self, existing: dict[str, Any], data: dict[str, Any], now) -> dict[str, Any] | None:
        """The columns to set on an existing draft, or None when the row says nothing new."""
        change = {}
        for name in self.compared:
            if name not in data:
                continue
            value = data[name]
            if name == "currency" and value is None:
                continue
            if name == "contact_email" and value and (existing[name] or "").lower() == value.lower():
                continue  # the same address in other letters: not worth an update
            if name == "company_name" and normalise_company(existing[name] or "") == normalise_company(value):
                continue
            if existing[name] != value:
                change[name] = value
        if not change:
            return None
        merged = {**existing, **change}
        key = dedupe_key(merged.get("contact_email"), merged.get("company_name"), merged.get("contact_phone"))
        if key != existing["dedupe_key"]:
            change["dedupe_key"] = key
        temperature, reason = qualify(merged, merged.get("imported_rating"), self.rules)
        change["temperature_reason"] = reason[:300]
        if temperature != existing["temperature"]:
            change["temperature"] = temperature
            change["temperature_changed_at"] = now
        change["updated_at"] = now
        return change
