"""Which jobs exist, declared as data (Redash's ``tasks/schedule.py``).

``TASKS`` maps a job name to the function that runs it (``module:function``, imported when the job
runs, so this module imports nothing of the domain). Job arguments are ids and plain values.
``PERIODIC_JOBS`` lists what runs on a clock: RQ's cron in production, the in-process timer in the
embedded default.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

QUEUE_DEFAULT = "default"
QUEUE_MATCHING = "matching"
QUEUE_NOTIFY = "notify"
QUEUES = (QUEUE_DEFAULT, QUEUE_MATCHING, QUEUE_NOTIFY)

TASKS: dict[str, str] = {
    "jobs.relay": "exchange.platform.jobs.outbox:relay_outbox",
    "jobs.prune": "exchange.platform.jobs.outbox:prune_finished",
    "mail.send": "exchange.notify.mail:send_mail",
    "sla.sweep": "exchange.sla.sweep:run_sweep",
    "partners.responsiveness": "exchange.sla.responsiveness:recompute",
    "partners.responsiveness_all": "exchange.sla.responsiveness:recompute_all",
    "leads.match": "exchange.offers.matchmaking:match_leads",
    "notifications.publish": "exchange.notify.announce:publish_queued",
    "offers.rerank_unshown": "exchange.offers.matchmaking:rerank_unshown",
    "accounts.send_password_link": "exchange.accounts.password_links:send_password_link",
    "partners.rematch": "exchange.offers.matchmaking:rematch_partner",
    "notifications.send_due": "exchange.notify.delivery_jobs:send_due_notification_emails",
    "webhooks.deliver": "exchange.notify.delivery_jobs:deliver_webhook",
    "webhooks.prune": "exchange.notify.delivery_jobs:prune_webhook_deliveries",
    "leads.import": "exchange.leads.lead_import:run_import_job",
    "leads.read_upload": "exchange.leads.import_upload:read_upload_job",
    "leads.cool": "exchange.leads.qualification:cool_unworked_leads",
    "partners.import": "exchange.partners.roster_import:run_import_job",
    "partners.read_upload": "exchange.partners.roster_import:read_upload_job",
    "partners.end_pauses": "exchange.partners.availability:end_expired_pauses",
    "analytics.catch_up": "exchange.analytics.facts:catch_up",
    "analytics.rebuild": "exchange.analytics.facts:rebuild_all",
}

# Seconds a job may run before RQ stops it (and the runner retries it); JOBS_TIMEOUT_SECONDS otherwise.
# A worker that dies mid-job is noticed by the missing heartbeat, whatever the timeout.
TASK_TIMEOUTS: dict[str, int] = {
    "leads.import": 3 * 3600,
    "partners.import": 3 * 3600,
    "partners.responsiveness_all": 3600,
    "analytics.rebuild": 3 * 3600,
    "leads.match": 1800,
    "offers.rerank_unshown": 1800,
}


def task_timeout(name: str, default: int) -> int:
    return TASK_TIMEOUTS.get(name, default)


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # a key of TASKS
    interval: int | None = None  # seconds
    cron: str | None = None  # crontab expression, UTC
    queue: str = QUEUE_DEFAULT

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.cron is None):
            raise ValueError(f"{self.name}: give exactly one of interval or cron")


PERIODIC_JOBS: list[PeriodicJob] = [
    # Hand over jobs that waited in the outbox (queue down at commit time, retries that are due).
    PeriodicJob("jobs.relay", interval=30),
    # Reminders, breaches, recycling, lapsed waves: every minute.
    PeriodicJob("sla.sweep", interval=60),
    PeriodicJob("jobs.prune", cron="17 3 * * *"),
    # Nightly: every partner's responsiveness figures, then a re-rank of offers nobody has seen yet.
    PeriodicJob("partners.responsiveness_all", cron="40 2 * * *"),
    # Notification e-mails that are due: hourly and daily digests, and any immediate one left over.
    PeriodicJob("notifications.send_due", interval=60, queue=QUEUE_NOTIFY),
    PeriodicJob("webhooks.prune", cron="37 3 * * *"),
    # Leads nobody works cool down (hot -> warm -> cold) by the manufacturer's days per step.
    PeriodicJob("leads.cool", cron="41 * * * *"),
    # Pauses whose date has passed: cleared and the partner re-matched (leads that waited get offered).
    PeriodicJob("partners.end_pauses", interval=300),
    # The analytics read model: rows for published leads that have none, and a nightly rebuild of all.
    PeriodicJob("analytics.catch_up", interval=300),
    PeriodicJob("analytics.rebuild", cron="10 2 * * *"),
]


def resolve_task(name: str) -> Callable[..., Any]:
    try:
        target = TASKS[name]
    except KeyError:
        raise LookupError(f"unknown job {name!r}") from None
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)
