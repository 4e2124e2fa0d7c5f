"""`govbot` as a separate OS process: feed it, read it, signal it, collect how it ended.

Two ways to start one, both ending in the same `bot.__main__.main([...])`:

* exec (default) — `python -m bot run` with stdin/stdout pipes: the real entry point.
* `fork=True` — forked from a forkserver that has already imported the bot, with stdin
  and stdout on a Unix socket. Importing the bot costs ~2 s of CPU; forking skips only
  that, while the child still opens the database, migrates, closes due proposals and
  serves from scratch, which is what a restart after a crash must get right.

Either way stdout is read on a thread (so a chatty bot never blocks on a full pipe and
an async test's event loop is never blocked), and stderr, the bot's logs, goes to
`<workdir>/stderr.log` (appended: restarts in one workdir keep one log).

`BotProcess.acks` keeps every vote the console acknowledged: the private receipt
`Vote recorded on #N: … Receipt: <hash>`, which the console prints only after the
ballot's group commit returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp

from bot.settings import PLAIN_ENV

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _foreign(name: str) -> bool:
    """A developer's govbot, platform or database variable, never passed to the child."""
    return (
        name.startswith(("GOVBOT_", "TELEGRAM_", "DISCORD_"))
        or name.endswith("_TOKEN")
        or name in PLAIN_ENV
    )


