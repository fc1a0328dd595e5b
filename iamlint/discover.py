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
    # A str, not a Path: a big tree has hundreds of thousands of candidates,
    # held for the whole run, and a Path with its cached parts weighs about
    # 500 bytes more.
    file: str  # absolute
    display: str  # relative to the root when inside it, POSIX separators
    explicit: bool  # named on the command line
    context: bool = False  # read only so a named sibling's references resolve
    top: Path | None = None  # the scanned tree it belongs to

    @property
    def path(self) -> Path:
        return Path(self.file)


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

    @property
    def active(self) -> bool:
        return bool(self._specs)

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
    excludes = _Excludes(exclude)
    seen: set[str] = set()
    exts = tuple(extensions)
    root_prefix = str(root).rstrip(os.sep) + os.sep
    for given in paths:
        top = os.path.abspath(given)
        if os.path.isdir(top):
            ignore = _repository_ignores(Path(top)) if respect_gitignore else _Ignore()
            tree = Path(top)
            for found in _walk(top, top, ignore, excludes, exts, respect_gitignore):
                if found not in seen:
                    seen.add(found)
                    yield Candidate(found, _display(found, root_prefix, root), False, top=tree)
        elif top not in seen:
            # Named explicitly (or missing: the caller reports that). Its tree
            # is the root when it lies inside it, else its own directory.
            seen.add(top)
            tree = root if top.startswith(root_prefix) else Path(top).parent
            yield Candidate(top, _display(top, root_prefix, root), True, top=tree)


def _display(path: str, root_prefix: str, root: Path) -> str:
    if path.startswith(root_prefix):
        rel = path[len(root_prefix) :]
        return rel.replace(os.sep, "/") if os.sep != "/" else rel
    return display_path(Path(path), root)


class _Excludes:
    """Names (`node_modules`) match any entry; globs match the entry's name
    or its path relative to the scanned directory (`legacy/*.json`)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.names = frozenset(patterns)
        self.globs = tuple(p for p in self.names if any(ch in p for ch in "*?[/"))

    def match(self, name: str, path: str, top: str) -> bool:
        if name in self.names:
            return True
        if not self.globs:
            return False
        rel = os.path.relpath(path, top).replace(os.sep, "/")
        return any(fnmatchcase(name, g) or fnmatchcase(rel, g) for g in self.globs)


def _walk(
    top: str,
    directory: str,
    ignore: _Ignore,
    excludes: _Excludes,
    exts: tuple[str, ...],
    respect_gitignore: bool,
) -> Iterator[str]:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    if respect_gitignore and directory != top:
        ignore = ignore.scoped(Path(directory))
    check_ignore = ignore.active
    for entry in entries:
        name = entry.name
        if excludes.match(name, entry.path, top):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                if not (check_ignore and ignore.ignored(Path(entry.path), True)):
                    yield from _walk(top, entry.path, ignore, excludes, exts, respect_gitignore)
                continue
            if not name.lower().endswith(exts):
                continue
            if entry.is_symlink() and not _inside(Path(entry.path), Path(top)):
                continue
            if not entry.is_file():
                continue
            if check_ignore and ignore.ignored(Path(entry.path), False):
                continue
        except OSError:
            continue
        yield entry.path


def _inside(path: Path, top: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(top.resolve())
    except (OSError, ValueError, RuntimeError):
        return False
    return True
