"""A results cache, so a second run over an unchanged tree is fast.

Findings are stored per unit (a file, or a Terraform module directory),
keyed by the content of its files, the configuration, the rules that ran
and iamlint's version. A file's content hash is reused while its size and
modification time are unchanged, so a warm run reads no policy file. A
unit whose load read more than its files (the modules a Terraform module
calls, its `file()`d documents, its `.tfvars`) stores a token of each
(inputs.py), and is checked again as soon as one of them changed.

The cache lives in the user's cache directory, not in the scanned tree: a
tree comes from a pull request and could carry a forged cache that hides
findings. It is plain JSON, never pickle, for the same reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from iamlint import __version__
from iamlint.config import Config, describe
from iamlint.discover import Candidate
from iamlint.findings import Finding
from iamlint.inputs import Input, content_token, current_token, still
from iamlint.model import Span

CACHE_FORMAT = 3  # 3: entries list the inputs beyond their unit's files


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iamlint"


def _digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class ResultsCache:
    """Findings per unit for one root, configuration and rule set."""

    def __init__(self, directory: Path, root: Path, config: Config, rules: Sequence[str]) -> None:
        settings = json.dumps(describe(config), sort_keys=True, default=str)
        var_files = [content_token(v.data) for v in config.var_files]
        self._salt = _digest(
            __version__, str(CACHE_FORMAT), settings, ",".join(rules), _code_stamp(), *var_files
        )
        self._tokens: dict[str, str] = {}  # inputs beyond units' files, as they are now
        # Inputs beyond units' files: path -> [size, mtime_ns, token]
        self._inputs: dict[str, list[Any]] = {}
        self._fresh_inputs: dict[str, list[Any]] = {}
        self.path = directory / f"{_digest(str(root))}.json"
        self._files: dict[str, list[Any]] = {}  # display -> [size, mtime_ns, content hash]
        self._units: dict[str, dict[str, Any]] = {}
        self._fresh_units: dict[str, dict[str, Any]] = {}
        self._fresh_files: dict[str, list[Any]] = {}
        self._changed = False  # anything learnt that the file on disk lacks
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return
        files, units, inputs = data.get("files"), data.get("units"), data.get("inputs")
        if isinstance(files, dict):
            self._files = files
        if isinstance(inputs, dict):
            self._inputs = inputs
        if isinstance(units, dict):
            self._units = units

    def _file_hash(self, cand: Candidate) -> str | None:
        try:
            st = os.stat(cand.file)
        except OSError:
            return None
        known = self._files.get(cand.display)
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            content_hash = str(known[2])
        else:
            self._changed = True
            try:
                with open(cand.file, "rb") as fh:
                    content_hash = hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
            except OSError:
                return None
        self._fresh_files[cand.display] = [st.st_size, st.st_mtime_ns, content_hash]
        return content_hash

    def key(self, unit: Sequence[Candidate]) -> str | None:
        """The unit's key, or None when a file cannot be looked at."""
        # The scanned tree decides what the unit may read (a module in
        # ../modules is outside `infra` but inside `.`).
        parts = [self._salt, str(unit[0].top) if unit else ""]
        for cand in unit:
            content_hash = self._file_hash(cand)
            if content_hash is None:
                return None
            parts += [cand.display, str(cand.context), content_hash]
        return _digest(*parts)

    def get(self, key: str) -> tuple[list[Finding], int] | None:
        entry = self._units.get(key)
        if entry is None:
            return None
        try:
            for path, token in entry.get("inputs", ()):
                if not still(path, token, self._token):
                    return None  # a called module, file()d document, .tfvars changed
            findings = [_finding(row) for row in entry["findings"]]
            files = int(entry["files"])
        except (KeyError, TypeError, ValueError):
            return None
        self._fresh_units[key] = entry
        return findings, files

    def put(
        self,
        key: str,
        findings: Sequence[Finding],
        files: int,
        inputs: Sequence[Input] = (),
    ) -> None:
        entry: dict[str, Any] = {"findings": [_row(f) for f in findings], "files": files}
        if inputs:
            entry["inputs"] = [[path, token] for path, token, _, _ in inputs]
            for path, token, size, mtime_ns in inputs:
                if size >= 0:  # as the loader saw it: trusted while unchanged
                    self._fresh_inputs[path] = [size, mtime_ns, token]
        self._fresh_units[key] = entry
        self._changed = True

    def _token(self, path: str) -> str:
        """An input's token now; by its size and time alone while those are
        what they were when the token was taken."""
        token = self._tokens.get(path)
        if token is not None:
            return token
        known = self._inputs.get(path)
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            st = None
        if (
            known
            and len(known) == 3
            and st is not None
            and [st.st_size, st.st_mtime_ns] == known[:2]
        ):
            token = str(known[2])
        else:
            token = current_token(path)
            self._changed = True
        if st is not None:
            self._fresh_inputs[path] = [st.st_size, st.st_mtime_ns, token]
        self._tokens[path] = token
        return token

    def save(self) -> None:
        """Write what this run used: entries of vanished files drop out.
        Nothing is written when the run used exactly what was there."""
        same = (
            len(self._fresh_units) == len(self._units)
            and len(self._fresh_files) == len(self._files)
            and len(self._fresh_inputs) == len(self._inputs)
        )
        if same and not self._changed:
            return
        data = {
            "format": CACHE_FORMAT,
            "files": self._fresh_files,
            "inputs": self._fresh_inputs,
            "units": self._fresh_units,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def _code_stamp() -> str:
    """Size and mtime of iamlint's own modules and rules: a rule edited in a
    checkout (same version number) must not be answered from the cache."""
    import importlib

    import iamlint

    rules = importlib.import_module("iamlint.rules")
    stamps = []
    for top in (*iamlint.__path__, *rules.__path__):
        for directory, _, names in sorted(os.walk(top)):
            for name in sorted(names):
                if name.endswith((".py", ".bin", ".json")):
                    st = os.stat(os.path.join(directory, name))
                    stamps.append(f"{directory}/{name}:{st.st_size}:{st.st_mtime_ns}")
    return _digest(*stamps)


def _row(f: Finding) -> list[Any]:
    # A list, not an object: a cached run decodes every finding of the tree.
    return [
        f.rule_id,
        f.rule_name,
        f.severity,
        f.message,
        *f.span,
        f.fingerprint,
        f.address,
        f.suppressed_by,
    ]


def _finding(row: list[Any]) -> Finding:
    # Interned as the scan does for fresh findings (scan._shared): a big
    # tree's findings repeat their messages and paths.
    rule_id, name, severity, message, path, line, column, end_line, end_column = row[:9]
    fingerprint, address, suppressed_by = row[9:]
    intern = sys.intern
    return Finding(
        intern(rule_id),
        intern(name),
        severity,
        intern(message),
        Span(intern(path), line, column, end_line, end_column),
        fingerprint,
        None if address is None else intern(address),
        suppressed_by,
    )
