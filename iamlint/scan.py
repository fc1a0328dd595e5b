"""One run: discover files, load them into the model, run the engine.

The work is cut into units: one file, or one directory for formats whose
files are read together (Terraform modules). Each unit is loaded and checked
on its own, in worker processes when the tree is large, and the findings are
sorted at the end, so the output is the same whatever the number of jobs.
Every file is handled inside its own guard: whatever one file does, the
others are still loaded and their findings reported.
"""

from __future__ import annotations

import os
import sys
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
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 64
_BATCH_FILES = 32


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    engine: Engine
    files_scanned: int


@dataclass(frozen=True)
class _UnitResult:
    findings: list[Finding]
    documents: list[Document]  # kept only when a rule needs the whole workspace
    files: int


def plan_units(candidates: Iterable[Candidate]) -> list[list[Candidate]]:
    """Group files into units: a directory for grouped formats, else a file."""
    grouped_exts = tuple(ext for ldr in loaders.loaders() if ldr.GROUPED for ext in ldr.EXTENSIONS)
    units: list[list[Candidate]] = []
    by_dir: dict[Path, list[Candidate]] = {}
    for cand in candidates:
        if grouped_exts and cand.path.name.lower().endswith(grouped_exts):
            if cand.path.parent not in by_dir:
                by_dir[cand.path.parent] = []
                units.append(by_dir[cand.path.parent])
            by_dir[cand.path.parent].append(cand)
        else:
            units.append([cand])
    return units


def load_unit(unit: Sequence[Candidate], config: Config) -> tuple[list[Document], int]:
    """The documents of one unit, and how many of its files a loader took."""
    documents: list[Document] = []
    groups: dict[str, tuple[Loader, list[Source]]] = {}
    count = 0
    for cand in unit:
        claimed = _claim(cand, config)
        if claimed is None:
            continue
        count += 1
        if isinstance(claimed, Document):
            documents.append(claimed)
            continue
        loader, source = claimed
        if loader.GROUPED:
            groups.setdefault(loader.FORMAT, (loader, []))[1].append(source)
        else:
            documents.extend(_load(loader, [source]))
    for loader, sources in groups.values():
        documents.extend(_load(loader, sources))
    return documents, count


def load_documents(paths: Iterable[Path], root: Path, config: Config) -> tuple[list[Document], int]:
    """Documents of every file a loader takes, and how many files were read."""
    candidates = discover(
        paths, root, loaders.extensions(), config.exclude, config.respect_gitignore
    )
    documents: list[Document] = []
    count = 0
    for unit in plan_units(candidates):
        docs, n = load_unit(unit, config)
        documents.extend(docs)
        count += n
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


def _check_units(
    units: Sequence[Sequence[Candidate]], config: Config, engine: Engine
) -> _UnitResult:
    findings: list[Finding] = []
    kept: list[Document] = []
    files = 0
    for unit in units:
        documents, count = load_unit(unit, config)
        files += count
        findings.extend(engine.run_documents(Workspace(tuple(documents))))
        if engine.needs_workspace:
            kept.extend(documents)
    return _UnitResult(findings, kept, files)


_worker_engine: Engine | None = None
_worker_config: Config | None = None


def _init_worker(config: Config) -> None:
    global _worker_engine, _worker_config
    _worker_config = config
    _worker_engine = Engine(select_rules(config), config)


def _work(units: Sequence[Sequence[Candidate]]) -> _UnitResult:
    assert _worker_engine is not None and _worker_config is not None
    return _check_units(units, _worker_config, _worker_engine)


def _batches(units: list[list[Candidate]]) -> list[list[list[Candidate]]]:
    batches: list[list[list[Candidate]]] = [[]]
    size = 0
    for unit in units:
        if size >= _BATCH_FILES:
            batches.append([])
            size = 0
        batches[-1].append(unit)
        size += len(unit)
    return batches


def default_jobs() -> int:
    return os.cpu_count() or 1


def scan(paths: Sequence[Path], root: Path, config: Config, jobs: int | None = None) -> ScanResult:
    """Check every file under `paths`; findings sorted, the same for any `jobs`."""
    engine = Engine(select_rules(config), config)
    candidates = list(
        discover(paths, root, loaders.extensions(), config.exclude, config.respect_gitignore)
    )
    units = plan_units(candidates)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs > 1 and len(candidates) >= PARALLEL_THRESHOLD:
        results = _run_parallel(units, config, jobs)
    else:
        results = [_check_units(units, config, engine)]
    findings = [f for r in results for f in r.findings]
    if engine.needs_workspace:
        documents = sorted((d for r in results for d in r.documents), key=lambda d: d.path)
        findings.extend(engine.run_workspace(Workspace(tuple(documents))))
    findings.sort(key=Finding.sort_key)
    return ScanResult(tuple(findings), engine, sum(r.files for r in results))


def _run_parallel(units: list[list[Candidate]], config: Config, jobs: int) -> list[_UnitResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork shares the already imported rules and data; elsewhere, spawn.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(config,)
    ) as pool:
        return list(pool.map(_work, _batches(units)))
