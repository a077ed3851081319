"""Run every benchmark in ``bench.BENCHMARKS``, each in its own process (so peak RSS is its own)."""

from __future__ import annotations

import os
import subprocess
import sys

from bench import BENCHMARKS, NEEDS_POSTGRES


def main() -> int:
    if not BENCHMARKS:
        print("no benchmarks registered yet")
        return 0
    failed = []
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    for module, args in BENCHMARKS:
        if module in NEEDS_POSTGRES and not on_postgres:
            print(
                f"== skipping {module}: it measures PostgreSQL (set DATABASE_URL=postgresql://...)",
                flush=True,
            )
            continue
        print(f"== python -m {module} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", module, *args], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
