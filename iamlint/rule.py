"""The base every rule in rules/ builds on, and the documentation it carries.

A rule is a class with metadata (id, name, severity) and one or more check
methods the engine calls for what the rule cares about: each statement, each
policy, each identity, each document, or the whole workspace. A check yields
Hits; the engine turns them into Findings.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from iamlint.findings import RuleInfo, Severity
from iamlint.model import Document, Identity, Policy, Span, Statement, Workspace

REQUIRED_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
OPTIONAL_SECTIONS = ("Options", "Known limitations")
SECTION_ORDER = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Options",
    "Known limitations",
    "References",
)
CHECKS = ("check_statement", "check_policy", "check_identity", "check_document", "check_workspace")


@dataclass(frozen=True, slots=True)
class Hit:
    """A rule's report of one problem. `element` identifies the offending
    element independently of its line (for fingerprints and baselines)."""

    span: Span
    message: str
    element: str = ""
    address: str | None = None


@dataclass(frozen=True)
class Context:
    """What a check may consult besides the element it is given."""

    workspace: Workspace
    options: Mapping[str, object] = field(default_factory=dict)

    def option(self, name: str, default: object) -> object:
        """A configured option, or `default` when not set."""
        return self.options.get(name, default)


class Rule:
    """Base class; subclasses set the metadata and override some checks."""

    id: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    tags: ClassVar[tuple[str, ...]] = ()
    enabled_by_default: ClassVar[bool] = True
    # The input formats whose documents can trip this rule; each needs
    # fixtures that must and must not trigger it (see tests/test_rules.py).
    formats: ClassVar[tuple[str, ...]] = ("json", "cloudformation", "terraform")
    # Options a user may set under [tool.iamlint.rules.<ID>], with defaults;
    # the default's type is the option's type. Others are a config error.
    options: ClassVar[Mapping[str, object]] = {}

    def check_statement(self, statement: Statement, policy: Policy, ctx: Context) -> Iterable[Hit]:
        return ()

    def check_policy(self, policy: Policy, ctx: Context) -> Iterable[Hit]:
        return ()

    def check_identity(self, identity: Identity, ctx: Context) -> Iterable[Hit]:
        return ()

    def check_document(self, document: Document, ctx: Context) -> Iterable[Hit]:
        return ()

    def check_workspace(self, workspace: Workspace, ctx: Context) -> Iterable[Hit]:
        return ()

    @classmethod
    def overridden_checks(cls) -> tuple[str, ...]:
        """The check methods this rule implements."""
        return tuple(name for name in CHECKS if getattr(cls, name) is not getattr(Rule, name))

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def sections(cls) -> dict[str, str]:
        return parse_sections(cls.documentation())

    @classmethod
    def info(cls) -> RuleInfo:
        sections = cls.sections()
        what = sections.get("What it does", "")
        return RuleInfo(
            id=cls.id,
            name=cls.name,
            severity=cls.severity,
            summary=first_sentence(what),
            description=what,
            documentation=cls.documentation(),
            tags=cls.tags,
            enabled_by_default=cls.enabled_by_default,
        )


_HEADING = re.compile(r"^## (.+?)\s*$", re.M)


def parse_sections(doc: str) -> dict[str, str]:
    """Split a ruff-style docstring into its `## Heading` sections."""
    sections: dict[str, str] = {}
    matches = list(_HEADING.finditer(doc))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(doc)
        sections[m.group(1)] = doc[m.end() : end].strip()
    return sections


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph, on one line."""
    flat = " ".join(text.split())
    m = re.search(r"(?<=[.!?])\s", flat)
    return flat[: m.start()] if m else flat
