"""A Markdown summary of a report, for a CI job page.

    python -m iamlint.summary iamlint.sarif -o "$GITHUB_STEP_SUMMARY"

Reads a SARIF log or a JSON report written by `iamlint check` and writes
(appending, as GitHub's job summary file expects) the findings counted by
severity and the worst of them with their places. Exit code 0, or 2 when
the report cannot be read.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote

from iamlint.findings import SEVERITIES, severity_rank

EXIT_OK, EXIT_ERROR = 0, 2
DEFAULT_LIMIT = 20
_WORST_FIRST = tuple(reversed(SEVERITIES))
# SARIF levels back to severities, for results without iamlint's own.
_LEVELS = {"error": "high", "warning": "medium", "note": "low", "none": "info"}
_MESSAGE_MAX = 200
_MARKDOWN = re.compile(r"[\\`*_\[\]|~]")


class ReportError(ValueError):
    """The file is not a report this module can read."""


@dataclass(frozen=True)
class Item:
    """One reported finding, as the summary shows it."""

    rule: str
    name: str
    severity: str
    message: str
    path: str
    line: int
    column: int

    def sort_key(self) -> tuple[int, str, int, int, str]:
        return (-severity_rank(self.severity), self.path, self.line, self.column, self.rule)


@dataclass(frozen=True)
class Summary:
    items: tuple[Item, ...]
    files: int | None  # files scanned, when the report says
    tool_version: str

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(_WORST_FIRST, 0)
        for item in self.items:
            counts[item.severity] += 1
        return counts

    @property
    def unreadable(self) -> int:
        return len({i.path for i in self.items if i.rule == "IAM000"})


def read_report(text: str) -> Summary:
    """A SARIF log or an iamlint JSON report; ReportError otherwise."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError("not a SARIF log or an iamlint JSON report")
    try:
        if "runs" in data:
            return _from_sarif(data)
        if "findings" in data and "version" in data:
            return _from_json(data)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ReportError(f"unexpected content: {type(exc).__name__}: {exc}") from None
    raise ReportError("not a SARIF log or an iamlint JSON report")


def _severity(value: object) -> str:
    if isinstance(value, str) and value in SEVERITIES:
        return value
    raise ValueError(f"unknown severity {value!r}")


def _from_json(data: Mapping[str, Any]) -> Summary:
    items = []
    for f in data["findings"]:
        if f.get("suppressed"):
            continue
        items.append(
            Item(
                rule=str(f["rule"]),
                name=str(f.get("name") or ""),
                severity=_severity(f["severity"]),
                message=str(f["message"]),
                path=str(f["path"]),
                line=int(f.get("line") or 0),
                column=int(f.get("column") or 0),
            )
        )
    summary = data.get("summary") or {}
    files = summary.get("files")
    tool = data.get("tool") or {}
    return Summary(
        tuple(items), files if isinstance(files, int) else None, str(tool.get("version") or "")
    )


def _from_sarif(data: Mapping[str, Any]) -> Summary:
    items = []
    version = ""
    for run in data["runs"]:
        driver = run["tool"]["driver"]
        version = version or str(driver.get("version") or "")
        rules = driver.get("rules") or []
        names = {r["id"]: str(r.get("name") or "") for r in rules}
        for result in run.get("results") or []:
            if result.get("suppressions"):
                continue
            rule = str(result.get("ruleId") or "")
            index = result.get("ruleIndex")
            if not rule and isinstance(index, int) and 0 <= index < len(rules):
                rule = str(rules[index]["id"])
            severity = (result.get("properties") or {}).get("severity")
            if severity not in SEVERITIES:
                severity = _LEVELS.get(result.get("level") or "warning", "medium")
            path, line, column = _sarif_place(result)
            items.append(
                Item(
                    rule=rule,
                    name=names.get(rule, ""),
                    severity=_severity(severity),
                    message=str((result.get("message") or {}).get("text") or ""),
                    path=path,
                    line=line,
                    column=column,
                )
            )
    return Summary(tuple(items), None, version)


def _sarif_place(result: Mapping[str, Any]) -> tuple[str, int, int]:
    locations = result.get("locations") or []
    if not locations:
        return "", 0, 0
    physical = locations[0].get("physicalLocation") or {}
    uri = str((physical.get("artifactLocation") or {}).get("uri") or "")
    if uri.startswith("file://"):
        uri = uri[len("file://") :]
    region = physical.get("region") or {}
    return unquote(uri), int(region.get("startLine") or 0), int(region.get("startColumn") or 0)


