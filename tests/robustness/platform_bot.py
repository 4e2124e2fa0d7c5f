"""`govbot run` serving Telegram or Discord against the fakes of this test process.

The fakes (tests/fakes/) run in the test's event loop, so every wait here is async: a
blocking wait would stop the fake from answering the bot it waits for. Two ways to
start a bot, both ending in `bot.__main__.main(["run"])`:

* `exec_bot` — `python -m bot run`, as an operator starts it;
* `fork_bot` — forked from a forkserver that has already imported the bot and the
  Telegram adapter (importing costs ~2 s of CPU; the child still opens the database,
  migrates and connects from scratch, which is what a restart after a crash must get
  right), for tests that kill and restart many times.

Either way stdout and stderr go to files in the test's folder, read after the exit.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from tests.fakes.telegram_api import FakeTelegramAPI
from tests.robustness.botproc import bot_env

ROOT = Path(__file__).resolve().parents[2]
PRELOAD = ["bot.__main__", "bot.app", "bot.adapters.telegram", "handlers.proposals.feature"]


def platform_env(database_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    """A clean environment (no developer settings) with the web server on a free port."""
    return bot_env(database_url, tmp, GOVBOT_WEB__PORT="0", **extra)


class PlatformBot:
    """A running bot process: signal it, wait for it, read its log."""

    def __init__(self, pid: int, wait: Any, log: Path) -> None:
        self.pid = pid
        self._wait = wait
        self.log = log
        self.returncode: int | None = None

    def terminate(self) -> None:
        os.kill(self.pid, signal.SIGTERM)

    def kill(self) -> None:
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)

    async def wait(self, timeout: float) -> int | None:
        """The exit code, or None if the process is still running after `timeout` s."""
        self.returncode = await self._wait(timeout)
        return self.returncode

    def stderr(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def exec_bot(env: dict[str, str], cwd: Path, name: str = "bot") -> PlatformBot:
    log = cwd / f"{name}-{time.monotonic_ns()}.log"
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=str(ROOT),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )

    async def wait(timeout: float) -> int | None:
        try:
            return await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            return None

    return PlatformBot(process.pid, wait, log)


_context: Any = None


def _forkserver() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _child(env: dict[str, str], log: str) -> None:
    os.chdir(ROOT)
    os.environ.clear()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    from bot.__main__ import main

    code = main(["run"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def fork_bot(env: dict[str, str], cwd: Path, name: str = "bot") -> PlatformBot:
    log = cwd / f"{name}-{time.monotonic_ns()}.log"
    process = _forkserver().Process(target=_child, args=(env, str(log)), daemon=True)
    process.start()

    async def wait(timeout: float) -> int | None:
        await asyncio.to_thread(process.join, timeout)
        return process.exitcode

    assert process.pid is not None
    return PlatformBot(process.pid, wait, log)


# ----- reading the Telegram fake ---------------------------------------------------------
def fetched(fake: FakeTelegramAPI, update_id: int) -> bool:
    """The bot has this update in hand: a getUpdates answer carried it, and the bot
    polled again after it (it polls one call at a time, taking in each answer first)."""
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    for index, call in enumerate(polls):
        if isinstance(call.result, list) and any(
            u.get("update_id") == update_id for u in call.result
        ):
            return index + 1 < len(polls)
    return False


def confirmed(fake: FakeTelegramAPI, update_id: int) -> bool:
    """The bot called getUpdates with an offset past this update (confirming it)."""
    return any(
        call.method == "getUpdates" and int(call.params.get("offset") or 0) > update_id
        for call in fake.calls
    )


def receipts(fake: FakeTelegramAPI) -> dict[int, list[str]]:
    """Private receipts that went out, per member: the texts of `Vote recorded …` DMs."""
    found: dict[int, list[str]] = {}
    for call in fake.sent():
        text = str(call.params.get("text") or "")
        chat = call.params.get("chat_id")
        if isinstance(chat, int) and chat > 0 and text.startswith("Vote recorded"):
            found.setdefault(chat, []).append(text)
    return found


def noticed(fake: FakeTelegramAPI, chat_id: int) -> set[int]:
    """Members named in a group notice (a private reply waiting behind a start link)."""
    found: set[int] = set()
    for call in fake.sent(chat_id):
        text = str(call.params.get("text") or "")
        if "press Start" not in text:
            continue
        for part in text.split('href="tg://user?id=')[1:]:
            found.add(int(part.split('"', 1)[0]))
    return found


async def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
