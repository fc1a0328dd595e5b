#!/usr/bin/env python3
"""CloudFormation loader speed, as ratios measured in one run.

    python bench/bench_cloudformation.py [CORPUS_DIR] [--repeat N]

Prints, for the templates under CORPUS_DIR (default: the shared corpus):

- parser: pyyaml's C loader composing every file (yaml.CSafeLoader), the
  baseline the budget is stated against (at most 3 times);
- load: iamlint's CloudFormation loader on the same files, in process;
- policies / check: the whole `iamlint policies` and `iamlint check`
  processes on the directory;
- one template, whole process, against a bare `python -c pass` (at most 8
  times), with the real interpreter binary rather than a pyenv shim.

Best of N runs each. No assertion: a benchmark reports, tests decide.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "cloudformation"
SUFFIXES = (".json", ".yaml", ".yml", ".template")


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(args: list[str], cwd: Path | None = None) -> None:
    subprocess.run(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import yaml  # type: ignore[import-untyped,unused-ignore]

    from iamlint.loaders import Source, cloudformation

    files = sorted(p for p in args.corpus.rglob("*") if p.suffix.lower() in SUFFIXES)
    datas = [p.read_bytes() for p in files]
    texts = [d.decode("utf-8", errors="replace") for d in datas]
    sources = [Source(p, str(p), d) for p, d in zip(files, datas, strict=True)]
    size = sum(len(d) for d in datas)

    def compose() -> None:
        for text in texts:
            yaml.compose(text, Loader=yaml.CSafeLoader)

    def load() -> None:
        docs = cloudformation.load(sources)
        load.count = sum(1 for d in docs for _ in d.all_policies())  # type: ignore[attr-defined]
        load.errors = sum(len(d.errors) for d in docs)  # type: ignore[attr-defined]

    python = os.path.realpath(sys.executable)
    iamlint = [python, "-m", "iamlint"]
    base = best(compose, args.repeat)
    ours = best(load, args.repeat)
    policies = best(lambda: run([*iamlint, "policies", str(args.corpus)]), args.repeat)
    check = best(lambda: run([*iamlint, "check", "--no-cache", str(args.corpus)]), args.repeat)
    print(f"corpus: {len(files)} files, {size / 2**20:.2f} MiB")
    print(f"policies found: {load.count}, unreadable files: {load.errors}")  # type: ignore[attr-defined]
    print(f"parser (CSafeLoader compose):  {base:.3f} s")
    print(f"loader, in process:            {ours:.3f} s  = {ours / base:.2f} x parser")
    print(f"iamlint policies, process:     {policies:.3f} s  = {policies / base:.2f} x parser")
    print(f"iamlint check, process:        {check:.3f} s  = {check / base:.2f} x parser")

    small = ROOT / "tests" / "fixtures" / "loaders" / "cloudformation" / "short_forms.yaml"
    bare = best(lambda: run([python, "-c", "pass"]), args.repeat * 2)
    one_yaml = best(lambda: run([*iamlint, "check", "--no-cache", str(small)]), args.repeat * 2)
    one_json = small.with_name("long_forms.json")
    one_j = best(lambda: run([*iamlint, "check", "--no-cache", str(one_json)]), args.repeat * 2)
    print(f"python -c pass:                {bare:.3f} s  ({python})")
    print(f"iamlint check one YAML file:   {one_yaml:.3f} s  = {one_yaml / bare:.1f} x bare")
    print(f"iamlint check one JSON file:   {one_j:.3f} s  = {one_j / bare:.1f} x bare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
