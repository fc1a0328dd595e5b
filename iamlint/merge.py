"""`iamlint merge-sarif`: one SARIF report from the shards of a CI matrix.

Each shard's report is one run of iamlint; the merged report is one run
with the union of their rules and all their results, in a stable order, so
code scanning sees one analysis rather than N partial ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class MergeError(ValueError):
    """An input that is not an iamlint SARIF report."""


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MergeError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise MergeError(f"{path}: not JSON: {exc}") from None
    runs = data.get("runs") if isinstance(data, dict) else None
    if data.get("version") != "2.1.0" or not isinstance(runs, list) or len(runs) != 1:
        raise MergeError(f"{path}: not a SARIF 2.1.0 report with one run")
    run: dict[str, Any] = runs[0]
    if run.get("tool", {}).get("driver", {}).get("name") != "iamlint":
        raise MergeError(f"{path}: not a report of iamlint")
    report: dict[str, Any] = data
    return report


def _result_key(result: dict[str, Any]) -> tuple[str, int, int, str]:
    loc = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    region = loc.get("region", {})
    uri = loc.get("artifactLocation", {}).get("uri", "")
    return (uri, region.get("startLine", 0), region.get("startColumn", 0), result["ruleId"])


def merge_sarif(paths: Sequence[Path]) -> dict[str, Any]:
    """Merge iamlint SARIF reports (the shards of one scan) into one."""
    if not paths:
        raise MergeError("no reports to merge")
    reports = [_load(p) for p in paths]
    base = reports[0]
    run = base["runs"][0]
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    successful = True
    for report in reports:
        r = report["runs"][0]
        for rule in r["tool"]["driver"].get("rules", []):
            rules.setdefault(rule["id"], rule)
        results.extend(r.get("results", []))
        for inv in r.get("invocations", []):
            successful = successful and bool(inv.get("executionSuccessful", True))
            notifications.extend(inv.get("toolExecutionNotifications", []))
    ordered = [rules[k] for k in sorted(rules)]
    index = {rule["id"]: i for i, rule in enumerate(ordered)}
    for result in results:
        if result.get("ruleId") in index:
            result["ruleIndex"] = index[result["ruleId"]]
    results.sort(key=_result_key)
    run["tool"]["driver"]["rules"] = ordered
    run["results"] = results
    invocation: dict[str, Any] = {"executionSuccessful": successful}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run["invocations"] = [invocation]
    return base


def main(paths: Sequence[Path], output: Path | None) -> int:
    """Write the merged report; 2 on unreadable input, as `check` does."""
    import sys

    try:
        merged = merge_sarif(paths)
    except MergeError as exc:
        print(f"iamlint: error: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(merged, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
    return 0
