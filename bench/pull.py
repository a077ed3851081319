"""Pull-list benchmark: ``python -m bench.pull`` (PostgreSQL, wrk, gunicorn).

Builds a scratch PostgreSQL data set (next to ``DATABASE_URL``) of ``--leads`` leads (default
1,000,000) and ``--partners`` partners (5,000) with the offers the matching engine makes for them
(top 3 per lead by the batch scorer; ``--open-share`` of the leads currently offered, the rest
history), starts gunicorn with 4 workers and drives ``GET /api/v1/partner/offers`` as many different
partners (bearer tokens) with wrk: 8 connections in a closed loop for 30 s. Then the claim path under
the same load: ``POST /api/v1/partner/offers/<id>/claim`` on distinct open offers.

Writes ``bench/results/pull.json``: ``requests_per_second``, ``p50_ms``, ``p95_ms``, ``p99_ms``,
``sql_ms`` (the bare SQL of the list page, run directly) and the claim figures. Targets on the 2-core
machine: p95 <= 50 ms and >= 300 requests/s. ``REDIS_URL`` (if set) receives the jobs claims queue,
as in production; no worker runs during the measurement.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests
import sqlalchemy as sa

from bench import peak_rss_mb, write_result
from bench.database import scratch_arguments, scratch_database
from bench.dataset import build_programme, copy_rows, lead_rows
from bench.publish import LEAD_COLUMNS

CHUNK = 20_000
OFFER_COLUMNS = [
    "lead_id",
    "partner_id",
    "manufacturer_id",
    "score",
    "components",
    "reasons",
    "explanation",
    "rank",
    "wave",
    "state",
    "visible_from",
    "claim_deadline",
    "remind_at",
    "created_at",
    "updated_at",
]

# The lead columns that are matching.LeadFacts fields of the same name.
FACT_COLUMNS = (
    "country",
    "region",
    "postal_code",
    "latitude",
    "longitude",
    "product_line_id",
    "industry",
    "employees",
)

# wrk's summary as one JSON line, which wrk() adds to every script and picks out of the output.
REPORT_SCRIPT = """\
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, '
    .. '"p50": %f, "p95": %f, "p99": %f}\\n', summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000))
end
"""

LIST_SCRIPT = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
math.randomseed(%(seed)d)
request = function()
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", "/api/v1/partner/offers?per_page=25", {["Authorization"] = "Bearer " .. token})
end
"""

CLAIM_SCRIPT = """
local pairs_ = {}
for line in io.lines("%(pairs)s") do pairs_[#pairs_ + 1] = line end
local counter, threads, id = 0, 2, 0
setup = function(thread) thread:set("id", id); id = id + 1 end
request = function()
  counter = counter + 1
  local index = (counter * threads + id) %% #pairs_ + 1
  local offer, token = pairs_[index]:match("(%%d+) (%%S+)")
  return wrk.format("POST", "/api/v1/partner/offers/" .. offer .. "/claim", {["Authorization"] = "Bearer " .. token})
end
"""


