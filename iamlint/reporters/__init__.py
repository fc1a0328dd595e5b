"""Output formats: turn a Report into text, JSON, SARIF or GitHub annotations.

Each format lives in its own module, imported only when asked for, so a run
pays for nothing but the format it prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from iamlint.findings import Report, Severity

FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")

# Worst first: the order of counts in summaries and in the JSON `by_severity`.
SEVERITIES_WORST_FIRST: tuple[Severity, ...] = (
    "critical",
    "high",
    "medium",
    "low",
    "info",
)


def render(fmt: str, report: Report, out: TextIO, *, color: bool = False) -> None:
    """Write `report` to `out` in format `fmt` (one of FORMATS).

    `color` adds ANSI colours to the text format and is ignored by the
    machine-readable ones. Raises ValueError for an unknown format.
    """
    if fmt == "text":
        from iamlint.reporters import text

        text.render(report, out, color=color)
    elif fmt == "json":
        from iamlint.reporters import json_report

        json_report.render(report, out)
    elif fmt == "sarif":
        from iamlint.reporters import sarif

        sarif.render(report, out)
    elif fmt == "github":
        from iamlint.reporters import github

        github.render(report, out)
    else:
        raise ValueError(f"unknown output format {fmt!r}: expected one of {', '.join(FORMATS)}")


def severity_counts(report: Report) -> dict[str, int]:
    """Reported (not suppressed) findings per severity, all five, worst first."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES_WORST_FIRST, 0)
    for finding in report.findings:
        counts[finding.severity] += 1
    return counts


def unreadable_files(report: Report) -> int:
    """How many distinct inputs could not be read (files with an IAM000 finding)."""
    return len({f.span.path for f in report.unreadable})


def tool_version(report: Report) -> str:
    """The version to report: the Report's, else the installed package's."""
    if report.tool_version:
        return report.tool_version
    from iamlint import __version__

    return __version__
