"""Mixed load on the production setup: ``python -m bench.load`` (``make load``).

Starts what ``make prod-smoke`` starts (``bench.stack``: gunicorn serving ``wsgi:app``, ``flask
worker`` x2, ``flask cron``, a fresh PostgreSQL database, a Redis of its own), seeds one manufacturer
with ``LOAD_PARTNERS`` partners (API tokens) and ``LOAD_LEADS`` published leads, then for
``LOAD_SECONDS`` (default 60) ``LOAD_CLIENTS`` (default 8) clients on loopback each loop over:

- ``pull``: ``GET /api/v1/partner/offers`` as a random partner;
- ``claim``: ``POST /api/v1/partner/offers/{id}/claim`` on an offer from that pull list;
- ``contact`` and ``status``: ``POST /api/v1/partner/leads/{id}/contacts`` (the first call), then
  ``POST /api/v1/partner/leads/{id}/status`` moving the claim on (meeting, qualified, proposal, won);

while one more client imports and publishes ``LOAD_IMPORT_BATCH`` leads every
``LOAD_IMPORT_EVERY`` seconds through the batch API (matching runs on the workers) and the cron runs
the SLA sweep every minute. A claim answered 409 (another partner was first) or 422 (at capacity) is
an outcome, counted as refused; an error is anything else that is not 2xx, or no answer at all.

Writes ``bench/results/load.json``: per operation the count, throughput, p50 and p95 in ms and the
errors; the total errors must be 0 (the exit status says so).
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from collections import defaultdict
from typing import Any

import numpy as np
import requests
import sqlalchemy as sa

from bench import write_result
from bench.stack import StackError, app_for, lead_item, production_stack, seed_programme

SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "8"))
PARTNERS = int(os.environ.get("LOAD_PARTNERS", "20"))
LEADS = int(os.environ.get("LOAD_LEADS", "600"))
IMPORT_BATCH = int(os.environ.get("LOAD_IMPORT_BATCH", "100"))
IMPORT_EVERY = float(os.environ.get("LOAD_IMPORT_EVERY", "5"))
STEPS = ["contact", "meeting", "qualified", "proposal", "won"]  # contact: POST .../contacts


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.refused: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def call(
        self, op: str, session: requests.Session, method: str, url: str, ok: tuple[int, ...], refused=(), **kw
    ) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = session.request(method, url, timeout=30, **kw)
        except requests.RequestException as error:
            with self.lock:
                self.errors[op] += 1
                self.samples.append(f"{op}: {error}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies[op].append(elapsed)
            if response.status_code in refused:
                self.refused[op] += 1
            elif response.status_code not in ok:
                self.errors[op] += 1
                if len(self.samples) < 20:
                    self.samples.append(f"{op} {method} {url}: {response.status_code} {response.text[:200]}")
        return response


def client_loop(base: str, tokens: list[str], recorder: Recorder, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    sessions = {}
    claims: dict[str, list[tuple[int, int]]] = defaultdict(list)  # token -> [(claim id, next step)]
    while not stop.is_set():
        token = rng.choice(tokens)
        session = sessions.get(token)
        if session is None:
            session = sessions[token] = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        roll = rng.random()
        mine = claims[token]
        if mine and roll < 0.35:
            index = rng.randrange(len(mine))
            claim_id, step = mine[index]
            if step == 0:  # the first contact, then the status moves on
                op, path, body = "contact", "contacts", {"channel": "call", "note": "first call"}
                ok: tuple[int, ...] = (201,)
            else:
                op, path, body, ok = "status", "status", {"status": STEPS[step]}, (200,)
                if STEPS[step] == "won":
                    body.update(amount="12000.00", currency="EUR")
            answered = recorder.call(
                op, session, "POST", f"{base}/api/v1/partner/leads/{claim_id}/{path}", ok, json=body
            )
            if answered is not None:
                if step + 1 < len(STEPS):
                    mine[index] = (claim_id, step + 1)
                else:
                    mine.pop(index)
            continue
        response = recorder.call("pull", session, "GET", f"{base}/api/v1/partner/offers?per_page=25", (200,))
        if response is None or response.status_code != 200 or roll > 0.75:
            continue
        items = response.json()["items"]
        if not items:
            continue
        offer = rng.choice(items[:5])
        claimed = recorder.call(
            "claim", session, "POST", f"{base}/api/v1/partner/offers/{offer['id']}/claim", (201,), (409, 422)
        )
        if claimed is not None and claimed.status_code == 201:
            mine.append((claimed.json()["id"], 0))


def import_loop(base: str, token: str, recorder: Recorder, stop: threading.Event) -> int:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    n = 0
    while not stop.wait(IMPORT_EVERY):
        items = [lead_item(100_000 + n + i, "load") for i in range(IMPORT_BATCH)]
        n += IMPORT_BATCH
        response = recorder.call(
            "import", session, "POST", f"{base}/api/v1/leads/batch", (200,), json={"items": items}
        )
        if response is None or response.status_code != 200:
            continue
        ids = [item["id"] for item in response.json()["results"] if item["status"] == "created"]
        if ids:
            recorder.call(
                "publish", session, "POST", f"{base}/api/v1/leads/publish", (200,), json={"ids": ids}
            )
    return n


def seed_leads(base: str, token: str, count: int) -> list[int]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    ids: list[int] = []
    for start in range(0, count, 200):
        items = [lead_item(start + i, "seed") for i in range(min(200, count - start))]
        response = session.post(f"{base}/api/v1/leads/batch", json={"items": items}, timeout=120)
        response.raise_for_status()
        batch = [item["id"] for item in response.json()["results"] if item["status"] == "created"]
        session.post(f"{base}/api/v1/leads/publish", json={"ids": batch}, timeout=120).raise_for_status()
        ids += batch
    return ids


def summarise(recorder: Recorder, seconds: float) -> dict[str, Any]:
    operations = {}
    for op in sorted(set(recorder.latencies) | set(recorder.errors)):
        times = recorder.latencies.get(op, [])
        operations[op] = {
            "count": len(times),
            "per_second": round(len(times) / seconds, 1),
            "p50_ms": round(float(np.percentile(times, 50)), 1) if times else None,
            "p95_ms": round(float(np.percentile(times, 95)), 1) if times else None,
            "errors": recorder.errors.get(op, 0),
            "refused": recorder.refused.get(op, 0),
        }
    total = sum(op["count"] for op in operations.values())
    return {
        "requests": total,
        "requests_per_second": round(total / seconds, 1),
        "errors": sum(recorder.errors.values()),
        "operations": operations,
    }


def main() -> int:
    web_workers = int(os.environ.get("STACK_WEB_WORKERS", "2"))
    workers = int(os.environ.get("STACK_WORKERS", "2"))
    try:
        with production_stack("load") as stack:
            programme = seed_programme(app_for(stack), partners=PARTNERS, slug="load", capacity=100_000)
            stack.start_portal(web_workers=web_workers, workers=workers)
            base = stack.base_url
            print(f"stack up at {base}; seeding {LEADS} published leads", flush=True)
            seed_leads(base, programme.maker_token, LEADS)
            app = app_for(stack)
            deadline = time.monotonic() + 120
            with app.app_context():
                from exchange.platform.extensions import db

                while db.session.scalar(sa.text("SELECT count(*) FROM offers WHERE state = 'open'")) < LEADS:
                    db.session.rollback()
                    stack.check_alive()
                    if time.monotonic() > deadline:
                        raise StackError("the seeded leads were not offered within 120 s")
                    time.sleep(1)
                db.session.rollback()
                sweeps_before = db.session.scalar(
                    sa.text("SELECT count(*) FROM outbox_jobs WHERE task = 'sla.sweep' AND status = 'done'")
                )
                db.session.rollback()
            print(f"load: {CLIENTS} clients for {SECONDS} s, imports of {IMPORT_BATCH} every {IMPORT_EVERY} s",
                  flush=True)  # fmt: skip
            recorder = Recorder()
            stop = threading.Event()
            tokens = [token for _, token in programme.partners]
            threads = [
                threading.Thread(target=client_loop, args=(base, tokens, recorder, stop, n), daemon=True)
                for n in range(CLIENTS)
            ]
            imported: list[int] = []
            threads.append(
                threading.Thread(
                    target=lambda: imported.append(import_loop(base, programme.maker_token, recorder, stop)),
                    daemon=True,
                )
            )
            load_before = os.getloadavg()[0]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            time.sleep(SECONDS)
            stop.set()
            for thread in threads:
                thread.join(60)
            elapsed = time.monotonic() - started
            stack.check_alive()
            with app.app_context():
                jobs = dict(
                    db.session.execute(
                        sa.text("SELECT status, count(*) FROM outbox_jobs GROUP BY status")
                    ).all()
                )
                sweeps = (
                    db.session.scalar(
                        sa.text(
                            "SELECT count(*) FROM outbox_jobs WHERE task = 'sla.sweep' AND status = 'done'"
                        )
                    )
                    - sweeps_before
                )
                db.session.rollback()
                db.engine.dispose()
    except StackError as error:
        print(f"bench.load FAILED: {error}", file=sys.stderr)
        return 1
    result = {
        "seconds": SECONDS,
        "clients": CLIENTS,
        "partners": PARTNERS,
        "seeded_leads": LEADS,
        "imported_during_load": imported[0] if imported else 0,
        "gunicorn_workers": web_workers,
        "rq_workers": workers,
        "sla_sweeps_during_load": sweeps,
        "jobs_failed": jobs.get("failed", 0),
        **summarise(recorder, elapsed),
        "machine_load_average_before": round(load_before, 1),
        "cpu_cores": os.cpu_count(),
        "command": "python -m bench.load",
    }
    if recorder.samples:
        result["error_samples"] = recorder.samples[:10]
    write_result("load", result)
    if result["errors"]:
        print(f"bench.load: {result['errors']} error(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
