"""A bulk import of leads from a file: who, what file, how its columns map, and how far it got."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base, StrEnum, TimestampMixin


class ImportStatus(enum.StrEnum):
    READING = "reading"  # uploaded; the ``leads.read_upload`` job detects how to read and map it
    UPLOADED = "uploaded"  # read and mapped; waiting for the user to start it
    QUEUED = "queued"  # the job is in the outbox
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the file could not be read to the end (see ``message``)


class LeadImport(TimestampMixin, Base):
    __tablename__ = "lead_imports"
    __table_args__ = (sa.Index("ix_lead_imports_manufacturer_created", "manufacturer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(sa.String(16), default="user")  # user (browser) or cli
    # What the file holds: ``leads``, or ``partners`` (a partner list; see exchange.partners).
    kind: Mapped[str] = mapped_column(sa.String(16), default="leads", server_default="leads")
    # Kind-specific choices (partners: ``{"invite": true}``).
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)

    file_name: Mapped[str] = mapped_column(sa.String(255))  # as the user named it (display only)
    stored_path: Mapped[str] = mapped_column(sa.String(1000))  # where the application reads it
    file_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    file_format: Mapped[str] = mapped_column(sa.String(8))  # csv or xlsx
    # How the file is read: encoding, delimiter, number format (detected; the user may change them).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # One entry per column: the lead field it fills, or null (not imported).
    mapping: Mapped[list[str | None]] = mapped_column(sa.JSON, default=list)
    publish: Mapped[bool] = mapped_column(default=False)  # publish the created leads when done

    status: Mapped[ImportStatus] = mapped_column(StrEnum(ImportStatus), default=ImportStatus.UPLOADED)
    total_rows: Mapped[int | None]
    rows_done: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    duplicate_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors as [row, column, message] (all of them are in the rejected-rows file).
    errors: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    rejected_path: Mapped[str | None] = mapped_column(sa.String(1000))
    # Bytes of the rejected-rows file that belong to committed batches (a resumed run cuts the rest).
    rejected_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    message: Mapped[str | None] = mapped_column(sa.Text)  # why it failed
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, int(self.rows_done * 100 / self.total_rows))
