"""The settings of one run, and reading them from a configuration file.

`[tool.iamlint]` in pyproject.toml or the top level of `.iamlint.toml`; the
nearest one to the directory iamlint runs in wins (`.iamlint.toml` before
pyproject.toml in the same directory), or the file named with --config.
Unknown keys, unknown rule ids and wrong types are errors naming the file,
the key and what is allowed: a typo must not silently turn a check off.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamlint.findings import SEVERITIES, Severity
from iamlint.inputs import VarFile

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
    ".iamlint_cache",
)
CONFIG_FILES = (".iamlint.toml", "pyproject.toml")


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names file and key."""


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
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    respect_gitignore: bool = True
    own_accounts: tuple[str, ...] = ()
    var_files: tuple[VarFile, ...] = ()  # `--var-file`: Terraform variable values, in order
    source: str | None = None  # the file this came from, for `iamlint config`


# key -> (field name, description of what is allowed)
_KEYS: dict[str, str] = {
    "select": "a list of rule ids or prefixes",
    "ignore": "a list of rule ids or prefixes",
    "extend-ignore": "a list of rule ids or prefixes",
    "per-file-ignores": "a table of glob = [rule ids]",
    "severity": f"a table of rule id = one of {', '.join(SEVERITIES)}",
    "fail-on": f"one of {', '.join(SEVERITIES)}",
    "exclude": "a list of file or directory names or globs (replaces the defaults)",
    "extend-exclude": "a list of file or directory names or globs",
    "max-file-size": "a positive integer (bytes)",
    "respect-gitignore": "true or false",
    "own-accounts": "a list of 12-digit AWS account ids",
    "rules": "a table of rule id = table of options",
}


def find_config(start: Path) -> Config:
    """The configuration nearest to `start` (a directory), or the defaults."""
    for directory in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file():
                if name == "pyproject.toml":
                    table = _read_toml(candidate).get("tool", {})
                    if not isinstance(table, dict) or "iamlint" not in table:
                        continue
                return load_config_file(candidate)
    return Config()


