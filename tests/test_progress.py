"""The progress bar: on a terminal for long scans, never in pipes or CI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iamlint import progress

POLICY = '{"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}'


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_on_a_terminal_and_not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert progress.wanted(FakeTTY())
    assert not progress.wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(FakeTTY())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert not progress.wanted(FakeTTY())


def test_bar_waits_then_draws_and_erases_itself() -> None:
    out = FakeTTY()
    bar = progress.ProgressBar(0, out, delay=0.0)
    bar.set_total(10)
    bar.advance(5)
    assert out.getvalue() == "\riamlint [" + "#" * 15 + "-" * 15 + "] 5/10 files"
    bar.close()
    assert out.getvalue().endswith("\r\x1b[2K")
    quiet = FakeTTY()
    slow = progress.ProgressBar(10, quiet, delay=60.0)
    slow.advance(10)
    slow.close()
    assert quiet.getvalue() == "", "a short scan shows nothing"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_draws_on_a_terminal_but_not_into_a_pipe(tmp_path: Path) -> None:
    import pty

    for i in range(80):
        (tmp_path / f"p{i:02}.json").write_text(POLICY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(TERM="xterm", IAMLINT_PROGRESS_DELAY="0")
    cmd = [sys.executable, "-m", "iamlint", "check", "--no-cache", "--format", "json", "."]
    primary, secondary = pty.openpty()
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=secondary, check=False
    )
    os.close(secondary)
    err = b""
    try:
        while chunk := os.read(primary, 65536):
            err += chunk
    except OSError:
        pass
    os.close(primary)
    assert proc.returncode == 1
    assert b"/80 files" in err and err.endswith(b"\r\x1b[2K")
    assert b"iamlint [" not in proc.stdout, "the report itself stays clean"
    piped = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, check=False)
    assert b"iamlint [" not in piped.stderr
