"""Lead import benchmark: generate a realistic CRM export, import it, import it again.

    python -m bench.lead_import --rows 100000

Runs on the configured database: ``DATABASE_URL`` (PostgreSQL: a throwaway database is created on
that server and dropped afterwards) or a temporary SQLite file. Writes bench/results/lead_import.json
with rows, seconds, rows_per_second, peak_rss_mb, reimport_seconds (and the counts) of this run, and
under ``by_database`` the last run on each database.
Targets: >= 5,000 rows/s, peak RSS < 300 MB for 100,000 rows, the re-import at least as fast with
zero created. ``cpu_seconds`` is this process's CPU time for the import (the wall clock also counts
the database server's work and, on a shared machine, waiting for a core).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from bench import RESULTS, peak_rss_mb, write_result
from bench.database import empty_database

HEADER = [
    "Id", "FirstName", "LastName", "Company", "Email", "Phone", "Title", "Street", "City", "State",
    "PostalCode", "Country", "Industry", "AnnualRevenue", "NumberOfEmployees", "LeadSource", "Rating",
    "Status", "Description",
]  # fmt: skip
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Jonas", "Lena", "Max", "James", "Olivia"]
LAST = ["Müller", "Schmidt", "Weber", "Fischer", "Wagner", "Becker", "Smith", "Johnson", "Brown", "Martin"]
COMPANY = ["Werke", "Systems", "Industries", "Logistik", "Foods", "Energie", "Medical", "Bau", "Motors"]
PLACES = [
    ("Germany", "Bavaria", "München", "80331"),
    ("Deutschland", "Hessen", "Frankfurt", "60311"),
    ("Austria", "Wien", "Wien", "1010"),
    ("Switzerland", "Zürich", "Zürich", "8001"),
    ("United States", "Texas", "Austin", "73301"),
    ("United Kingdom", "England", "London", "SW1A 1AA"),
    ("France", "Île-de-France", "Paris", "75001"),
]
INDUSTRIES = ["Manufacturing", "Chemicals", "Utilities", "Healthcare", "Logistics", "Retail"]


def generate(path: Path, rows: int, seed: int = 20261123) -> None:
    """A Salesforce-style export with the dirt real files have: ~1 % bad e-mails, ~0.5 % non-numeric
    head counts, ~1 % rows repeated within the file, quoted descriptions with newlines."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            if n > 10 and rng.random() < 0.01:
                n = rng.randint(1, n - 1)  # a repeated record (same Id)
            r = random.Random(seed + n)
            first, last = r.choice(FIRST), r.choice(LAST)
            company = f"{r.choice(LAST)} {r.choice(COMPANY)} {n}"
            country, region, city, postal = r.choice(PLACES)
            email = f"{first}.{last}.{n}@example.com".lower()
            if r.random() < 0.01:
                email = email.replace("@", " at ")
            employees = str(int(r.lognormvariate(4, 1.3)) + 1) if r.random() > 0.005 else "approx. 50"
            phone = f"+49 89 {r.randint(100000, 999999)}"
            title = r.choice(["CTO", "Head of Operations", "Purchasing"])
            street = f"Hauptstr. {r.randint(1, 200)}"
            revenue = f"{r.randint(1, 900) * 100_000:,}"
            source = r.choice(["Web", "Trade Show", "Partner Referral"])
            rating = r.choice(["Hot", "Warm", "Cold", ""])
            status = r.choice(["Open - Not Contacted", "Working - Contacted"])
            description = "Interested in pumps\nfor a new plant" if r.random() < 0.2 else ""
            writer.writerow(
                [
                    f"00Q{n:09d}", first, last, company, email, phone, title, street, city, region, postal,
                    country, r.choice(INDUSTRIES), revenue, employees, source, rating, status, description,
                ]
            )  # fmt: skip


@contextlib.contextmanager
def database() -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, backend name): a throwaway PostgreSQL database, or a temporary SQLite file."""
    from exchange.platform.config import normalise_database_url

    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgres"):
        server = sa.engine.make_url(normalise_database_url(configured))
        with empty_database(server, f"lx_bench_{uuid.uuid4().hex[:8]}") as url:
            yield url, "postgresql"
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite", "sqlite"


def run_import(maker, path: Path) -> tuple[float, dict]:
    from exchange.leads import import_upload, lead_import
    from exchange.platform.extensions import db

    record = import_upload.create_import(None, maker, path, file_name=path.name, kind="cli")
    lead_import.start_import(record, run_in_background=False)
    db.session.commit()
    started, cpu = time.perf_counter(), time.process_time()
    summary = lead_import.run_import(record.id)
    summary["cpu_seconds"] = round(time.process_time() - cpu, 2)
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from exchange import create_app
    from exchange.accounts.organisations import create_manufacturer
    from exchange.platform.extensions import db

    with tempfile.TemporaryDirectory() as folder, database() as (url, backend):
        path = Path(folder) / "crm-export.csv"
        generate(path, args.rows)
        app = create_app(
            {"DATABASE_URL": url, "REDIS_URL": None, "SECRET_KEY": "bench", "UPLOAD_FOLDER": folder}
        )
        with app.app_context():
            upgrade()
            maker = create_manufacturer("Bench Maker", slug="bench-maker")
            db.session.commit()
            seconds, first = run_import(maker, path)
            reimport_seconds, second = run_import(maker, path)
            db.session.remove()
            db.engine.dispose()
    result = {
        "database": backend,
        "rows": first["rows"],
        "seconds": round(seconds, 2),
        "rows_per_second": round(first["rows"] / seconds),
        "peak_rss_mb": peak_rss_mb(),
        "created": first["created"],
        "duplicates": first["duplicates"],
        "rejected": first["rejected"],
        "cpu_seconds": first["cpu_seconds"],
        "reimport_seconds": round(reimport_seconds, 2),
        "reimport_cpu_seconds": second["cpu_seconds"],
        "reimport_rows_per_second": round(second["rows"] / reimport_seconds),
        "reimport_created": second["created"],
        "reimport_duplicates": second["duplicates"],
    }
    # The top-level keys are this run's; ``by_database`` keeps the last run on each database, so the
    # file holds the SQLite and the PostgreSQL figures side by side.
    previous = RESULTS / "lead_import.json"
    by_database = json.loads(previous.read_text()).get("by_database", {}) if previous.exists() else {}
    by_database[backend] = dict(result)
    write_result("lead_import", {**result, "by_database": by_database})


if __name__ == "__main__":
    main()
