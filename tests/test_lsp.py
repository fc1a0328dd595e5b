"""`iamlint lsp`: position helpers, and a real JSON-RPC exchange over stdio."""

from __future__ import annotations

import importlib.util
import json
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iamlint import lsp
from iamlint.model import Span

needs_pygls = pytest.mark.skipif(
    importlib.util.find_spec("pygls") is None, reason="pygls is not installed"
)

SERVER = [sys.executable, "-c", "from iamlint.lsp import main; raise SystemExit(main())"]
# Every wait for the server is bounded by this; the whole exchange takes ~1 s.
TIMEOUT = 5.0

ADMIN = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}
"""
FIXED = ADMIN.replace('"Action": "*"', '"Action": "s3:GetObject"').replace(
    '"Resource": "*"', '"Resource": "arn:aws:s3:::reports/*"'
)
BROKEN = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*"
      "Resource": "*"
    }
  ]
}
"""
# Non-ASCII before the finding on the same line: an emoji is 2 UTF-16 units.
WIDE = (
    '{"Version": "2012-10-17", "Statement": [\n'
    '  {"Sid": "\U0001f600\u00e9", "Effect": "Allow", "Action": "*", "Resource": "*"}\n'
    "]}\n"
)


def span(line: int, column: int, end_line: int, end_column: int) -> Span:
    return Span("p.json", line, column, end_line, end_column)


# -- helpers, without a server ----------------------------------------------


def test_range_ascii() -> None:
    assert lsp.lsp_range(span(6, 17, 6, 20), ADMIN) == ((5, 16), (5, 19))


def test_range_counts_utf16_units_of_the_document_line() -> None:
    line = WIDE.split("\n")[1]
    column = line.index('"*"') + 1  # code points, 1-based, as Span counts
    found = span(2, column, 2, column + 3)
    # The emoji before it is one code point but two UTF-16 units.
    assert lsp.lsp_range(found, WIDE) == ((1, column), (1, column + 3))
    assert lsp.lsp_range(found, WIDE, "utf-32") == ((1, column - 1), (1, column + 2))
    # In UTF-8 the emoji is 4 bytes and the e-acute 2.
    assert lsp.lsp_range(found, WIDE, "utf-8") == ((1, column + 3), (1, column + 6))


def test_range_bom_line_one_and_clamping() -> None:
    text = '\ufeff{"a": 1}\nxy\n'
    # The loaders count columns after the BOM; the editor's line 0 keeps it.
    assert lsp.lsp_range(span(1, 2, 1, 5), text) == ((0, 2), (0, 5))
    assert lsp.lsp_range(span(2, 1, 2, 99), text) == ((1, 0), (1, 2))
    assert lsp.lsp_range(span(9, 1, 9, 2), text) == ((2, 0), (2, 0))
    assert lsp.lsp_range(span(0, 0, 0, 0), text) == ((0, 0), (0, 0))
    assert lsp.lsp_range(span(2, 2, 1, 1), text) == ((1, 1), (1, 1))


def test_severities_and_suffixes() -> None:
    assert lsp.LSP_SEVERITY == {"critical": 1, "high": 1, "medium": 2, "low": 3, "info": 4}
    for name in ("main.tf", "x.TF.JSON", "p.json", "t.yaml", "t.yml", "stack.template"):
        assert lsp.is_linted(name), name
    assert not lsp.is_linted("notes.md")
    assert lsp.rule_docs_url("IAM101") == "https://pypi.org/project/iamlint/#iam101"


def test_workspace_root_is_the_deepest_folder() -> None:
    outer, inner = Path("/w"), Path("/w/infra")
    assert lsp.workspace_root(Path("/w/infra/a/main.tf"), [outer, inner]) == inner
    assert lsp.workspace_root(Path("/elsewhere/p.json"), [outer]) == Path("/elsewhere")


def test_a_crash_in_one_document_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> list[object]:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(lsp, "check_buffer", boom)
    problems, log = lsp.diagnose(Path("/tmp/p.json"), ADMIN, Path("/tmp"), "utf-16")
    assert [(p.code, p.severity, p.start) for p in problems] == [("IAM000", 1, (0, 0))]
    assert "kaboom" in problems[0].message
    assert log is not None and "RuntimeError" in log


def test_the_workspace_configuration_applies(tmp_path: Path) -> None:
    document = tmp_path / "policies" / "admin.json"
    assert "IAM101" in {f.rule_id for f in lsp.lint_text(document, ADMIN, tmp_path)}
    (tmp_path / ".iamlint.toml").write_text('ignore = ["IAM101"]\n', encoding="utf-8")
    assert "IAM101" not in {f.rule_id for f in lsp.lint_text(document, ADMIN, tmp_path)}
    (tmp_path / ".iamlint.toml").write_text("no-such-key = 1\n", encoding="utf-8")
    problems, log = lsp.diagnose(document, ADMIN, tmp_path, "utf-16")
    [problem] = problems
    assert problem.severity == 1 and problem.start == (0, 0)
    assert "configuration" in problem.message and "no-such-key" in problem.message
    assert log == problem.message


