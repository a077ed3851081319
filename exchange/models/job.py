"""The job outbox: a job is a row written in the same transaction as the change that needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base, StrEnum
from exchange.models.enums import JobStatus
from exchange.platform import clock


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"
    __table_args__ = (sa.Index("ix_outbox_jobs_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(120))  # a name registered in exchange.platform.jobs.tasks
    args: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)  # ids and plain values only
    queue: Mapped[str] = mapped_column(sa.String(32), default="default")
    status: Mapped[JobStatus] = mapped_column(StrEnum(JobStatus), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=clock.now)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    enqueued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    # Written every JOBS_HEARTBEAT_SECONDS while the job runs; a silent running job is rerun.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
