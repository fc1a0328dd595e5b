"""`iamlint lsp`: a language server over stdio that shows findings in an editor.

Documents in the formats iamlint reads are checked with their unsaved text
when they are opened, saved and (after a short pause in typing) changed,
and their findings are published as diagnostics; closing a document clears
them. The lint runs on a worker thread, so the server keeps answering while
a large file is checked, and whatever goes wrong while checking one document
is reported on that document and in the client's log, never ending the
server.

pygls is imported only when the server starts: the rest of iamlint never
pays for it, and the helpers below (positions, severities) work without it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from iamlint.config import Config, ConfigError, find_config
from iamlint.findings import Finding
from iamlint.model import Span
from iamlint.scan import check_buffer

if TYPE_CHECKING:
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

EXIT_ERROR = 2
SOURCE = "iamlint"
# The suffixes of the documents the server checks (compared in lower case).
LINTED_SUFFIXES = (".tf", ".tf.json", ".json", ".yaml", ".yml", ".template")
# How long typing must pause before a changed document is checked again.
DEBOUNCE_SECONDS = 0.3
RULE_DOCS_URL = "https://pypi.org/project/iamlint/#{}"
MISSING_PYGLS = "the language server needs pygls 2 or newer: pip install 'iamlint[lsp]'"

# LSP DiagnosticSeverity: 1 Error, 2 Warning, 3 Information, 4 Hint.
LSP_SEVERITY = {"critical": 1, "high": 1, "medium": 2, "low": 3, "info": 4}

logger = logging.getLogger(__name__)


def is_linted(path: str | Path) -> bool:
    """Whether the server checks a document with this name."""
    return str(path).lower().endswith(LINTED_SUFFIXES)


def rule_docs_url(rule_id: str) -> str:
    return RULE_DOCS_URL.format(rule_id.lower())


def _units(text: str, encoding: str) -> int:
    """Length of `text` in the code units of a position encoding."""
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-8":
        return len(text.encode("utf-8", errors="surrogatepass"))
    # UTF-16, the default: characters outside the BMP take two units.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class Positions:
    """Turns Spans into LSP positions for one document's text.

    A Span is 1-based and counts columns in characters (code points), the
    end column just past the last one; LSP is 0-based and counts characters
    in the units of the negotiated position encoding (UTF-16 unless the
    client asks for another). Lines end at "\\n", as the loaders count them.
    """

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.lines = text.split("\n")
        self.encoding = encoding
        # The loaders drop a UTF-8 BOM before counting columns; the editor keeps it.
        self.bom = 1 if text.startswith("\ufeff") else 0

    def position(self, line: int, column: int) -> tuple[int, int]:
        """A position beyond the text is clamped to it; line 0 (a place
        that could not be found) is the start of the document."""
        if line < 1:
            return 0, 0
        if line > len(self.lines):
            return len(self.lines) - 1, _units(self.lines[-1], self.encoding)
        offset = max(column - 1, 0) + (self.bom if line == 1 else 0)
        return line - 1, _units(self.lines[line - 1][:offset], self.encoding)

    def range(self, span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        start = self.position(span.line, span.column)
        end = self.position(span.end_line, span.end_column) if span.end_line >= 1 else start
        return start, max(start, end)


def lsp_range(
    span: Span, text: str, encoding: str = "utf-16"
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The 0-based LSP ((line, character), (line, character)) of a Span."""
    return Positions(text, encoding).range(span)


@dataclass(frozen=True)
class Problem:
    """One diagnostic, independent of pygls's types."""

    start: tuple[int, int]
    end: tuple[int, int]
    severity: int
    message: str
    code: str | None = None

    @classmethod
    def from_finding(cls, finding: Finding, positions: Positions) -> Problem:
        start, end = positions.range(finding.span)
        return cls(start, end, LSP_SEVERITY[finding.severity], finding.message, finding.rule_id)


def lint_text(path: Path, text: str, root: Path) -> list[Finding]:
    """The findings of one document's current text. The configuration is
    the one `iamlint check` run from `root` would use (the nearest file to
    it), so the editor shows what CI reports. ConfigError when it is wrong."""
    config: Config = find_config(root)
    return check_buffer(path, text.encode("utf-8", errors="surrogatepass"), root, config)


def diagnose(path: Path, text: str, root: Path, encoding: str) -> tuple[list[Problem], str | None]:
    """The problems of one document, and a message for the client's log when
    checking it went wrong. Never raises (except on cancellation)."""
    try:
        findings = lint_text(path, text, root)
    except ConfigError as exc:
        message = f"iamlint configuration error: {exc}"
        return [Problem((0, 0), (0, 0), 1, message)], message
    except Exception as exc:  # noqa: BLE001 - one document must never end the server
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        message = f"internal error while checking this file: {type(exc).__name__}: {exc}"
        return [Problem((0, 0), (0, 0), 1, message, "IAM000")], f"{path}: {message}\n{detail}"
    positions = Positions(text, encoding)
    return [Problem.from_finding(f, positions) for f in findings], None


def workspace_root(path: Path, folders: Sequence[Path]) -> Path:
    """The deepest workspace folder holding `path`, else its directory."""
    best: Path | None = None
    for folder in folders:
        if path.is_relative_to(folder) and (best is None or len(folder.parts) > len(best.parts)):
            best = folder
    return best if best is not None else path.parent


