"""A progress bar on standard error for long scans in a terminal.

Shown only when stderr is a terminal, not in CI, and only once a scan has
run for a moment: short runs, pipes and CI logs never see it.
"""

from __future__ import annotations

import os
import time
from typing import TextIO

# Seconds before the bar appears; IAMLINT_PROGRESS_DELAY overrides (tests).
DELAY = float(os.environ.get("IAMLINT_PROGRESS_DELAY", "1.0"))
INTERVAL = 0.1  # seconds between redraws
WIDTH = 30


def wanted(stream: TextIO) -> bool:
    """Is a progress bar welcome on this stream?"""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Files checked out of the total, redrawn in place."""

    def __init__(self, total: int, stream: TextIO, delay: float = DELAY) -> None:
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream
        self.start = time.monotonic()
        self.delay = delay
        self._last = 0.0
        self._shown = False

    def set_total(self, files: int) -> None:
        self.total = max(files, 1)

    def advance(self, files: int) -> None:
        self.done += files
        now = time.monotonic()
        if now - self.start < self.delay or now - self._last < INTERVAL:
            return
        self._last = now
        filled = WIDTH * self.done // self.total
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\riamlint [{bar}] {self.done}/{self.total} files")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the bar, so the report starts on a clean line."""
        if self._shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
