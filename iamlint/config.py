"""The settings of one run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from iamlint.findings import Severity

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".terraform",
    ".terragrunt-cache",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
)


@dataclass(frozen=True)
class Config:
    """What to run and how to judge it.

    `select` and `ignore` hold rule ids or id prefixes (`IAM1` is every
    IAM1xx rule, `ALL` every rule); an empty `select` means the rules that
    are on by default.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity = "info"
    exit_zero: bool = False
    severity: Mapping[str, Severity] = field(default_factory=dict)
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    respect_gitignore: bool = True
