"""Catch what a fuzz run must never produce: an ERROR from our code, with or without a
traceback (the dispatcher logs an unhandled handler exception at ERROR)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = tuple(str(ROOT / part) for part in ("bot", "handlers", "storage"))


def ours(record: logging.LogRecord) -> bool:
    """An exception raised through our code, or an error our code logged without one.

    An adapter's error handler logging a library's own exception (its traceback never
    enters our code) is not ours; the handler failing in turn would be."""
    error = record.exc_info[1] if record.exc_info else None
    while error is not None:
        frames = traceback.extract_tb(error.__traceback__)
        if any(frame.filename.startswith(OURS) for frame in frames):
            return True
        error = error.__context__
    if record.exc_info:
        return False
    return record.name.split(".")[0] in ("bot", "handlers", "storage")


class ErrorLog(logging.Handler):
    """Keeps every record at ERROR or above that `ours` claims; attach to the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.foreign: list[logging.LogRecord] = []  # library errors, reported not failed

    def emit(self, record: logging.LogRecord) -> None:
        (self.records if ours(record) else self.foreign).append(record)

    def describe(self) -> str:
        record = self.records[0]
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))[-3000:]
        return text

    def __enter__(self) -> ErrorLog:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
