"""Benchmarks. Each module is runnable (``python -m bench.<name>``) and writes bench/results/<name>.json.

``python -m bench`` (``make bench``) runs every benchmark listed in ``BENCHMARKS``.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# (module, default arguments) run by `make bench`, in order.
BENCHMARKS: list[tuple[str, list[str]]] = [
    ("bench.matching", ["--leads", "10000", "--partners", "5000"]),
    ("bench.notify", []),
    ("bench.lead_import", ["--rows", "100000"]),
    ("bench.publish", ["--leads", "10000", "--partners", "5000"]),
    ("bench.sla_sweep", ["--open", "100000"]),
    ("bench.pull", []),
    ("bench.load", []),
    ("bench.analytics", ["--leads", "1000000", "--partners", "10000"]),
]
# These measure PostgreSQL (and pull also gunicorn and wrk): skipped, with a note, without it.
NEEDS_POSTGRES = {"bench.publish", "bench.sla_sweep", "bench.pull", "bench.load", "bench.analytics"}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(usage / 1024 if sys.platform != "darwin" else usage / 1024 / 1024, 1)


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    print(json.dumps(payload, sort_keys=True))
    return path
