"""Applying what the user said to leave alone: per-file ignores from the
configuration and inline suppressions found by the loaders.

A suppression needs a reason, and must suppress something: otherwise it is
reported itself (IAM001), so suppressions do not rot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from iamlint.findings import Finding
from iamlint.model import Suppression

SUPPRESSION_ID = "IAM001"


def ignored_by_path(
    finding: Finding, per_file_ignores: Iterable[tuple[str, tuple[str, ...]]]
) -> bool:
    """Does a per-file-ignores pattern drop this finding?"""
    path = finding.span.path
    for pattern, ids in per_file_ignores:
        if finding.rule_id in ids and (
            fnmatchcase(path, pattern) or fnmatchcase(path, f"*/{pattern}")
        ):
            return True
    return False


def _covers(s: Suppression, finding: Finding) -> bool:
    return (
        finding.span.path == s.covers.path
        and s.covers.line <= finding.span.line <= s.covers.end_line
        and (finding.rule_id in s.ids or "ALL" in s.ids)
    )


def apply_suppressions(
    findings: Sequence[Finding], suppressions: Sequence[Suppression]
) -> tuple[list[Finding], list[Suppression]]:
    """Findings with `suppressed_by` set where a suppression covers them,
    and the suppressions that covered nothing."""
    if not suppressions:
        return list(findings), []
    used: set[int] = set()
    out = []
    for finding in findings:
        for i, s in enumerate(suppressions):
            if finding.rule_id != "IAM000" and _covers(s, finding):
                used.add(i)
                finding = replace(finding, suppressed_by=s.reason or "(no reason given)")
                break
        out.append(finding)
    return out, [s for i, s in enumerate(suppressions) if i not in used]
