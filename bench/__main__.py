"""Run every benchmark in ``bench.BENCHMARKS``, each in its own process (so peak RSS is its own)."""

from __future__ import annotations

import subprocess
import sys

from bench import BENCHMARKS


def main() -> int:
    if not BENCHMARKS:
        print("no benchmarks registered yet")
        return 0
    failed = []
    for module, args in BENCHMARKS:
        print(f"== python -m {module} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", module, *args], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
