"""Production smoke test: ``make prod-smoke`` (``python -m bench.prod_smoke``).

Starts the production setup on this machine (see ``bench.stack``: gunicorn serving ``wsgi:app``,
``flask worker`` x2, ``flask cron``, a fresh PostgreSQL database, a Redis of its own) and drives one
journey over HTTP with API tokens:

1. a manufacturer imports two leads (``POST /api/v1/leads/batch``);
2. Redis is stopped; the manufacturer publishes them (the jobs wait in the outbox); Redis is started
   again, empty: worker and cron reconnect, the cron hands the jobs over again;
3. the offers appear in the partners' pull lists;
4. partner 1 registers a webhook (a receiver in this script; loopback is allowed only here, with
   ``EXCHANGE_WEBHOOK_ALLOW_HTTP_LOCALHOST``) and claims lead A; the ``lead.claimed`` delivery arrives
   with a valid signature;
5. partner 1 claims lead B and never contacts the buyer; its first-contact deadline is moved into the
   past (the SQL stands in for the hours passing) and ``flask sla sweep`` breaches the claim and
   recycles the lead to partner 2;
6. nothing was lost: every job is done, none failed; ``/healthz`` says ok.

Environment: ``DATABASE_URL`` (the PostgreSQL server; default ``postgresql://postgres@127.0.0.1:5432/
postgres``), ``STACK_WEB_WORKERS`` (2), ``STACK_WORKERS`` (2), ``STACK_REDIS_DB`` (0),
``SMOKE_TIMEOUT_SECONDS`` (60 per wait). Exits 0 when every step passed, 1 with the failed step and the
processes' last log lines otherwise. Every process it started is killed at the end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import sqlalchemy as sa

from bench.stack import StackError, app_for, free_port, lead_item, production_stack, seed_programme

WAIT = float(os.environ.get("SMOKE_TIMEOUT_SECONDS", "60"))


class Receiver:
    """A webhook receiver on a free loopback port that keeps what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"headers": dict(self.headers), "body": body})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/exchange"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signature_valid(secret: str, headers: dict[str, str], body: bytes) -> bool:
    timestamp = headers["X-Exchange-Timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + digest, headers["X-Exchange-Signature"])


def wait_for(what: str, check: Callable[[], Any], stack, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        stack.check_alive()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise StackError(f"timed out after {timeout:.0f} s waiting for: {what}")
        time.sleep(0.5)


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect: int | tuple[int, ...] = 200, **kwargs: Any) -> Any:
        response = self.session.request(method, self.base + path, timeout=30, **kwargs)
        expected = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in expected:
            raise StackError(
                f"{method} {path}: {response.status_code} (expected {expect}): {response.text[:500]}"
            )
        return response.json() if response.content else None


def step(n: int, text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {n}. {text}", flush=True)


def journey(stack, programme, receiver: Receiver) -> dict[str, Any]:
    maker = Api(stack.base_url, programme.maker_token)
    (_p1, p1_token), (_p2, p2_token) = programme.partners[:2]
    partner1, partner2 = Api(stack.base_url, p1_token), Api(stack.base_url, p2_token)

    step(1, "import two leads through the batch API")
    result = maker.call("POST", "/api/v1/leads/batch", json={"items": [lead_item(1, "a"), lead_item(2, "b")]})
    ids = [item["id"] for item in result["results"] if item["status"] == "created"]
    if len(ids) != 2:
        raise StackError(f"import did not create two leads: {result}")
    lead_a, lead_b = ids

    step(2, "Redis stopped; publish; Redis started again (empty)")
    stack.stop_redis()
    started = time.monotonic()
    published = maker.call("POST", "/api/v1/leads/publish", json={"ids": ids})
    if sorted(published["done"]) != sorted(ids):
        raise StackError(f"publish did not take both leads: {published}")
    health = requests.get(stack.base_url + "/healthz", timeout=10).json()
    if health.get("status") != "degraded":
        raise StackError(f"/healthz should say degraded while Redis is down: {health}")
    time.sleep(2)
    stack.start_redis()

    step(3, "the offers appear in both partners' pull lists")

    def offers_of(api: Api) -> dict[int, int]:
        items = api.call("GET", "/api/v1/partner/offers?per_page=100")["items"]
        return {item["lead"]["id"]: item["id"] for item in items}

    def offered() -> dict[int, tuple[Api, int]]:
        found: dict[int, tuple[Api, int]] = {}
        for api in (partner1, partner2):
            for lead_id, offer_id in offers_of(api).items():
                found.setdefault(lead_id, (api, offer_id))
        return found

    wait_for("offers for both leads", lambda: set(ids) <= set(offered()), stack)
    offers_after = time.monotonic() - started
    offers = offered()
    holder_a, offer_a = offers[lead_a]
    holder_b, offer_b = offers[lead_b]
    other_b = partner2 if holder_b is partner1 else partner1

    step(4, "a partner registers a webhook and claims lead A through the API")
    endpoint = holder_a.call(
        "POST", "/api/v1/partner/webhooks", expect=201, json={"url": receiver.url, "events": ["lead.claimed"]}
    )
    secret = endpoint["secret"]
    claim_a = holder_a.call("POST", f"/api/v1/partner/offers/{offer_a}/claim", expect=201)
    delivery = wait_for(
        "the lead.claimed webhook",
        lambda: next(
            (r for r in receiver.received if r["headers"].get("X-Exchange-Event") == "lead.claimed"), None
        ),
        stack,
    )
    if not signature_valid(secret, delivery["headers"], delivery["body"]):
        raise StackError(f"the webhook's signature does not verify: {delivery['headers']}")
    payload = json.loads(delivery["body"])
    if payload["lead"]["id"] != lead_a or not payload["lead"].get("contact_details_included"):
        raise StackError(f"unexpected webhook payload: {payload}")

    step(5, "a partner claims lead B, misses first contact; the sweep recycles it to the other")
    claim_b = holder_b.call("POST", f"/api/v1/partner/offers/{offer_b}/claim", expect=201)
    app = app_for(stack)
    with app.app_context():
        from exchange.platform.extensions import db

        moved = db.session.execute(
            sa.text(
                "UPDATE claims SET first_contact_deadline = now() - interval '1 minute', "
                "first_contact_remind_at = now() - interval '2 minutes' WHERE lead_id = :lead AND status = 'active'"
            ),
            {"lead": lead_b},
        ).rowcount
        db.session.commit()
        db.engine.dispose()
    if moved != 1:
        raise StackError(f"lead B has no active claim to breach ({claim_b})")
    sweep = json.loads(stack.flask("sla", "sweep").strip().splitlines()[-1])
    if sweep["breached"] < 1 or sweep["recycled"] < 1:
        raise StackError(f"the sweep did not breach and recycle lead B: {sweep}")
    wait_for("lead B offered to the other partner", lambda: lead_b in offers_of(other_b), stack)
    lead = maker.call("GET", f"/api/v1/leads/{lead_b}")
    if lead["status"] != "offered":
        raise StackError(f"lead B is not on offer again after the breach: {lead['status']}")
    if "contact_email" not in json.dumps(claim_a):
        raise StackError(f"the claim did not answer with the contact details: {claim_a}")

    step(6, "nothing lost: every job done, none failed; /healthz ok")

    def settled() -> dict[str, int] | None:
        with app.app_context():
            from exchange.platform.extensions import db

            counts = dict(
                db.session.execute(
                    sa.text(
                        "SELECT status, count(*) FROM outbox_jobs WHERE status <> 'pending' OR run_after <= now() "
                        "GROUP BY status"
                    )
                ).all()
            )
            db.session.rollback()
        busy = sum(counts.get(status, 0) for status in ("pending", "enqueued", "running"))
        return None if busy else counts

    counts = wait_for("every job to finish", settled, stack)
    with app.app_context():
        from exchange.platform.extensions import db

        db.engine.dispose()
    if counts.get("failed"):
        raise StackError(f"{counts['failed']} job(s) failed: {counts}")
    health = requests.get(stack.base_url + "/healthz", timeout=10).json()
    if health.get("status") != "ok":
        raise StackError(f"/healthz is not ok at the end: {health}")
    return {"jobs": counts, "offers_after_redis_restart_seconds": round(offers_after, 1)}


def main() -> int:
    started = time.monotonic()
    receiver = Receiver()
    try:
        with production_stack("smoke", extra_env={"EXCHANGE_WEBHOOK_ALLOW_HTTP_LOCALHOST": "true"}) as stack:
            try:
                programme = seed_programme(app_for(stack))
                stack.start_portal(
                    web_workers=int(os.environ.get("STACK_WEB_WORKERS", "2")),
                    workers=int(os.environ.get("STACK_WORKERS", "2")),
                )
                print(
                    f"production stack up: gunicorn {stack.base_url}, 2 x flask worker, flask cron, "
                    f"redis :{stack.redis_port}, database {stack.database_url.rsplit('/', 1)[-1]}",
                    flush=True,
                )
                summary = journey(stack, programme, receiver)
            except Exception:
                for process in stack.processes:
                    print(f"--- {process.name} (last lines of its log)\n{process.tail()}", file=sys.stderr)
                raise
    except StackError as error:
        print(f"prod-smoke FAILED: {error}", file=sys.stderr)
        return 1
    finally:
        receiver.close()
    print(f"prod-smoke passed in {time.monotonic() - started:.0f} s: {json.dumps(summary)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
