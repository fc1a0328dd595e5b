"""Severities and findings: what the engine hands to reporters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from iamlint.model import Span

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")


_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """Position in SEVERITIES; higher is worse."""
    return _RANK[severity]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one rule at one place."""

    rule_id: str
    rule_name: str
    severity: Severity
    message: str
    span: Span
    fingerprint: str  # line-independent: rule, path, address, element
    address: str | None = None  # the policy, identity or resource it concerns
    suppressed_by: str | None = None  # the suppression's reason, when suppressed

    def sort_key(self) -> tuple[str, int, int, str, str]:
        s = self.span
        return (s.path, s.line, s.column, self.rule_id, self.message)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What reporters need to know about a rule."""

    id: str
    name: str
    severity: Severity
    summary: str  # one sentence
    description: str  # the "What it does" section
    documentation: str  # the whole docstring, markdown
    tags: tuple[str, ...] = ()
    enabled_by_default: bool = True


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of one run, as every reporter receives it."""

    findings: tuple[Finding, ...]  # sorted, not suppressed
    rules: tuple[RuleInfo, ...]  # every rule that ran
    root: str  # absolute directory that Span.path values are relative to
    files_scanned: int = 0
    suppressed: tuple[Finding, ...] = ()  # shown only when asked for
    tool_version: str = ""

    @property
    def unreadable(self) -> tuple[Finding, ...]:
        """IAM000 findings: inputs that could not be read."""
        return tuple(f for f in self.findings if f.rule_id == "IAM000")