def build(db, leads: int, partners: int, open_share: float, rng: random.Random) -> dict:
    import matching
    from exchange.offers.explain import render_reasons
    from exchange.offers.match_inputs import program_settings
    from exchange.platform import clock

    now = clock.now()
    dataset = build_programme(db, partners, rng, now)
    settings = program_settings(dataset.manufacturer_id)
    prepared = matching.prepare_partners(dataset.partner_facts, settings)
    by_id = {p.id: p for p in dataset.partner_facts}
    open_every = max(1, round(1 / open_share))
    statuses = ["won", "lost", "contacted", "unclaimed", "qualified"]
    offers = 0
    for start in range(0, leads, CHUNK):
        count = min(CHUNK, leads - start)
        rows = list(lead_rows(dataset, count, random.Random(start), now))
        for n, row in enumerate(rows):
            row["status"] = "offered" if (start + n) % open_every == 0 else statuses[(start + n) % 5]
            row["current_wave"] = 1
            row["company_name"] = f"Buyer {start + n}"
        copy_rows(db, "leads", rows, LEAD_COLUMNS)
        ids = list(
            db.session.execute(
                sa.text("SELECT id FROM leads ORDER BY id DESC LIMIT :n"), {"n": count}
            ).scalars()
        )[::-1]
        facts = [
            matching.LeadFacts(
                id=lead_id,
                deal_value=float(row["estimated_value"]) if row["estimated_value"] is not None else None,
                **{name: row[name] for name in FACT_COLUMNS},
            )
            for lead_id, row in zip(ids, rows, strict=True)
        ]
        top = matching.batch_top_k(facts, prepared, settings, k=3)
        offer_rows = []
        for index, fact in enumerate(facts):
            is_open = rows[index]["status"] == "offered"
            for rank, choice in enumerate(top.choices(index), start=1):
                reasons = []
                if is_open:
                    scored = matching.score_pair(fact, by_id[choice.partner_id], settings)
                    reasons = [[r.code, dict(r.params)] for r in scored.reasons]
                state = "open" if is_open else ("claimed" if rank == 1 else "taken")
                deadline = now + __import__("datetime").timedelta(hours=rng.randint(2, 72))
                offer_rows.append(
                    {
                        "lead_id": fact.id,
                        "partner_id": choice.partner_id,
                        "manufacturer_id": dataset.manufacturer_id,
                        "score": round(choice.score, 12),
                        "components": json.dumps(choice.components),
                        "reasons": json.dumps(reasons),
                        "explanation": render_reasons(reasons) or None,
                        "rank": rank,
                        "wave": 1,
                        "state": state,
                        "visible_from": now,
                        "claim_deadline": deadline,
                        "remind_at": deadline,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        offers += copy_rows(db, "offers", offer_rows, OFFER_COLUMNS)
        db.session.commit()
        print(f"  {start + count:>9,} leads, {offers:,} offers", flush=True)
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    return {"dataset": dataset, "offers": offers}


def make_tokens(db, dataset, how_many: int, rng: random.Random) -> list[tuple[int, str]]:
    """A partner rep and a read-write token for ``how_many`` partners that have open offers."""
    from exchange.accounts.passwords import hash_password
    from exchange.platform import clock

    now = clock.now()
    with_offers = list(
        db.session.execute(sa.text("SELECT DISTINCT partner_id FROM offers WHERE state = 'open'")).scalars()
    )
    chosen = rng.sample(with_offers, min(how_many, len(with_offers)))
    password = hash_password("bench-password-not-used")
    tokens = []
    for partner_id in chosen:
        user_id = db.session.execute(
            sa.text(
                "INSERT INTO users (organisation_id, email, name, role, password_hash, is_active, session_nonce, "
                "email_notifications, digest_frequency, created_at, updated_at) VALUES (:org, :email, 'Bench Rep', "
                "'partner_rep', :pw, true, :nonce, false, 'off', :now, :now) RETURNING id"
            ),
            {
                "org": partner_id,
                "email": f"rep{partner_id}@bench.test",
                "pw": password,
                "nonce": secrets.token_urlsafe(8),
                "now": now,
            },
        ).scalar_one()
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        db.session.execute(
            sa.text(
                "INSERT INTO api_tokens (user_id, organisation_id, name, prefix, secret_hash, scope, created_at) "
                "VALUES (:user, :org, 'bench', :prefix, :hash, 'read_write', :now)"
            ),
            {
                "user": user_id,
                "org": partner_id,
                "prefix": prefix,
                "hash": hashlib.sha256(secret.encode()).hexdigest(),
                "now": now,
            },
        )
        tokens.append((partner_id, f"lx_{prefix}_{secret}"))
    db.session.commit()
    return tokens


def sql_ms(app, db, partner_ids: list[int]) -> dict:
    """The list page's SQL (page and count), compiled as the endpoint runs it, timed directly."""
    from exchange.offers.pull_list import pull_list

    page_times, count_times = [], []
    for partner_id in partner_ids:
        query = pull_list(partner_id).limit(25)
        count = sa.select(sa.func.count()).select_from(pull_list(partner_id).order_by(None).subquery())
        for statement, times in ((query, page_times), (count, count_times)):
            started = time.perf_counter()
            db.session.execute(statement).all()
            times.append((time.perf_counter() - started) * 1000)
    return {
        "sql_ms": round(float(np.median(page_times)), 2),
        "sql_count_ms": round(float(np.median(count_times)), 2),
        "sql_p95_ms": round(float(np.percentile(page_times, 95)), 2),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(database_url: str, port: int):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "EXCHANGE_EMBEDDED_SCHEDULER": "false",
        "OMP_NUM_THREADS": "1",
    }
    if not os.environ.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-w",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    break
            time.sleep(0.3)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wrk(script: str, url: str, seconds: int, connections: int = 8) -> dict:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install -y wrk)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script + REPORT_SCRIPT)
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", handle.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    result = json.loads(line[8:])
    result["requests_per_second"] = round(result["requests"] / result["seconds"], 1)
    return result