class _Linter:
    """Schedules checks per document: at most one pending check each."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.open: set[str] = set()
        self.pending: dict[str, asyncio.Task[None]] = {}
        # One worker: checks run one at a time, off the event loop.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iamlint-lint")
        self.shutdown_requested = False

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        """Check `uri` after `delay` seconds, replacing any pending check."""
        self.cancel(uri)
        task = asyncio.get_running_loop().create_task(self._run(uri, delay))
        self.pending[uri] = task
        task.add_done_callback(lambda done: self._finished(uri, done))

    def cancel(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def _finished(self, uri: str, task: asyncio.Task[None]) -> None:
        if self.pending.get(uri) is task:
            del self.pending[uri]
        if not task.cancelled() and task.exception() is not None:
            self.log(f"iamlint: checking {uri} failed: {task.exception()!r}", error=True)

    def close(self, uri: str) -> None:
        self.cancel(uri)
        self.open.discard(uri)
        self.publish(uri, [], None)

    def path_of(self, uri: str) -> Path | None:
        from pygls.uris import to_fs_path

        fs_path = to_fs_path(uri)
        return Path(fs_path) if fs_path and is_linted(fs_path) else None

    def root_of(self, path: Path) -> Path:
        from pygls.uris import to_fs_path

        workspace = self.server.workspace
        uris = [folder.uri for folder in workspace.folders.values()]
        if workspace.root_uri:
            uris.append(workspace.root_uri)
        folders = [Path(p) for p in map(to_fs_path, uris) if p]
        return workspace_root(path, folders)

    async def _run(self, uri: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        path = self.path_of(uri)
        if path is None or uri not in self.open:
            return
        document = self.server.workspace.get_text_document(uri)
        text, version = document.source, document.version
        encoding = _encoding_name(self.server.workspace.position_encoding)
        loop = asyncio.get_running_loop()
        problems, log = await loop.run_in_executor(
            self.executor, diagnose, path, text, self.root_of(path), encoding
        )
        if log is not None:
            self.log(log, error=True)
        if uri in self.open:
            self.publish(uri, problems, version)

    def publish(self, uri: str, problems: Sequence[Problem], version: int | None) -> None:
        from lsprotocol import types

        diagnostics = [_diagnostic(p) for p in problems]
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def log(self, message: str, *, error: bool = False) -> None:
        from lsprotocol import types

        kind = types.MessageType.Error if error else types.MessageType.Info
        try:
            self.server.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # the client is gone: keep it on stderr
            logger.exception("cannot send a log message")


def _encoding_name(kind: object) -> str:
    """ "utf-8", "utf-16" or "utf-32" from what pygls negotiated (an enum
    that is also a str, a plain str, or None)."""
    value = kind.value if isinstance(kind, Enum) else kind
    return value if value in ("utf-8", "utf-32") else "utf-16"


def _diagnostic(problem: Problem) -> types.Diagnostic:
    from lsprotocol import types

    return types.Diagnostic(
        range=types.Range(
            start=types.Position(line=problem.start[0], character=problem.start[1]),
            end=types.Position(line=problem.end[0], character=problem.end[1]),
        ),
        severity=types.DiagnosticSeverity(problem.severity),
        source=SOURCE,
        code=problem.code,
        code_description=(
            types.CodeDescription(href=rule_docs_url(problem.code)) if problem.code else None
        ),
        message=problem.message,
    )


def build_server() -> tuple[LanguageServer, _Linter]:
    """The server with its handlers (pygls must be installed)."""
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    from iamlint import __version__

    server = LanguageServer("iamlint", __version__)
    linter = _Linter(server)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if linter.path_of(uri) is not None:
            linter.open.add(uri)
            linter.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri in linter.open:
            linter.schedule(uri, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in linter.open:
            return
        linter.schedule(uri)
        # A Terraform module is read as a whole: what is now on disk may
        # change the findings of the other open files of the same directory.
        path = linter.path_of(uri)
        if path is not None and path.name.lower().endswith((".tf", ".tf.json")):
            for other in sorted(linter.open - {uri}):
                other_path = linter.path_of(other)
                if other_path is not None and other_path.parent == path.parent:
                    linter.schedule(other)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        linter.close(params.text_document.uri)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: None) -> None:
        linter.shutdown_requested = True
        for uri in list(linter.pending):
            linter.cancel(uri)

    return server, linter


def main() -> int:
    """Serve on stdin/stdout until the client says exit. Exit code 0 after
    a shutdown request, 1 when the client ends without one (as LSP asks),
    2 when pygls is not installed."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError as exc:
        print(f"iamlint: error: {MISSING_PYGLS} ({exc})", file=sys.stderr)
        return EXIT_ERROR
    server, linter = build_server()
    stdin, stdout, text_stdout = sys.stdin.buffer, sys.stdout.buffer, sys.stdout
    # Standard output carries the protocol: a stray print must not corrupt it.
    sys.stdout = sys.stderr
    try:
        server.start_io(stdin, stdout)
    finally:
        sys.stdout = text_stdout
        linter.executor.shutdown(wait=False, cancel_futures=True)
    return 0 if linter.shutdown_requested else 1
