"""Finding the files to scan: walk the paths, honour excludes and .gitignore.

Files named on the command line are always scanned. Directories are walked
without following symlinks to directories; a symlinked file is scanned only
when it resolves inside the scanned tree. Which loader takes a file is
decided later, from its name and content.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path  # absolute
    display: str  # relative to the root when inside it, POSIX separators
    explicit: bool  # named on the command line
    context: bool = False  # read only so a named sibling's references resolve


def display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class _Ignore:
    """The .gitignore files that apply, each relative to its own directory."""

    def __init__(self) -> None:
        self._specs: list[tuple[Path, Any]] = []

    def add(self, directory: Path) -> None:
        gitignore = directory / ".gitignore"
        if not gitignore.is_file():
            return
        try:
            lines = gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        import pathspec  # only when a .gitignore exists

        self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs:
            try:
                rel = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(rel + "/" if is_dir else rel):
                return True
        return False

    def scoped(self, directory: Path) -> _Ignore:
        child = _Ignore()
        child._specs = list(self._specs)
        child.add(directory)
        return child


def _repository_ignores(start: Path) -> _Ignore:
    """The .gitignore files from the repository root down to `start`."""
    chain = []
    for directory in (start, *start.parents):
        chain.append(directory)
        if (directory / ".git").exists():
            break
    else:
        chain = [start]
    ignore = _Ignore()
    for directory in reversed(chain):
        ignore.add(directory)
    return ignore


def discover(
    paths: Iterable[Path],
    root: Path,
    extensions: frozenset[str],
    exclude: Iterable[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[Candidate]:
    """Yield the files to scan, each once, in a stable order."""
    excluded = frozenset(exclude)
    seen: set[Path] = set()
    exts = tuple(extensions)
    for given in paths:
        path = Path(os.path.abspath(given))
        if path.is_dir():
            ignore = _repository_ignores(path) if respect_gitignore else _Ignore()
            for found in _walk(path, path, ignore, excluded, exts, respect_gitignore):
                if found not in seen:
                    seen.add(found)
                    yield Candidate(found, display_path(found, root), False)
        elif path not in seen:
            # Named explicitly (or missing: the caller reports that).
            seen.add(path)
            yield Candidate(path, display_path(path, root), True)


def _walk(
    top: Path,
    directory: Path,
    ignore: _Ignore,
    excluded: frozenset[str],
    exts: tuple[str, ...],
    respect_gitignore: bool,
) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    if respect_gitignore and directory != top:
        ignore = ignore.scoped(directory)
    for entry in entries:
        path = Path(entry.path)
        if _excluded(entry.name, path, top, excluded):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if not ignore.ignored(path, True):
                    yield from _walk(top, path, ignore, excluded, exts, respect_gitignore)
                continue
            if not entry.name.lower().endswith(exts):
                continue
            if entry.is_symlink() and not _inside(path, top):
                continue
            if not entry.is_file() or ignore.ignored(path, False):
                continue
        except OSError:
            continue
        yield path


def _excluded(name: str, path: Path, top: Path, excluded: frozenset[str]) -> bool:
    """Excludes are names (`node_modules`) or globs, on the name or on the
    path relative to the scanned directory (`legacy/*.json`)."""
    if name in excluded:
        return True
    rel = path.relative_to(top).as_posix()
    return any(
        fnmatchcase(name, pattern) or fnmatchcase(rel, pattern)
        for pattern in excluded
        if any(ch in pattern for ch in "*?[/")
    )


def _inside(path: Path, top: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(top.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return True