def _cell(text: str) -> str:
    """Text shown as written inside a Markdown table cell: on one line,
    cut when very long, HTML and Markdown punctuation escaped (messages
    quote ARNs and wildcards such as `'*'`)."""
    text = " ".join(text.split())
    if len(text) > _MESSAGE_MAX:
        text = text[: _MESSAGE_MAX - 3] + "..."
    for char, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(char, escaped)
    return _MARKDOWN.sub(r"\\\g<0>", text)


def _place(item: Item, link_base: str | None) -> str:
    if not item.path:
        return ""
    where = item.path + (f":{item.line}" if item.line else "")
    label = "`" + where.replace("`", "'").replace("|", "\\|") + "`"
    if link_base is None or item.path.startswith("/"):
        return label
    anchor = f"#L{item.line}" if item.line else ""
    return f"[{label}]({link_base.rstrip('/')}/{quote(item.path)}{anchor})"


def render(
    summary: Summary,
    limit: int = DEFAULT_LIMIT,
    title: str = "iamlint",
    link_base: str | None = None,
) -> str:
    """The Markdown: a headline, counts by severity, the worst findings."""
    counts = summary.counts()
    total = len(summary.items)
    files = "" if summary.files is None else f" in {summary.files} files"
    lines = [f"## {_cell(title)}", ""]
    if total == 0:
        lines.append(f":white_check_mark: No findings{files}.")
    else:
        worst = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        noun = "finding" if total == 1 else "findings"
        lines.append(f"**{total} {noun}**{files}: {worst}.")
    if summary.unreadable:
        noun = "file" if summary.unreadable == 1 else "files"
        lines.append("")
        lines.append(f":warning: {summary.unreadable} {noun} could not be read (`IAM000`).")
    lines += ["", "| severity | findings |", "|---|---:|"]
    lines += [f"| {severity} | {n} |" for severity, n in counts.items()]
    if total:
        shown = sorted(summary.items, key=Item.sort_key)[: max(limit, 0)]
        if shown:
            heading = "Top findings" if len(shown) < total else "Findings"
            lines += ["", f"### {heading}", ""]
            lines += ["| severity | rule | where | message |", "|---|---|---|---|"]
            for item in shown:
                rule = f"{item.rule} {item.name}".strip()
                lines.append(
                    f"| {item.severity} | {_cell(rule)} | {_place(item, link_base)} "
                    f"| {_cell(item.message)} |"
                )
        if len(shown) < total:
            rest = total - len(shown)
            lines += ["", f"... and {rest} more; the full list is in the report."]
    if summary.tool_version:
        lines += ["", f"<sub>iamlint {_cell(summary.tool_version)}</sub>"]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m iamlint.summary",
        description="Write a Markdown summary of an iamlint SARIF or JSON report.",
    )
    parser.add_argument("report", type=Path, help="the report written by `iamlint check`")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="append the summary to FILE (e.g. $GITHUB_STEP_SUMMARY); default: standard output",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show at most N findings, worst first (default {DEFAULT_LIMIT})",
    )
    parser.add_argument("--title", default="iamlint", help="the summary's heading")
    parser.add_argument(
        "--link-base",
        metavar="URL",
        help="link each place to URL/path#Lline (e.g. a blob URL of the commit)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        text = args.report.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _error(f"cannot read {args.report}: {exc}")
    try:
        summary = read_report(text)
    except ReportError as exc:
        return _error(f"{args.report}: {exc}")
    markdown = render(summary, args.limit, args.title, args.link_base or None)
    if args.output is None:
        sys.stdout.write(markdown)
        return EXIT_OK
    try:
        with open(args.output, "a", encoding="utf-8", newline="\n") as out:
            _write(out, markdown)
    except OSError as exc:
        return _error(f"cannot write {args.output}: {exc.strerror}")
    return EXIT_OK


def _write(out: TextIO, markdown: str) -> None:
    if out.tell() > 0:
        out.write("\n")
    out.write(markdown)


def _error(message: str) -> int:
    print(f"iamlint.summary: error: {message}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