def throughput(result: dict) -> dict:
    """Requests per second and the latency percentiles (ms) of one wrk() run, as the results name them."""
    return {
        "requests_per_second": result["requests_per_second"],
        **{f"p{n}_ms": round(result[f"p{n}"], 2) for n in (50, 95, 99)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = scratch_arguments(__doc__)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--open-share", type=float, default=0.1, help="share of leads currently offered")
    parser.add_argument("--tokens", type=int, default=1000, help="partners driving the load")
    parser.add_argument("--seconds", type=int, default=30)
    args = parser.parse_args(argv)
    rng = random.Random(20261123)
    with scratch_database("bench_pull", keep=args.keep) as app:
        from exchange.platform.extensions import db

        with app.app_context():
            started = time.perf_counter()
            built = build(db, args.leads, args.partners, args.open_share, rng)
            build_seconds = time.perf_counter() - started
            tokens = make_tokens(db, built["dataset"], args.tokens, rng)
            sql = sql_ms(app, db, [partner_id for partner_id, _ in tokens[:200]])
            pairs = db.session.execute(
                sa.text(
                    "SELECT o.id, o.partner_id FROM offers o WHERE o.state = 'open' AND o.partner_id = ANY(:ids) "
                    "ORDER BY o.id"
                ),
                {"ids": [p for p, _ in tokens]},
            ).all()
            url = db.engine.url.render_as_string(hide_password=False)
        token_of = dict(tokens)
        workdir = Path(tempfile.mkdtemp())
        (workdir / "tokens.txt").write_text("\n".join(t for _, t in tokens) + "\n")
        rng.shuffle(pairs)
        (workdir / "pairs.txt").write_text("\n".join(f"{o} {token_of[p]}" for o, p in pairs) + "\n")
        port = free_port()
        with gunicorn(url, port):
            base = f"http://127.0.0.1:{port}"
            wrk(LIST_SCRIPT % {"tokens": workdir / "tokens.txt", "seed": 1}, base, 5)  # warm-up
            listing = wrk(LIST_SCRIPT % {"tokens": workdir / "tokens.txt", "seed": 2}, base, args.seconds)
            claiming = wrk(CLAIM_SCRIPT % {"pairs": workdir / "pairs.txt"}, base, min(args.seconds, 20))
    result = {
        "leads": args.leads,
        "partners": args.partners,
        "offers": built["offers"],
        "driving_partners": len(tokens),
        "build_seconds": round(build_seconds),
        "seconds": args.seconds,
        "connections": 8,
        "gunicorn_workers": 4,
        **throughput(listing),
        "errors": listing["errors"],
        "non_2xx": listing["non2xx"],
        **sql,
        "claim": {
            **throughput(claiming),
            "requests": claiming["requests"],
            "non_2xx": claiming["non2xx"],
            "open_offers_available": len(pairs),
        },
        "peak_rss_mb": peak_rss_mb(),
        "database": "postgresql",
        "jobs": "redis" if os.environ.get("REDIS_URL") else "held in the outbox",
    }
    write_result("pull", result)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
