"""Run the console bot as a separate OS process we can feed, read and SIGKILL.

Two ways to start one, both ending in the same `bot.__main__.main(["run"])`:

* `exec_bot` — `python -m bot run` with stdin/stdout pipes: the real entry point.
* `fork_bot` — forked from a forkserver that has already imported the bot, with stdin
  and stdout on a Unix socket. Importing the bot costs ~2 s of CPU; forking skips only
  that, while the child still opens the database, migrates, closes due proposals and
  serves from scratch, which is what a restart after a crash must get right. Twenty
  restarts per engine stay well inside the test budget this way.

`BotProcess` reads the transcript on a thread and keeps every acknowledged vote: the
private receipt `Vote recorded on #N: … Receipt: <hash>`, which the console prints only
after the ballot's group commit returned (storage/group_commit.py resolves a caller's
future after the batch's transaction committed).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[2]
HEADER = re.compile(r"^\[#\d+\] govbot → (\S+) \(private\): Vote recorded on #(\d+): (.*)$")
RECEIPT = re.compile(r"^Receipt: ([0-9a-f]{64})$")
PRELOAD = ["bot.__main__", "bot.app", "bot.adapters.console", "handlers.proposals.feature"]


@dataclass(frozen=True)
class Ack:
    """One vote the bot acknowledged to its voter (the order is the transcript's)."""

    member: str
    proposal: int
    shown: str
    receipt: str


def bot_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no developer GOVBOT_* or platform tokens leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GOVBOT_") and not k.endswith("_TOKEN") and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        GOVBOT_CHARTS_DIR=str(tmp / "charts"),
        GOVBOT_VOTING__REQUIRE_WALLET="false",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class BotProcess:
    """A running bot: write lines, wait for output, SIGKILL, collect acknowledgements."""

    def __init__(
        self,
        reader: IO[str],
        writer: IO[str],
        close_input: Callable[[], None],
        kill: Callable[[], None],
        wait: Callable[[float], int | None],
    ) -> None:
        self._writer = writer
        self._close_input = close_input
        self._kill = kill
        self._wait = wait
        self.lines: list[str] = []
        self.acks: list[Ack] = []
        self._changed = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._read, args=(reader,), daemon=True)
        self._thread.start()

    def _read(self, reader: IO[str]) -> None:
        pending: tuple[str, int, str] | None = None
        try:
            for raw in reader:
                if not raw.endswith("\n"):
                    break  # a line cut by the kill: never an acknowledgement
                line = raw.rstrip("\n")
                with self._changed:
                    self.lines.append(line)
                    receipt = RECEIPT.match(line)
                    if pending is not None and receipt:
                        self.acks.append(Ack(*pending, receipt[1]))
                    header = HEADER.match(line)
                    pending = (header[1], int(header[2]), header[3]) if header else None
                    self._changed.notify_all()
        except (OSError, ValueError):
            pass  # the connection went away with the process
        finally:
            with self._changed:
                self._eof = True
                self._changed.notify_all()

    def send(self, lines: list[str]) -> None:
        self._writer.write("".join(line + "\n" for line in lines))
        self._writer.flush()

    def wait_until(self, predicate: Callable[[BotProcess], bool], timeout: float = 30.0) -> None:
        """Block until `predicate(self)` holds; AssertionError with the transcript if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    tail = "\n".join(self.lines[-15:])
                    raise AssertionError(f"bot output did not arrive; last lines:\n{tail}")
                self._changed.wait(left)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def kill(self) -> None:
        """SIGKILL, then read whatever the process had written before it died."""
        self._kill()
        self._wait(30)
        self._thread.join(30)

    def finish(self, timeout: float = 60.0) -> int | None:
        """End of input: the console exits cleanly; returns the exit code."""
        self._close_input()
        code = self._wait(timeout)
        self._thread.join(timeout)
        return code


def exec_bot(env: dict[str, str], cwd: Path) -> BotProcess:
    """`python -m bot run`, as an operator starts it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(cwd / "stderr.log", "a"),  # noqa: SIM115 - the child owns it
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
    )
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    def wait(timeout: float) -> int | None:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    return BotProcess(proc.stdout, stdin, stdin.close, proc.kill, wait)


# ----- forked bots ------------------------------------------------------------------------
_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(socket_path: str, env: dict[str, str], cwd: str) -> None:
    """In the forked process: stdin and stdout on the socket, then `govbot run`."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(socket_path)
    os.dup2(conn.fileno(), 0)
    os.dup2(conn.fileno(), 1)
    conn.close()
    err = os.open(os.path.join(cwd, "stderr.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(err, 2)
    os.close(err)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    from bot.__main__ import main

    code = main(["run"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def fork_bot(env: dict[str, str], cwd: Path) -> BotProcess:
    """A fresh bot process forked from a pre-imported interpreter."""
    path = str(cwd / f"bot-{time.monotonic_ns()}.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    listener.settimeout(60)
    process = _forkserver().Process(target=_child, args=(path, env, str(cwd)), daemon=True)
    process.start()
    try:
        conn, _ = listener.accept()
    finally:
        listener.close()
        os.unlink(path)
    conn.settimeout(120)  # a hung bot fails the test instead of hanging it
    reader = conn.makefile("r", encoding="utf-8", newline="\n")
    writer = conn.makefile("w", encoding="utf-8", newline="\n")

    def close_input() -> None:
        writer.close()
        conn.shutdown(socket.SHUT_WR)

    def wait(timeout: float) -> int | None:
        process.join(timeout)
        return process.exitcode

    return BotProcess(reader, writer, close_input, process.kill, wait)
