"""Baselines: adopt iamlint in a codebase that already has findings.

`--write-baseline FILE` records today's findings by their line-independent
fingerprint (rule, path, address, element); `--baseline FILE` then reports
only findings that are not in it. Moving lines does not change a
fingerprint, so edits above a baselined finding do not bring it back.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from iamlint.findings import Finding

BASELINE_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read."""


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    rows = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "rule": f.rule_id,
                "path": f.span.path,
                "message": f.message,
            }
            for f in findings
            if f.rule_id != "IAM000"
        ),
        key=lambda r: (r["path"], r["rule"], r["fingerprint"]),
    )
    data = {"version": BASELINE_VERSION, "tool": "iamlint", "findings": rows}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return len(rows)


def read_baseline(path: Path) -> Counter[str]:
    """How many findings of each fingerprint the baseline accepts."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a baseline file: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not an iamlint baseline (version {BASELINE_VERSION})")
    rows = data.get("findings")
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and isinstance(r.get("fingerprint"), str) for r in rows
    ):
        raise BaselineError(f"{path}: findings: expected a list of objects with a fingerprint")
    return Counter(r["fingerprint"] for r in rows)


def new_findings(findings: Iterable[Finding], accepted: Counter[str]) -> list[Finding]:
    """The findings a baseline does not account for (unreadable input always counts)."""
    left = Counter(accepted)
    out = []
    for f in findings:
        if f.rule_id != "IAM000" and left[f.fingerprint] > 0:
            left[f.fingerprint] -= 1
            continue
        out.append(f)
    return out