def load_config_file(path: Path) -> Config:
    """The configuration in one file; ConfigError when it is wrong."""
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("iamlint", {}) if isinstance(tool, dict) else {}
        prefix = "tool.iamlint."
    else:
        prefix = ""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {prefix or 'the file'} must be a table")
    return parse_config(data, str(path), prefix)


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            loaded: dict[str, Any] = tomllib.load(fh)
            return loaded
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def parse_config(data: Mapping[str, Any], source: str, prefix: str = "") -> Config:
    """Validate a configuration table and turn it into a Config."""
    from iamlint.engine import all_rules

    rules = {r.id: r for r in all_rules()}

    def fail(key: str, allowed: str) -> ConfigError:
        return ConfigError(f"{source}: {prefix}{key}: expected {allowed}")

    def id_list(key: str) -> tuple[str, ...]:
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, _KEYS[key])
        for selector in value:
            s = selector.strip().upper()
            if s != "ALL" and not any(r.startswith(s) or rules[r].name.upper() == s for r in rules):
                raise ConfigError(f"{source}: {prefix}{key}: unknown rule or prefix {selector!r}")
        return tuple(value)

    def str_list(key: str) -> tuple[str, ...]:
        value = data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, _KEYS[key])
        return tuple(value)

    def known_rule(key: str, rule_id: str) -> str:
        if rule_id.upper() not in rules:
            raise ConfigError(f"{source}: {prefix}{key}: unknown rule id {rule_id!r}")
        return rule_id.upper()

    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: {prefix}{unknown[0]}: unknown key; allowed keys are {', '.join(_KEYS)}"
        )
    kwargs: dict[str, Any] = {"source": source}
    if "select" in data:
        kwargs["select"] = id_list("select")
    ignore: tuple[str, ...] = ()
    for key in ("ignore", "extend-ignore"):
        if key in data:
            ignore += id_list(key)
    if ignore:
        kwargs["ignore"] = ignore
    if "fail-on" in data:
        if data["fail-on"] not in SEVERITIES:
            raise fail("fail-on", _KEYS["fail-on"])
        kwargs["fail_on"] = data["fail-on"]
    if "severity" in data:
        table = data["severity"]
        if not isinstance(table, dict):
            raise fail("severity", _KEYS["severity"])
        overrides: dict[str, Severity] = {}
        for rule_id, sev in table.items():
            rid = known_rule(f"severity.{rule_id}", rule_id)
            if sev not in SEVERITIES:
                raise fail(f"severity.{rule_id}", f"one of {', '.join(SEVERITIES)}")
            overrides[rid] = sev
        kwargs["severity"] = overrides
    if "per-file-ignores" in data:
        table = data["per-file-ignores"]
        if not isinstance(table, dict):
            raise fail("per-file-ignores", _KEYS["per-file-ignores"])
        pfi = []
        for pattern, ids in table.items():
            key = f"per-file-ignores.{pattern!r}"
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise fail(key, "a list of rule ids")
            pfi.append((pattern, tuple(known_rule(key, i) for i in ids)))
        kwargs["per_file_ignores"] = tuple(pfi)
    excludes: tuple[str, ...] = DEFAULT_EXCLUDES
    if "exclude" in data:
        excludes = str_list("exclude")
    if "extend-exclude" in data:
        excludes = excludes + str_list("extend-exclude")
    kwargs["exclude"] = excludes
    if "max-file-size" in data:
        size = data["max-file-size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise fail("max-file-size", _KEYS["max-file-size"])
        kwargs["max_file_size"] = size
    if "respect-gitignore" in data:
        if not isinstance(data["respect-gitignore"], bool):
            raise fail("respect-gitignore", _KEYS["respect-gitignore"])
        kwargs["respect_gitignore"] = data["respect-gitignore"]
    if "own-accounts" in data:
        accounts = str_list("own-accounts")
        if not all(len(a) == 12 and a.isdigit() for a in accounts):
            raise fail("own-accounts", _KEYS["own-accounts"])
        kwargs["own_accounts"] = accounts
    if "rules" in data:
        kwargs["rule_options"] = _rule_options(data["rules"], rules, source, prefix)
    return Config(**kwargs)


def _rule_options(
    table: object, rules: Mapping[str, Any], source: str, prefix: str
) -> dict[str, dict[str, object]]:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: {prefix}rules: expected {_KEYS['rules']}")
    out: dict[str, dict[str, object]] = {}
    for rule_id, options in table.items():
        key = f"{prefix}rules.{rule_id}"
        rule = rules.get(rule_id.upper())
        if rule is None:
            raise ConfigError(f"{source}: {key}: unknown rule id {rule_id!r}")
        if not isinstance(options, dict):
            raise ConfigError(f"{source}: {key}: expected a table of options")
        allowed: Mapping[str, object] = rule.options
        for name, value in options.items():
            if name not in allowed:
                choices = ", ".join(allowed) if allowed else "none"
                raise ConfigError(
                    f"{source}: {key}.{name}: unknown option; {rule.id} takes: {choices}"
                )
            default = allowed[name]
            if not _same_type(value, default):
                raise ConfigError(
                    f"{source}: {key}.{name}: expected {_type_name(default)},"
                    f" got {_type_name(value)}"
                )
        out[rule.id] = dict(options)
    return out


def _same_type(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (list, tuple)):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (list, tuple)):
        return "a list of strings"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def describe(config: Config) -> dict[str, Any]:
    """The resolved configuration, as `iamlint config` shows it."""
    return {
        "source": config.source or "(defaults)",
        "select": list(config.select) or ["(rules on by default)"],
        "ignore": list(config.ignore),
        "fail-on": config.fail_on,
        "severity": dict(config.severity),
        "per-file-ignores": {p: list(ids) for p, ids in config.per_file_ignores},
        "exclude": list(config.exclude),
        "max-file-size": config.max_file_size,
        "respect-gitignore": config.respect_gitignore,
        "own-accounts": list(config.own_accounts),
        "var-files": [str(v.path) for v in config.var_files],
        "rules": {k: dict(v) for k, v in config.rule_options.items()},
    }
