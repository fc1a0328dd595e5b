"""The command line: `iamlint check`, `rules`, `rule`, `policies`.

Exit codes: 0 when nothing is at or above the fail level, 1 when something
is, 2 on a usage error or when any input could not be read (after
everything else has been reported).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from iamlint import __version__
from iamlint.findings import SEVERITIES, RuleInfo

if TYPE_CHECKING:
    from iamlint.config import Config
    from iamlint.inputs import VarFile

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "sarif", "github")


def _ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _shard(value: str) -> tuple[int, int]:
    k, sep, n = value.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {value!r}")
    return int(k), int(n)


def _var_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--var-file",
        dest="var_files",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="Terraform variable values (.tfvars or .tfvars.json) for the root modules"
        " scanned, as `terraform plan -var-file`; repeat for several, later ones win",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamlint",
        description="A static linter for AWS IAM policies in infrastructure code.",
    )
    parser.add_argument("--version", action="version", version=f"iamlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint files and directories (default: .)")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format")
    check.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report here")
    check.add_argument(
        "--select",
        type=_ids,
        action="extend",
        default=[],
        metavar="IDS",
        help="rule ids or prefixes to run, comma-separated (ALL for every rule)",
    )
    check.add_argument(
        "--ignore",
        type=_ids,
        action="extend",
        default=[],
        metavar="IDS",
        help="rule ids or prefixes to skip, comma-separated",
    )
    check.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default=None,
        metavar="SEVERITY",
        help="lowest severity that makes the exit code 1 (default: info, any finding)",
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when there are findings"
    )
    check.add_argument(
        "--max-file-size",
        type=int,
        default=None,
        metavar="BYTES",
        help="skip (and report) files larger than this (default: 5 MiB)",
    )
    check.add_argument(
        "--no-gitignore", action="store_true", help="scan files that .gitignore excludes"
    )
    check.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for large trees (default: all cores; 1 for none)",
    )
    check.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file")
    _var_file_option(check)
    check.add_argument(
        "--no-cache", action="store_true", help="check every file again, ignoring the cache"
    )
    check.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the results cache lives (default: ~/.cache/iamlint)",
    )
    check.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="check only part K of N (by module directory or file), for CI matrices",
    )
    check.add_argument(
        "--show-suppressed",
        action="store_true",
        help="also list findings that suppressions cover (they never fail the run)",
    )
    check.add_argument(
        "--baseline", type=Path, metavar="FILE", help="report only findings not in this baseline"
    )
    check.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record today's findings as the baseline and exit 0",
    )
    color = check.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None)
    color.add_argument("--no-color", dest="color", action="store_false")

    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    rule = sub.add_parser("rule", help="show a rule's documentation")
    rule.add_argument("rule_id", metavar="ID")

    policies = sub.add_parser(
        "policies", help="show the policies iamlint extracts from files (what the rules see)"
    )
    policies.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    policies.add_argument("--format", choices=("text", "json"), default="text")
    _var_file_option(policies)

    merge = sub.add_parser("merge-sarif", help="merge the SARIF reports of several shards into one")
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT")
    merge.add_argument("-o", "--output", type=Path, metavar="FILE")

    lsp = sub.add_parser("lsp", help="run the language server on stdin/stdout (needs iamlint[lsp])")
    lsp.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)  # clients add it

    config = sub.add_parser("config", help="show the resolved configuration")
    config.add_argument("--config", type=Path, metavar="FILE", help="use this configuration file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "rules":
            return _rules(args.format, sys.stdout)
        if args.command == "rule":
            return _rule(args.rule_id, sys.stdout)
        if args.command == "policies":
            return _policies(args.paths or [Path(".")], args.format, args.var_files, sys.stdout)
        if args.command == "config":
            return _show_config(args.config, sys.stdout)
        if args.command == "lsp":
            from iamlint.lsp import main as lsp_main

            return lsp_main()
        if args.command == "merge-sarif":
            from iamlint.merge import main as merge_main

            return merge_main(args.reports, args.output)
    except BrokenPipeError:
        # Output piped into `head` and closed: nothing left to say.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    parser.print_help(sys.stderr)
    return EXIT_ERROR


def _error(message: str) -> int:
    print(f"iamlint: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def _check(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from iamlint.baseline import BaselineError, new_findings, read_baseline, write_baseline
    from iamlint.config import ConfigError
    from iamlint.engine import PARSE_ERROR_ID, UnknownRuleError
    from iamlint.findings import Report
    from iamlint.reporters import render
    from iamlint.scan import scan

    try:
        config = _resolve_config(args.config)
    except ConfigError as exc:
        return _error(str(exc))
    if args.select:
        config = replace(config, select=tuple(args.select))
    if args.ignore:
        config = replace(config, ignore=config.ignore + tuple(args.ignore))
    if args.fail_on:
        config = replace(config, fail_on=args.fail_on)
    if args.exit_zero:
        config = replace(config, exit_zero=True)
    if args.max_file_size is not None:
        config = replace(config, max_file_size=args.max_file_size)
    if args.no_gitignore:
        config = replace(config, respect_gitignore=False)
    if args.var_files:
        var_files, problem = _read_var_files(args.var_files)
        if problem:
            return _error(problem)
        config = replace(config, var_files=var_files)
    accepted = None
    if args.baseline is not None:
        try:
            accepted = read_baseline(args.baseline)
        except BaselineError as exc:
            return _error(str(exc))
    root = Path.cwd()
    try:
        cache_dir = None
        if not args.no_cache:
            from iamlint.cache import default_cache_dir

            cache_dir = args.cache_dir or default_cache_dir()
        from iamlint import progress

        bar = None
        if progress.wanted(sys.stderr):
            bar = progress.ProgressBar(0, sys.stderr)
        try:
            result = scan(
                args.paths or [Path(".")],
                root,
                config,
                jobs=args.jobs,
                shard=args.shard,
                cache_dir=cache_dir,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
    except UnknownRuleError as exc:
        return _error(str(exc))
    if args.write_baseline is not None:
        try:
            count = write_baseline(args.write_baseline, result.findings)
        except OSError as exc:
            return _error(f"cannot write {args.write_baseline}: {exc.strerror}")
        print(f"iamlint: wrote {count} findings to {args.write_baseline}", file=sys.stderr)
        unreadable = any(f.rule_id == PARSE_ERROR_ID for f in result.findings)
        return EXIT_ERROR if unreadable else EXIT_CLEAN
    findings = result.findings
    if accepted is not None:
        findings = tuple(new_findings(findings, accepted))
    report = Report(
        findings=findings,
        rules=tuple(type(r).info() for r in result.engine.rules),
        root=str(root),
        files_scanned=result.files_scanned,
        suppressed=result.suppressed if args.show_suppressed else (),
        tool_version=__version__,
    )
    if args.output is not None:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as out:
                render(args.format, report, out, color=False)
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror}")
    else:
        color = args.color
        if color is None:
            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        render(args.format, report, sys.stdout, color=color)
    if any(f.rule_id == PARSE_ERROR_ID for f in findings):
        return EXIT_ERROR
    return EXIT_FINDINGS if result.engine.fails(findings) else EXIT_CLEAN


def _resolve_config(path: Path | None) -> Config:
    from iamlint.config import find_config, load_config_file

    if path is not None:
        return load_config_file(path)
    return find_config(Path.cwd())


def _show_config(path: Path | None, out: TextIO) -> int:
    from iamlint.config import ConfigError, describe

    try:
        config = _resolve_config(path)
    except ConfigError as exc:
        return _error(str(exc))
    out.write(json.dumps(describe(config), indent=2) + "\n")
    return EXIT_CLEAN


def _rules(fmt: str, out: TextIO) -> int:
    from iamlint.engine import all_rules

    infos = [cls.info() for cls in all_rules()]
    if fmt == "json":
        rows = [
            {
                "id": i.id,
                "name": i.name,
                "severity": i.severity,
                "enabled_by_default": i.enabled_by_default,
                "summary": i.summary,
            }
            for i in infos
        ]
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    if fmt == "markdown":
        out.write(rules_table(infos))
        return EXIT_CLEAN
    for i in infos:
        off = "" if i.enabled_by_default else "  (off by default)"
        out.write(f"{i.id}  {i.name:<40} {i.severity:<9} {i.summary}{off}\n")
    return EXIT_CLEAN


def rules_table(infos: Sequence[RuleInfo]) -> str:
    """The README's rule table, generated from the rules' docstrings."""
    rows = ["| id | name | severity | what it finds |", "|---|---|---|---|"]
    for i in infos:
        off = " (off by default)" if not i.enabled_by_default else ""
        summary = i.summary.replace("|", "\\|")
        rows.append(f"| {i.id} | {i.name} | {i.severity} | {summary}{off} |")
    return "\n".join(rows) + "\n"


def _rule(rule_id: str, out: TextIO) -> int:
    from iamlint.engine import rule_by_id

    cls = rule_by_id(rule_id)
    if cls is None:
        return _error(f"unknown rule {rule_id!r}; `iamlint rules` lists them")
    info = cls.info()
    out.write(f"# {info.id} {info.name} ({info.severity})\n\n{info.documentation}\n")
    if cls.options:
        out.write(f"\nSettable under [tool.iamlint.rules.{info.id}]:\n")
        for name, default in cls.options.items():
            shown = json.dumps(list(default) if isinstance(default, tuple) else default)
            out.write(f"  {name} = {shown}\n")
    return EXIT_CLEAN


def _read_var_files(paths: Sequence[Path]) -> tuple[tuple[VarFile, ...], str]:
    """The --var-files, each read once; or why one cannot be used, said
    before anything is scanned, as Terraform refuses to plan with it."""
    from iamlint.loaders.tf_vars import read_var_file

    out = []
    for path in paths:
        var_file, problem = read_var_file(path)
        if var_file is None:
            return (), f"--var-file {problem}"
        out.append(var_file)
    return tuple(out), ""


def _policies(paths: Sequence[Path], fmt: str, var_files: Sequence[Path], out: TextIO) -> int:
    from iamlint.config import Config
    from iamlint.policyview import describe_policies, render_policies
    from iamlint.scan import load_documents

    read, problem = _read_var_files(var_files)
    if problem:
        return _error(problem)
    config = Config(var_files=read)
    documents, _ = load_documents(paths, Path.cwd(), config)
    rows = describe_policies(documents)
    if fmt == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        render_policies(rows, out)
    errors = [e for d in documents for e in d.errors]
    for e in errors:
        print(f"{e.span.path}:{e.span.line}:{e.span.column}: IAM000 {e.message}", file=sys.stderr)
    return EXIT_ERROR if errors else EXIT_CLEAN
