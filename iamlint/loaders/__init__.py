"""Loaders: one module per input format, found by discovery.

A loader module defines FORMAT, EXTENSIONS (lower-case name endings),
PRIORITY (lower runs first when several claim a file), GROUPED (True when
all files of one directory must be loaded together, as Terraform modules
are), `sniff(name, data) -> bool`, a cheap look at the content, and
`load(sources) -> list[Document]`. A loader imports its parser inside
load(), so a run pays only for the formats it meets, and never decides
what is wrong: that is the rules' job.

Modules that are not loaders are the shared helpers named in _HELPERS and
a format's own helpers, named with its prefix (`cfn_`, `tf_`): discovery
does not import them, so start-up stays cheap.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol, cast

from iamlint.inputs import VarFile
from iamlint.model import Document, Span

_HELPERS = frozenset({"jsonpos", "nodes", "policydoc", "text", "credentials", "identities"})
_HELPER_PREFIXES = ("cfn_", "tf_")


@dataclass(frozen=True, slots=True)
class Source:
    """One input file: where it is, how reports name it, its bytes; and the
    run's context: the scanned tree, the Terraform variable files given."""

    path: Path
    display: str
    data: bytes
    root: Path | None = None  # the scanned tree: nothing outside it is read
    var_files: tuple[VarFile, ...] = ()  # `--var-file`, for a root module's variables


class Loader(Protocol):
    FORMAT: str
    EXTENSIONS: tuple[str, ...]
    PRIORITY: int
    GROUPED: bool

    def sniff(self, name: str, data: bytes) -> bool: ...

    def load(self, sources: Sequence[Source]) -> list[Document]: ...


class LoadError(Exception):
    """Input that cannot be read, with the offset where reading failed."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


_loaders: list[Loader] | None = None


def loaders() -> list[Loader]:
    """Every loader module in this package, in priority order."""
    global _loaders
    if _loaders is None:
        found: list[Loader] = []
        for info in pkgutil.iter_modules(__path__):
            name = info.name
            if name.startswith("_") or name in _HELPERS or name.startswith(_HELPER_PREFIXES):
                continue
            module: ModuleType = importlib.import_module(f"{__name__}.{name}")
            if hasattr(module, "load") and hasattr(module, "sniff"):
                found.append(cast(Loader, module))
        found.sort(key=lambda m: (m.PRIORITY, m.FORMAT))
        _loaders = found
    return _loaders


def extensions() -> frozenset[str]:
    return frozenset(ext for loader in loaders() for ext in loader.EXTENSIONS)


def claim(name: str, data: bytes) -> Loader | None:
    """The loader that takes this file, or None when none of them does."""
    lower = name.lower()
    for loader in loaders():
        if lower.endswith(loader.EXTENSIONS) and loader.sniff(lower, data):
            return loader
    return None


def error_document(path: str, source_format: str, message: str, span: Span) -> Document:
    """A document that holds only a parse error (IAM000)."""
    from iamlint.model import ParseError

    return Document(path, source_format, errors=(ParseError(message, span),))
