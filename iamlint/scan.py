"""One run: discover files, load them into the model, run the engine.

The work is cut into units: one file, or one directory for formats whose
files are read together (Terraform modules). Each unit is loaded and checked
on its own, in worker processes when the tree is large, and the findings are
sorted at the end, so the output is the same whatever the number of jobs.
Every file is handled inside its own guard: whatever one file does, the
others are still loaded and their findings reported.
"""

from __future__ import annotations

import gc
import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from iamlint import loaders
from iamlint.config import Config
from iamlint.discover import Candidate, discover, display_path
from iamlint.engine import Engine, select_rules
from iamlint.findings import Finding
from iamlint.inputs import NEVER, Input
from iamlint.loaders import Loader, Source, error_document
from iamlint.model import Document, Span, Workspace

if TYPE_CHECKING:
    from concurrent.futures import Executor

_SNIFF_BYTES = 64 * 1024
# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 64
_BATCH_FILES = 32
# Workers are forked on Linux (cheap, and they share the imported code);
# elsewhere each is a fresh interpreter, started only when there is work.
_FORK = sys.platform.startswith("linux")


class Progress(Protocol):
    """Told how much work there is, then how much more is done."""

    def set_total(self, files: int) -> None: ...

    def advance(self, files: int) -> None: ...


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]  # sorted, not suppressed
    suppressed: tuple[Finding, ...]
    engine: Engine
    files_scanned: int


@dataclass(frozen=True)
class _UnitResult:
    findings: list[Finding]
    documents: list[Document]  # kept only when a rule needs the whole workspace
    files: int
    inputs: tuple[Input, ...] = ()  # beyond the unit's files (Document.inputs)


def _grouped_extensions() -> tuple[str, ...]:
    return tuple(ext for ldr in loaders.loaders() if ldr.GROUPED for ext in ldr.EXTENSIONS)


def plan_units(candidates: Iterable[Candidate], root: Path | None = None) -> list[list[Candidate]]:
    """Group files into units: a directory for grouped formats, else a file.

    A grouped file named on its own (as pre-commit passes them) brings its
    directory's other files of that format as context, marked not explicit:
    they are read so references resolve, but not reported."""
    grouped_exts = _grouped_extensions()
    units: list[list[Candidate]] = []
    by_dir: dict[Path, list[Candidate]] = {}
    for cand in candidates:
        if grouped_exts and cand.file.lower().endswith(grouped_exts):
            parent = cand.path.parent
            if parent not in by_dir:
                by_dir[parent] = []
                units.append(by_dir[parent])
            by_dir[parent].append(cand)
        else:
            units.append([cand])
    for directory, unit in by_dir.items():
        if root is None or not any(c.explicit for c in unit):
            continue
        named = {c.path for c in unit}
        try:
            siblings = sorted(directory.iterdir())
        except OSError:
            continue
        for sibling in siblings:
            wanted = sibling not in named and sibling.name.lower().endswith(grouped_exts)
            if wanted and sibling.is_file():
                unit.append(
                    Candidate(str(sibling), display_path(sibling, root), False, context=True)
                )
    return units


