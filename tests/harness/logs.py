"""Put the root logger back as pytest had it after a test configured logging itself."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from bot.logging_setup import LoggingSetup


@contextlib.contextmanager
def logging_restored() -> Iterator[list[LoggingSetup]]:
    """Append every `configure_logging(...)` result to the yielded list; all are undone."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    installed: list[LoggingSetup] = []
    try:
        yield installed
    finally:
        for setup in installed:
            setup.uninstall()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