def bot_env(database_url: str, workdir: Path, **extra: str) -> dict[str, str]:
    """A clean environment for `govbot` on `database_url`, plus `extra` variables.

    The web server (on whenever a platform token is set) gets a free port, so runs in
    parallel never collide on the default one; this checkout's code is imported.
    """
    env = {k: v for k, v in os.environ.items() if not _foreign(k)}
    env.update(
        DATABASE_URL=database_url,
        GOVBOT_CHARTS_DIR=str(workdir / "charts"),
        GOVBOT_VOTING__REQUIRE_WALLET="false",
        GOVBOT_ARENA__READING_CHARS_PER_SECOND="0",  # as tests/conftest.py: no floor
        GOVBOT_WEB__PORT=str(free_port()),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


class BotProcess:
    """A running bot: write lines, wait for output, signal, wait for its exit code."""

    def __init__(
        self,
        reader: IO[str],
        writer: IO[str],
        *,
        close_input: Callable[[], None],
        send_signal: Callable[[int], None],
        wait: Callable[[float], int | None],
        stderr_path: Path,
        stderr_start: int,
        web_port: int | None,
    ) -> None:
        self._writer = writer
        self._close_input = close_input
        self._send_signal = send_signal
        self._wait = wait
        self.stderr_path = stderr_path
        self._stderr_span = [stderr_start, -1]  # this process's part of the shared log
        self.web_port = web_port
        self.returncode: int | None = None
        self._chunks: list[str] = []  # everything read, a last line cut by a kill included
        self.lines: list[str] = []  # complete lines only
        self.acks: list[Ack] = []
        self._changed = threading.Condition()
        self._eof = False
        self._feeder: threading.Thread | None = None
        self._thread = threading.Thread(target=self._read, args=(reader,), daemon=True)
        self._thread.start()

    # ----- output ----------------------------------------------------------------------
    def _read(self, reader: IO[str]) -> None:
        pending: tuple[str, int, str] | None = None
        try:
            for raw in reader:
                with self._changed:
                    self._chunks.append(raw)
                    if not raw.endswith("\n"):
                        break  # a line cut by a kill: never an acknowledgement
                    line = raw.rstrip("\n")
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

    @property
    def stdout(self) -> str:
        """Everything the bot printed so far."""
        with self._changed:
            return "".join(self._chunks)

    @property
    def stderr(self) -> str:
        """What this process logged (its part of the shared stderr.log)."""
        start, end = self._stderr_span
        if not self.stderr_path.exists():
            return ""
        with open(self.stderr_path, "rb") as log:
            log.seek(start)
            data = log.read(end - start if end >= 0 else -1)
        return data.decode("utf-8", errors="replace")

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def _failure(self) -> AssertionError:
        tail = "\n".join(self.lines[-15:])
        return AssertionError(
            f"bot output did not arrive; last lines:\n{tail}\nstderr:\n{self.stderr[-2000:]}"
        )

    def wait_until(self, predicate: Callable[[BotProcess], bool], timeout: float = 30.0) -> None:
        """Block until `predicate(self)` holds; AssertionError with the transcript if not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or self._eof:
                    raise self._failure()
                self._changed.wait(left)

    async def until(self, predicate: Callable[[BotProcess], bool], timeout: float = 30.0) -> None:
        """`wait_until` for async tests: polls, so the event loop keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                if predicate(self):
                    return
                if self._eof or time.monotonic() > deadline:
                    raise self._failure()
            await asyncio.sleep(0.02)

    async def serving(self, timeout: float = 30.0) -> None:
        """Wait until /healthz answers 200: the database answers, every adapter connected."""
        assert self.web_port is not None, "no GOVBOT_WEB__PORT: the bot serves no /healthz"
        url = f"http://127.0.0.1:{self.web_port}/healthz"
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url) as response:
                        if response.status == 200:
                            return
                if self._eof or time.monotonic() > deadline:
                    raise AssertionError(f"govbot is not serving; stderr:\n{self.stderr[-3000:]}")
                await asyncio.sleep(0.05)

    # ----- input -----------------------------------------------------------------------
    def send(self, lines: Iterable[str]) -> None:
        self._writer.write("".join(line + "\n" for line in lines))
        self._writer.flush()

    def feed(self, lines: Iterable[str]) -> None:
        """Write `lines` on a thread, paced by the pipe; stops quietly once the bot is gone."""

        def write() -> None:
            with contextlib.suppress(OSError, ValueError):
                for line in lines:
                    self._writer.write(line + "\n")
                self._writer.flush()

        self._feeder = threading.Thread(target=write, daemon=True)
        self._feeder.start()

    def close_input(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._close_input()

    # ----- ending ----------------------------------------------------------------------
    def signal(self, sig: int) -> None:
        self._send_signal(sig)

    def wait(self, timeout: float = 60.0) -> int | None:
        """The exit code, once the process ended and its output is read (None: still running)."""
        self.returncode = self._wait(timeout)
        if self.returncode is not None:
            self._thread.join(timeout)
            if self._stderr_span[1] < 0:
                self._stderr_span[1] = _size(self.stderr_path)
        return self.returncode

    async def exited(self, timeout: float = 60.0) -> int | None:
        """`wait` for async tests, on a thread."""
        return await asyncio.to_thread(self.wait, timeout)

    def finish(self, timeout: float = 60.0) -> int | None:
        """End of input: the console exits cleanly; returns the exit code."""
        self.close_input()
        return self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, then read whatever the process had written before it died."""
        self.signal(signal.SIGKILL)
        self.wait(30)


def _exec(args: Sequence[str], env: dict[str, str], workdir: Path) -> BotProcess:
    """`python -m bot …`, as an operator starts it."""
    stderr_path = workdir / "stderr.log"
    stderr_start = _size(stderr_path)
    with open(stderr_path, "a") as stderr:  # the child keeps its own copy of the fd
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=workdir,
        )
    assert proc.stdin is not None and proc.stdout is not None
    stdin = proc.stdin

    def wait(timeout: float) -> int | None:
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    return BotProcess(
        proc.stdout,
        stdin,
        close_input=stdin.close,
        send_signal=proc.send_signal,
        wait=wait,
        stderr_path=stderr_path,
        stderr_start=stderr_start,
        web_port=_port(env),
    )


# ----- forked bots ------------------------------------------------------------------------
_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(socket_path: str, args: list[str], env: dict[str, str], cwd: str) -> None:
    """In the forked process: stdin and stdout on the socket, then `govbot …`."""
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

    code = main(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _fork(args: Sequence[str], env: dict[str, str], workdir: Path) -> BotProcess:
    """A fresh bot process forked from a pre-imported interpreter."""
    path = str(workdir / f"bot-{time.monotonic_ns()}.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    listener.settimeout(60)
    stderr_start = _size(workdir / "stderr.log")
    process = _forkserver().Process(
        target=_child, args=(path, list(args), env, str(workdir)), daemon=True
    )
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
        return process.exitcode  # type: ignore[no-any-return]

    return BotProcess(
        reader,
        writer,
        close_input=close_input,
        send_signal=lambda sig: os.kill(process.pid, sig),
        wait=wait,
        stderr_path=workdir / "stderr.log",
        stderr_start=stderr_start,
        web_port=_port(env),
    )


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _port(env: dict[str, str]) -> int | None:
    port = env.get("GOVBOT_WEB__PORT")
    return int(port) if port else None


def start_bot(
    env: dict[str, str], workdir: Path, *, args: Sequence[str] = ("run",), fork: bool = False
) -> BotProcess:
    """Start `govbot <args>` in `workdir` (made if missing) with `env` (see `bot_env`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    return (_fork if fork else _exec)(args, env, workdir)


@contextlib.contextmanager
def bot_process(
    env: dict[str, str], workdir: Path, *, args: Sequence[str] = ("run",), fork: bool = False
) -> Iterator[BotProcess]:
    """`start_bot`, killed on the way out if the test left it running."""
    bot = start_bot(env, workdir, args=args, fork=fork)
    try:
        yield bot
    finally:
        if bot.returncode is None and bot.wait(0) is None:
            bot.kill()


def run_bot(
    env: dict[str, str],
    workdir: Path,
    lines: Sequence[str] = (),
    *,
    args: Sequence[str] = ("run",),
    timeout: float = 120.0,
) -> BotProcess:
    """Run `govbot <args>` to completion with `lines` as its whole input."""
    with bot_process(env, workdir, args=args) as bot:
        bot.send(lines)
        bot.finish(timeout)
    return bot
