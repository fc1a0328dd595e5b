"""One run: discover files, load them into the model, run the engine.

Every file is handled inside its own guard: whatever one file does, the
others are still loaded and their findings reported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from iamlint import loaders
from iamlint.config import Config
from iamlint.discover import Candidate, discover
from iamlint.engine import Engine, select_rules
from iamlint.findings import Finding
from iamlint.loaders import Loader, Source, error_document
from iamlint.model import Document, Span, Workspace

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class ScanResult:
    documents: tuple[Document, ...]
    findings: tuple[Finding, ...]
    engine: Engine
    files_scanned: int


def load_documents(paths: Iterable[Path], root: Path, config: Config) -> tuple[list[Document], int]:
    """Documents of every file a loader takes, and how many files were read."""
    candidates = discover(
        paths, root, loaders.extensions(), config.exclude, config.respect_gitignore
    )
    documents: list[Document] = []
    groups: dict[tuple[str, Path], tuple[Loader, list[Source]]] = {}
    count = 0
    for cand in candidates:
        claimed = _claim(cand, config)
        if claimed is None:
            continue
        count += 1
        if isinstance(claimed, Document):
            documents.append(claimed)
            continue
        loader, source = claimed
        if loader.GROUPED:
            key = (loader.FORMAT, cand.path.parent)
            groups.setdefault(key, (loader, []))[1].append(source)
        else:
            documents.extend(_load(loader, [source]))
    for loader, sources in groups.values():
        documents.extend(_load(loader, sources))
    documents.sort(key=lambda d: d.path)
    return documents, count


def _claim(cand: Candidate, config: Config) -> tuple[Loader, Source] | Document | None:
    """Read a file and find its loader; an unreadable file is an error document."""
    here = Span(cand.display, 1, 1, 1, 1)
    try:
        size = os.stat(cand.path).st_size
        if size > config.max_file_size:
            with open(cand.path, "rb") as fh:
                head = fh.read(_SNIFF_BYTES)
            loader = loaders.claim(cand.display, head)
            if loader is None and not cand.explicit:
                return None
            message = (
                f"file is {_human(size)}, above the {_human(config.max_file_size)} limit:"
                " not scanned (see --max-file-size)"
            )
            return error_document(cand.display, loader.FORMAT if loader else "", message, here)
        with open(cand.path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return error_document(cand.display, "", "no such file or directory", here)
    except IsADirectoryError:
        return None
    except OSError as exc:
        return error_document(cand.display, "", f"cannot read file: {exc.strerror}", here)
    loader = loaders.claim(cand.display, data)
    if loader is None:
        return None
    return loader, Source(cand.path, cand.display, data)


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 2**20:.1f} MiB"
    return f"{size / 1024:.0f} KiB"


def _load(loader: Loader, sources: Sequence[Source]) -> list[Document]:
    try:
        return loader.load(sources)
    except RecursionError:
        reason = "nesting too deep to read"
    except Exception as exc:  # noqa: BLE001 - a loader bug must not end the run
        reason = f"internal error in the {loader.FORMAT} loader: {type(exc).__name__}: {exc}"
    return [
        error_document(s.display, loader.FORMAT, reason, Span(s.display, 1, 1, 1, 1))
        for s in sources
    ]


def scan(paths: Sequence[Path], root: Path, config: Config) -> ScanResult:
    engine = Engine(select_rules(config), config)
    documents, count = load_documents(paths, root, config)
    workspace = Workspace(tuple(documents))
    findings = engine.run(workspace)
    return ScanResult(tuple(documents), tuple(findings), engine, count)