def load_unit(
    unit: Sequence[Candidate], config: Config, overrides: Mapping[Path, bytes] | None = None
) -> tuple[list[Document], int]:
    """The documents of one unit, and how many of its files a loader took.

    `overrides` gives the content of files that differ from the disk (an
    editor's unsaved buffers)."""
    with _few_collections():
        return _load_unit(unit, config, overrides)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Collect the young generation every 50,000 allocations, not 700,
    while a unit loads: a loader builds hundreds of thousands of small
    objects that all live until the unit is done, so frequent collections
    only walk them again and again (the Terraform corpus loads about 10%
    faster, median of interleaved runs). The threshold is restored after."""
    old = gc.get_threshold()
    if old[0]:  # 0: the host turned automatic collection off; leave it so
        gc.set_threshold(max(old[0], 50_000), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _load_unit(
    unit: Sequence[Candidate], config: Config, overrides: Mapping[Path, bytes] | None
) -> tuple[list[Document], int]:
    documents: list[Document] = []
    groups: dict[str, tuple[Loader, list[Source]]] = {}
    count = 0
    for cand in unit:
        if overrides is not None and cand.path in overrides:
            data = overrides[cand.path]
            loader = loaders.claim(cand.display, data)
            claimed: tuple[Loader, Source] | Document | None = (
                None
                if loader is None
                else (loader, Source(cand.path, cand.display, data, cand.top, config.var_files))
            )
        else:
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
        size = os.stat(cand.file).st_size
        if size > config.max_file_size:
            with open(cand.file, "rb") as fh:
                head = fh.read(_SNIFF_BYTES)
            loader = loaders.claim(cand.display, head)
            if loader is None and not cand.explicit:
                return None
            message = (
                f"file is {_human(size)}, above the {_human(config.max_file_size)} limit:"
                " not scanned (see --max-file-size)"
            )
            return error_document(cand.display, loader.FORMAT if loader else "", message, here)
        with open(cand.file, "rb") as fh:
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
    return loader, Source(cand.path, cand.display, data, cand.top, config.var_files)


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
    # What the failed load read is unknown: the results cache must not keep
    # the failure past the next change anywhere.
    return [
        replace(
            error_document(s.display, loader.FORMAT, reason, Span(s.display, 1, 1, 1, 1)),
            inputs=(NEVER,),
        )
        for s in sources
    ]


def _check_unit(unit: Sequence[Candidate], config: Config, engine: Engine) -> _UnitResult:
    documents, count = load_unit(unit, config)
    workspace = Workspace(tuple(documents), frozenset(config.own_accounts))
    found = engine.run_documents(workspace)
    context = {c.display for c in unit if c.context}
    if context:
        found = [f for f in found if f.span.path not in context]
    inputs = tuple(sorted({pair for d in documents for pair in d.inputs}))
    return _UnitResult(found, documents if engine.needs_workspace else [], count, inputs)


def _check_units(
    units: Sequence[Sequence[Candidate]], config: Config, engine: Engine
) -> list[_UnitResult]:
    return [_check_unit(unit, config, engine) for unit in units]


_worker_engine: Engine | None = None
_worker_config: Config | None = None


def _init_worker(config: Config) -> None:
    global _worker_engine, _worker_config
    _worker_config = config
    _worker_engine = Engine(select_rules(config), config)


def _work(units: Sequence[Sequence[Candidate]]) -> list[_UnitResult]:
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


def in_shard(unit: Sequence[Candidate], shard: tuple[int, int]) -> bool:
    """Is this unit part of shard K of N? Decided by a stable hash of the
    unit's name (its directory for a module), the same on every machine."""
    k, n = shard
    name = unit[0].display
    if unit[0].file.lower().endswith(_grouped_extensions()):
        name = name.rsplit("/", 1)[0] if "/" in name else "."
    return zlib.crc32(name.encode("utf-8")) % n == k - 1


