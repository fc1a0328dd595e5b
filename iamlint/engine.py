"""The rule engine: find the rules, pick those configured, run them, judge.

Rules live in the `iamlint.rules` package (the repository's rules/
directory), one module per rule, found by discovery: adding a rule is
adding a module. A rule that raises is reported as an internal error on the
file it was checking, and the run goes on.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Iterable, Iterator, Sequence
from types import ModuleType

from iamlint.config import Config
from iamlint.findings import Finding, Severity, severity_rank
from iamlint.model import Document, Span, Suppression, Workspace
from iamlint.rule import Context, Hit, Rule
from iamlint.suppress import SUPPRESSION_ID, apply_suppressions, ignored_by_path

PARSE_ERROR_ID = "IAM000"
_rules: list[type[Rule]] | None = None


class UnknownRuleError(ValueError):
    """A rule id or prefix in select/ignore that matches no rule."""


def all_rules() -> list[type[Rule]]:
    """Every rule class in iamlint.rules, sorted by id."""
    global _rules
    if _rules is None:
        package = importlib.import_module("iamlint.rules")
        found: dict[str, type[Rule]] = {}
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for cls in _rule_classes(module):
                if cls.id in found:
                    raise RuntimeError(f"rule id {cls.id} is defined twice")
                found[cls.id] = cls
        _rules = [found[k] for k in sorted(found)]
    return _rules


def _rule_classes(module: ModuleType) -> Iterator[type[Rule]]:
    for obj in vars(module).values():
        if (
            isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
        ):
            yield obj


def _known_ids() -> frozenset[str]:
    return frozenset(r.id for r in all_rules())


def rule_by_id(rule_id: str) -> type[Rule] | None:
    wanted = rule_id.upper()
    for cls in all_rules():
        if cls.id == wanted or cls.name == rule_id.lower():
            return cls
    return None


def _matches(rule: type[Rule], selector: str) -> bool:
    s = selector.strip().upper()
    return s == "ALL" or rule.id.startswith(s) or rule.name.upper() == s


def select_rules(config: Config) -> list[type[Rule]]:
    """The rules this configuration runs. IAM000 always runs."""
    rules = all_rules()
    for selector in (*config.select, *config.ignore):
        if not any(_matches(r, selector) for r in rules):
            raise UnknownRuleError(f"unknown rule or prefix {selector!r}")
    chosen = []
    for rule in rules:
        if rule.id == PARSE_ERROR_ID:
            chosen.append(rule)
            continue
        if rule.id == SUPPRESSION_ID and not config.select:
            # Like IAM000, always on unless the user picks rules by hand.
            if not any(_matches(rule, s) for s in config.ignore):
                chosen.append(rule)
            continue
        if config.select:
            on = any(_matches(rule, s) for s in config.select)
        else:
            on = rule.enabled_by_default
        if on and not any(_matches(rule, s) for s in config.ignore):
            chosen.append(rule)
    return chosen


def fingerprint(rule_id: str, path: str, address: str | None, element: str) -> str:
    """Stable across line moves: rule, file, address and the element itself."""
    key = "\x1f".join((rule_id, path, address or "", element))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=12).hexdigest()


class Engine:
    """Runs a set of rules over a workspace."""

    def __init__(self, rules: Sequence[type[Rule]], config: Config) -> None:
        self.config = config
        self.rules = [cls() for cls in rules]
        self._checks = {r.id: r.overridden_checks() for r in self.rules}
        self._by_id = {r.id: r for r in self.rules}

    def severity_of(self, rule: Rule) -> Severity:
        return self.config.severity.get(rule.id, rule.severity)

    @property
    def needs_workspace(self) -> bool:
        """Does any rule look at the whole workspace at once?"""
        return any("check_workspace" in checks for checks in self._checks.values())

    def run(self, workspace: Workspace) -> list[Finding]:
        """Every check over a workspace, sorted."""
        findings = self.run_documents(workspace) + self.run_workspace(workspace)
        findings.sort(key=Finding.sort_key)
        return findings

    def run_documents(self, workspace: Workspace) -> list[Finding]:
        """The checks that look at one document at a time (unsorted).

        Findings that a suppression covers come back with `suppressed_by`
        set; those a per-file ignore drops do not come back at all."""
        contexts = [
            (
                rule,
                self._checks[rule.id],
                Context(workspace, self.config.rule_options.get(rule.id, {})),
            )
            for rule in self.rules
        ]
        findings: list[Finding] = []
        for doc in workspace.documents:
            found: list[Finding] = []
            for rule, checks, ctx in contexts:
                found.extend(
                    self._guarded(rule, doc.path, self._document_hits(rule, checks, doc, ctx))
                )
            findings.extend(self._judge(doc, found))
        return findings

    def _judge(self, doc: Document, found: list[Finding]) -> list[Finding]:
        if self.config.per_file_ignores:
            found = [f for f in found if not ignored_by_path(f, self.config.per_file_ignores)]
        found, unused = apply_suppressions(found, doc.suppressions)
        meta = self._by_id.get(SUPPRESSION_ID)
        if meta is None:
            return found
        ran = set(self._by_id)
        for s in doc.suppressions:
            unknown = [i for i in s.ids if i != "ALL" and i not in _known_ids()]
            if unknown:
                found.append(
                    self._meta_finding(meta, s, f"suppression names unknown rule {unknown[0]}")
                )
            elif not s.reason.strip():
                ids = ", ".join(s.ids)
                found.append(
                    self._meta_finding(
                        meta, s, f"suppression of {ids} gives no reason: say why it is safe"
                    )
                )
        for s in unused:
            if all(i in ran for i in s.ids if i != "ALL") and not any(
                i not in _known_ids() for i in s.ids if i != "ALL"
            ):
                ids = ", ".join(s.ids)
                found.append(
                    self._meta_finding(
                        meta, s, f"suppression of {ids} suppresses nothing: remove it"
                    )
                )
        return found

    def _meta_finding(self, rule: Rule, s: Suppression, message: str) -> Finding:
        return Finding(
            rule_id=rule.id,
            rule_name=rule.name,
            severity=self.severity_of(rule),
            message=message,
            span=s.span,
            fingerprint=fingerprint(rule.id, s.span.path, None, f"{','.join(s.ids)}:{message}"),
        )

    def run_workspace(self, workspace: Workspace) -> list[Finding]:
        """The checks that need every document of the run (unsorted)."""
        findings: list[Finding] = []
        for rule in self.rules:
            if "check_workspace" in self._checks[rule.id]:
                ctx = Context(workspace, self.config.rule_options.get(rule.id, {}))
                hits = ((h, None) for h in rule.check_workspace(workspace, ctx))
                findings.extend(self._guarded(rule, "", hits))
        if self.config.per_file_ignores:
            findings = [f for f in findings if not ignored_by_path(f, self.config.per_file_ignores)]
        suppressions = [s for d in workspace.documents for s in d.suppressions]
        findings, _ = apply_suppressions(findings, suppressions)
        return findings

    def _document_hits(
        self, rule: Rule, checks: Sequence[str], doc: Document, ctx: Context
    ) -> Iterator[tuple[Hit, str | None]]:
        if "check_document" in checks:
            for hit in rule.check_document(doc, ctx):
                yield hit, None
        if "check_policy" in checks or "check_statement" in checks:
            for policy in doc.all_policies():
                if "check_policy" in checks:
                    for hit in rule.check_policy(policy, ctx):
                        yield hit, policy.address
                if "check_statement" in checks:
                    for statement in policy.statements:
                        for hit in rule.check_statement(statement, policy, ctx):
                            yield hit, policy.address
        if "check_identity" in checks:
            for identity in doc.identities:
                for hit in rule.check_identity(identity, ctx):
                    yield hit, identity.address

    def _guarded(
        self, rule: Rule, path: str, hits: Iterable[tuple[Hit, str | None]]
    ) -> Iterator[Finding]:
        """Findings from a check; an exception becomes an IAM000 on the file."""
        severity = self.severity_of(rule)
        try:
            for hit, address in hits:
                addr = hit.address or address
                yield Finding(
                    rule_id=rule.id,
                    rule_name=rule.name,
                    severity=severity,
                    message=hit.message,
                    span=hit.span,
                    fingerprint=fingerprint(
                        rule.id, hit.span.path, addr, hit.element or hit.message
                    ),
                    address=addr,
                )
        except Exception as exc:  # noqa: BLE001 - one rule must not end the run
            span = Span(path, 1, 1, 1, 1)
            message = f"internal error in rule {rule.id} ({rule.name}): {type(exc).__name__}: {exc}"
            yield Finding(
                rule_id=PARSE_ERROR_ID,
                rule_name="parse-error",
                severity="high",
                message=message,
                span=span,
                fingerprint=fingerprint(PARSE_ERROR_ID, path, None, f"internal:{rule.id}"),
            )

    def fails(self, findings: Iterable[Finding]) -> bool:
        """Is any finding at or above the fail level?"""
        if self.config.exit_zero:
            return False
        floor = severity_rank(self.config.fail_on)
        return any(
            f.rule_id != PARSE_ERROR_ID
            and f.suppressed_by is None
            and severity_rank(f.severity) >= floor
            for f in findings
        )
