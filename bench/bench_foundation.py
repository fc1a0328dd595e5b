"""Whole-process speed of `iamlint check` against baselines measured in the same run.

    python bench/bench_foundation.py [--corpus ../shared/corpus] [--runs 7]

Budgets (DESIGN.md): one small policy file within 8 times a bare
`python -c pass`; the AWS managed policies within 20 times a Python process
that merely reads and json-parses those files. Prints medians and ratios;
exits 1 when a budget is exceeded. Not part of the test suite: timings
belong here, not in unit tests.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ_AND_PARSE = """
import json, os, sys
d = sys.argv[1]
for name in os.listdir(d):
    if name.endswith(".json"):
        with open(os.path.join(d, name), "rb") as fh:
            json.loads(fh.read())
"""


def timed(cmd: list[str], runs: int) -> float:
    """Median wall time of a command, after one warm-up run."""
    subprocess.run(cmd, capture_output=True, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    iamlint = [py, "-m", "iamlint", "check", "--exit-zero", "--no-color", "--no-cache"]
    ok = True

    bare = timed([py, "-c", "pass"], args.runs)
    small = ROOT / "examples" / "policies" / "ci-deployer.json"
    one = timed([*iamlint, str(small)], args.runs)
    ratio = one / bare
    ok &= ratio <= 8
    print(f"python -c pass                 {bare * 1000:8.1f} ms")
    print(f"iamlint check one policy       {one * 1000:8.1f} ms  ratio {ratio:5.2f}  (budget 8)")

    managed = args.corpus / "managed_policies"
    if managed.is_dir():
        count = sum(1 for _ in managed.glob("*.json"))
        base = timed([py, "-c", READ_AND_PARSE, str(managed)], args.runs)
        full = timed([*iamlint, str(managed)], max(3, args.runs // 2))
        ratio = full / base
        ok &= ratio <= 20
        print(f"read+json.loads {count} files   {base * 1000:8.1f} ms")
        print(
            f"iamlint check managed policies {full * 1000:8.1f} ms  ratio {ratio:5.2f}  (budget 20)"
        )
    else:
        print(f"corpus not found at {managed}: managed-policy benchmark skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
