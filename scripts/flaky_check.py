"""Run the fault and browser tests N times in a row with one core kept busy; print the tally.

`make flaky-check [RUNS=10]`. A test that passes on a quiet machine and fails when another
process wants the CPU is a broken test: this is how we look for one before CI finds it. The hog
is a plain busy loop in a child process that this script starts and always stops.

Prints one line per run and a final JSON summary; exits non-zero if any run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOG = "while True:\n    pass\n"


def summary_line(output: str) -> str:
    """pytest's closing 'N passed, M failed in Xs' line (with or without ``=`` around it)."""
    pattern = r"^=* ?\d+ (passed|failed|error).* in [\d.]+s"
    lines = [ln for ln in output.splitlines() if re.match(pattern, ln)]
    return lines[-1].strip("= ") if lines else "(no pytest summary: see the log)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--log-dir", type=Path, default=ROOT / "test-artifacts" / "flaky-check")
    parser.add_argument("paths", nargs="*", default=["tests/chaos", "tests/e2e"])
    args = parser.parse_args()
    args.log_dir.mkdir(parents=True, exist_ok=True)

    hog = subprocess.Popen([sys.executable, "-c", HOG])
    results: list[dict[str, object]] = []
    try:
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.paths],
                cwd=ROOT,
                env=os.environ,
                capture_output=True,
                text=True,
                check=False,
            )
            output = proc.stdout + proc.stderr
            log = args.log_dir / f"run-{run:02d}.log"
            log.write_text(output)
            ok = proc.returncode == 0
            results.append(
                {"run": run, "passed": ok, "seconds": round(time.monotonic() - started, 1)}
            )
            print(
                f"run {run}/{args.runs}: {'PASS' if ok else 'FAIL'} - {summary_line(output)}"
                f" ({results[-1]['seconds']} s, log {log.relative_to(ROOT)})",
                flush=True,
            )
    finally:
        hog.kill()
        hog.wait()
    passed = sum(1 for r in results if r["passed"])
    print(
        json.dumps(
            {
                "runs": len(results),
                "passed": passed,
                "failed": len(results) - passed,
                "cpu_hog": "1 busy process",
                "paths": args.paths,
            }
        )
    )
    print(f"flaky-check: {passed} of {len(results)} runs passed with a CPU hog running")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