def scan(
    paths: Sequence[Path],
    root: Path,
    config: Config,
    jobs: int | None = None,
    shard: tuple[int, int] | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Check every file under `paths`; findings sorted, the same for any `jobs`.

    With `shard` (K, N), only the K-th of N deterministic parts of the work.
    With `cache_dir`, units whose files, configuration and rules are
    unchanged since the last run there are not checked again. `progress`
    hears the number of files, then how many more are done as units finish."""
    engine = Engine(select_rules(config), config)
    jobs = default_jobs() if jobs is None else max(1, jobs)
    with _Workers(config, jobs) as workers:
        if jobs > 1 and _FORK and any(p.is_dir() for p in paths):
            # Fork now, while this process holds only code: a worker forked
            # after discovery starts with a copy of the list of files (about
            # 100 MiB at 240,000 files), and holds it to the end. About 10 ms
            # lost when the tree turns out small or cached.
            workers.start()
        candidates = list(
            discover(paths, root, loaders.extensions(), config.exclude, config.respect_gitignore)
        )
        units = plan_units(candidates, root)
        if shard is not None:
            units = [u for u in units if in_shard(u, shard)]
        if progress is not None:
            progress.set_total(sum(len(u) for u in units))
        cache = None
        if cache_dir is not None and not engine.needs_workspace:
            from iamlint.cache import ResultsCache

            rule_ids = [f"{r.id}:{engine.severity_of(r)}" for r in engine.rules]
            cache = ResultsCache(cache_dir, root, config, rule_ids)
        results: list[_UnitResult] = []
        todo: list[list[Candidate]] = []
        keys: list[str | None] = []
        for unit in units:
            key = cache.key(unit) if cache is not None else None
            hit = cache.get(key) if cache is not None and key is not None else None
            if hit is not None:
                results.append(_UnitResult(hit[0], [], hit[1]))
                if progress is not None:
                    progress.advance(len(unit))
            else:
                todo.append(unit)
                keys.append(key)
        if jobs > 1 and sum(len(u) for u in todo) >= PARALLEL_THRESHOLD:
            fresh = workers.run(todo, progress)
        else:
            fresh = []
            for unit in todo:
                fresh.append(_shared(_check_unit(unit, config, engine)))
                if progress is not None:
                    progress.advance(len(unit))
    results.extend(fresh)
    if cache is not None:
        for key, result in zip(keys, fresh, strict=True):
            if key is not None:
                cache.put(key, result.findings, result.files, result.inputs)
        cache.save()
    files = sum(r.files for r in results)
    by_path: dict[str, list[Finding]] = {}
    for r in results:
        for f in r.findings:
            by_path.setdefault(f.span.path, []).append(f)
    if engine.needs_workspace:
        documents = sorted((d for r in results for d in r.documents), key=lambda d: d.path)
        workspace = Workspace(tuple(documents), frozenset(config.own_accounts))
        for f in engine.run_workspace(workspace):
            by_path.setdefault(f.span.path, []).append(f)
    del results, fresh
    findings = list(_in_order(by_path))
    return ScanResult(
        tuple(f for f in findings if f.suppressed_by is None),
        tuple(f for f in findings if f.suppressed_by is not None),
        engine,
        files,
    )


def _in_order(by_path: dict[str, list[Finding]]) -> Iterator[Finding]:
    """Every finding sorted, once per rule and place: a JSON document that a
    Terraform module reads with file() is also a policy file of its own, and
    both loaders report the same element. File by file, so that sorting
    never holds a key for every finding of a big tree at once."""
    for path in sorted(by_path):
        group = by_path[path]
        group.sort(key=Finding.sort_key)
        seen: set[tuple[str, Span]] = set()
        for f in group:
            key = (f.rule_id, f.span)
            if key not in seen:
                seen.add(key)
                yield f


def _shared(result: _UnitResult) -> _UnitResult:
    """The same result with equal strings of its findings made one object
    (interned; the cache does the same). The main process holds every
    finding until the report is written, and much of their text repeats (a
    rule's message for the same action, the path of a file with many
    findings): 2,677 distinct messages among 67,090 findings at 10 times the
    corpus."""
    share = sys.intern
    out = []
    for f in result.findings:
        s = f.span
        out.append(
            Finding(
                share(f.rule_id),
                share(f.rule_name),
                f.severity,
                share(f.message),
                Span(share(s.path), s.line, s.column, s.end_line, s.end_column),
                f.fingerprint,  # unique per finding: nothing to share
                None if f.address is None else share(f.address),
                f.suppressed_by,
            )
        )
    return _UnitResult(out, result.documents, result.files, result.inputs)


class _Workers:
    """Worker processes, started ahead (start) or on first use (run)."""

    def __init__(self, config: Config, jobs: int) -> None:
        self._config = config
        self._jobs = jobs
        self._pool: Executor | None = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def start(self) -> None:
        if self._pool is not None:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork shares the already imported rules and data; elsewhere, spawn.
        method = "fork" if _FORK else "spawn"
        self._pool = ProcessPoolExecutor(
            max_workers=self._jobs,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(self._config,),
        )
        # A collection in a forked worker writes to every object it inherited
        # (the imported rules and data), copying their pages: frozen objects
        # are left alone, so the pages stay shared. With fork, the first
        # task starts every worker.
        gc.freeze()
        try:
            self._pool.submit(int)
        finally:
            gc.unfreeze()

    def run(
        self, units: list[list[Candidate]], progress: Progress | None = None
    ) -> list[_UnitResult]:
        self.start()
        assert self._pool is not None
        batches = _batches(units)
        out: list[_UnitResult] = []
        for batch, results in zip(batches, self._pool.map(_work, batches), strict=True):
            out.extend(_shared(r) for r in results)
            if progress is not None:
                progress.advance(sum(len(unit) for unit in batch))
        return out


def check_buffer(path: Path, data: bytes, root: Path, config: Config) -> list[Finding]:
    """Findings for one file whose current content is `data` (an editor's
    unsaved text), read with its module's sibling files where its format
    needs them. Only the file's own findings are returned."""
    path = Path(os.path.abspath(path))
    display = display_path(path, root)
    unit = [Candidate(str(path), display, True, top=root)]
    grouped = tuple(ext for ldr in loaders.loaders() if ldr.GROUPED for ext in ldr.EXTENSIONS)
    if grouped and path.name.lower().endswith(grouped) and path.parent.is_dir():
        for sibling in sorted(path.parent.iterdir()):
            if sibling != path and sibling.name.lower().endswith(grouped) and sibling.is_file():
                unit.append(Candidate(str(sibling), display_path(sibling, root), False, top=root))
    engine = Engine(select_rules(config), config)
    documents, _ = load_unit(unit, config, {path: data})
    findings = engine.run(Workspace(tuple(documents), frozenset(config.own_accounts)))
    return [f for f in findings if f.span.path == display and f.suppressed_by is None]