def test_missing_pygls_is_a_friendly_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "lsprotocol", None)
    monkeypatch.setitem(sys.modules, "pygls", None)
    assert lsp.main() == 2
    assert "pip install 'iamlint[lsp]'" in capsys.readouterr().err


def test_importing_the_module_does_not_import_pygls() -> None:
    code = "import sys, iamlint.lsp; assert 'pygls' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


# -- a real exchange --------------------------------------------------------


class Client:
    """A minimal LSP client: Content-Length framing over the server's pipes,
    messages read on a thread so that every wait has a timeout."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen(
            SERVER, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while True:
                headers: dict[str, str] = {}
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    if not line.strip():
                        break
                    key, _, value = line.decode("ascii").partition(":")
                    headers[key.strip().lower()] = value.strip()
                body = stream.read(int(headers["content-length"]))
                self.inbox.put(json.loads(body))
        finally:
            self.inbox.put(None)

    @staticmethod
    def frame(message: dict[str, Any]) -> bytes:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    def send(self, *messages: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"".join(self.frame(m) for m in messages))
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == ident and "method" not in m, f"reply to {method}")

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def wait(self, wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = self.inbox.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                pytest.fail(f"no {what} from the server within {TIMEOUT} s")
            if message is None:
                pytest.fail(f"the server closed its output before {what}: {self.stderr()}")
            if "method" in message and "id" in message:  # a request to the client
                self.send({"id": message["id"], "result": None})
            if wanted(message):
                return message

    def diagnostics(self, uri: str) -> dict[str, Any]:
        message = self.wait(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
            ),
            f"diagnostics for {uri}",
        )
        params: dict[str, Any] = message["params"]
        return params

    def stderr(self) -> str:
        self.proc.kill()
        assert self.proc.stderr is not None
        return self.proc.stderr.read().decode("utf-8", "replace")[-2000:]


def did_open(uri: str, text: str) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": text}}


def did_change(uri: str, version: int, text: str) -> dict[str, Any]:
    return {
        "method": "textDocument/didChange",
        "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}],
        },
    }


def of_rule(rule_id: str, published: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in published["diagnostics"] if d["code"] == rule_id]


@needs_pygls
def test_diagnostics_over_stdio(tmp_path: Path) -> None:
    client = Client(tmp_path)
    try:
        init = client.request(
            "initialize",
            {
                "processId": None,
                "rootUri": tmp_path.as_uri(),
                "capabilities": {},
                "workspaceFolders": [{"uri": tmp_path.as_uri(), "name": "w"}],
            },
        )
        assert init["result"]["serverInfo"]["name"] == "iamlint"
        assert init["result"]["capabilities"]["textDocumentSync"]["openClose"] is True
        client.notify("initialized", {})

        # Unsaved: the file does not exist on disk.
        uri = (tmp_path / "policies" / "admin.json").as_uri()
        client.notify("textDocument/didOpen", did_open(uri, ADMIN))
        published = client.diagnostics(uri)
        assert published["version"] == 1
        [diagnostic] = of_rule("IAM101", published)
        assert diagnostic["range"] == {
            "start": {"line": 5, "character": 16},
            "end": {"line": 5, "character": 19},
        }
        assert diagnostic["severity"] == 1
        assert diagnostic["source"] == "iamlint"
        assert diagnostic["codeDescription"] == {"href": "https://pypi.org/project/iamlint/#iam101"}
        assert "every action" in diagnostic["message"]

        # Two quick edits: the first pending check is replaced by the second.
        client.send(did_change(uri, 2, ADMIN.replace("*", "* ")), did_change(uri, 3, FIXED))
        published = client.diagnostics(uri)
        assert published["version"] == 3
        assert published["diagnostics"] == []

        # Non-ASCII before the finding: columns in UTF-16 units.
        wide = (tmp_path / "wide.json").as_uri()
        client.notify("textDocument/didOpen", did_open(wide, WIDE))
        [diagnostic] = of_rule("IAM101", client.diagnostics(wide))
        column = WIDE.split("\n")[1].index('"*"') + 1  # the emoji counts twice
        assert diagnostic["range"] == {
            "start": {"line": 1, "character": column},
            "end": {"line": 1, "character": column + 3},
        }

        broken = (tmp_path / "broken.json").as_uri()
        client.notify("textDocument/didOpen", did_open(broken, BROKEN))
        [diagnostic] = client.diagnostics(broken)["diagnostics"]
        assert diagnostic["code"] == "IAM000"
        assert diagnostic["severity"] == 1
        assert diagnostic["range"]["start"]["line"] == 6  # line 7, where "Resource" is

        client.notify("textDocument/didClose", {"textDocument": {"uri": broken}})
        assert client.diagnostics(broken)["diagnostics"] == []

        assert client.request("shutdown", None)["result"] is None
        client.notify("exit", None)
        assert client.proc.wait(timeout=TIMEOUT) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
        client.proc.wait(timeout=TIMEOUT)
