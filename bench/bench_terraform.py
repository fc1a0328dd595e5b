"""Terraform loader speed, as ratios measured in one run (no assertions).

    python bench/bench_terraform.py [CORPUS]

1. corpus: iamlint's load of every .tf file against tree-sitter alone
   parsing the same files (budget: 3x);
2. one .tf file, whole process (`iamlint check`), against a bare
   `python -c pass` with the real interpreter binary (budget: 8x).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "terraform"
ONE_FILE = """resource "aws_iam_policy" "p" {
  name   = "p"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "*" }]
  })
}
"""


def parse_only(files: list[Path]) -> float:
    code = (
        "import sys, time, tree_sitter as ts, tree_sitter_hcl as th\n"
        "t = time.perf_counter()\n"
        "p = ts.Parser(ts.Language(th.language()))\n"
        "for f in sys.argv[1:]:\n"
        "    p.parse(open(f, 'rb').read())\n"
        "print(time.perf_counter() - t)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def load_corpus(corpus: Path) -> tuple[float, int, int]:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from iamlint.config import Config\n"
        "from iamlint.scan import load_documents\n"
        "t = time.perf_counter()\n"
        "docs, n = load_documents([Path(sys.argv[1])], Path(sys.argv[1]), Config())\n"
        "dt = time.perf_counter() - t\n"
        "print(dt, sum(len(list(d.all_policies())) for d in docs),"
        " sum(len(d.errors) for d in docs))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(corpus)], capture_output=True, text=True, check=True
    )
    dt, pols, errs = out.stdout.split()
    return float(dt), int(pols), int(errs)


def wall(cmd: list[str], cwd: Path | None = None, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    files = sorted(corpus.rglob("*.tf"))
    parse = min(parse_only(files) for _ in range(3))
    runs = [load_corpus(corpus) for _ in range(3)]
    load = min(r[0] for r in runs)
    _, pols, errs = runs[0]
    print(f"corpus: {len(files)} .tf files, {pols} policies, {errs} IAM000")
    print(
        f"  tree-sitter parse alone {parse:.3f}s, iamlint load {load:.3f}s:"
        f" ratio {load / parse:.2f} (budget 3)"
    )
    check = wall(
        [sys.executable, "-m", "iamlint", "check", "--no-cache", "--exit-zero", str(corpus)], runs=3
    )
    print(f"  `iamlint check` whole process {check:.3f}s: ratio {check / parse:.2f}")
    real = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.executable)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.tf").write_text(ONE_FILE, encoding="utf-8")
        bare = wall([real, "-c", "pass"])
        one = wall([real, "-m", "iamlint", "check", "--no-cache", "main.tf"], cwd=Path(tmp))
    print(
        f"one .tf file: python -c pass {bare:.3f}s, iamlint check {one:.3f}s:"
        f" ratio {one / bare:.2f} (budget 8)"
    )


if __name__ == "__main__":
    main()
