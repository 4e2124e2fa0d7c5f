"""No secret in any log line or reply: known secret values are configured, everything
the bot logs (at DEBUG, every logger) and everything it answers is scanned for them.

Two runs: commands in-process with caplog at DEBUG (the RPC URL with its key is used and
fails, so web3 and our chain client log about it), and a real `govbot run` process on
the fake Telegram API with JSON logs on stderr, scraped over /healthz and /metrics too.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import build_core
from bot.logging_setup import LoggingSetup, configure_logging
from bot.settings import load_settings
from handlers.core.types import Reply
from tests.conftest import run_command
from tests.fakes.telegram_api import FakeTelegramAPI

TOKEN = "7000000001:AAHsecretTelegramTokenValue0123456789"
WEBHOOK_SECRET = "whsec-Secret-Webhook-Value-0123456789"
RPC_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
RPC_URL = f"http://rpcuser:rpcPassw0rdXYZ@127.0.0.1:9/v3/{RPC_KEY}"
OPENAI_KEY = "sk-test-OpenAIkeyValue0123456789abcdef"
SECRETS = (TOKEN, WEBHOOK_SECRET, RPC_KEY, "rpcPassw0rdXYZ", OPENAI_KEY)
GROUP, ALICE, BOB = -1001, 11, 22
ROOT = Path(__file__).resolve().parents[2]
COMMANDS = (
    "/help",
    "/propose Pick a logo | yes | no weight=native",  # uses the RPC URL, which fails
    "/propose Pick a colour | red | blue",
    "/vote 1 red",
    "/vote 2 red",
    "/link 0x0000000000000000000000000000000000000001",
    "/frobnicate",
)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.fixture
def logging_restored() -> Iterator[list[LoggingSetup]]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    installed: list[LoggingSetup] = []
    yield installed
    for setup in installed:
        setup.uninstall()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


async def test_commands_log_and_answer_no_secret(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    logging_restored: list[LoggingSetup],
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path}/s.db",
        charts_dir=tmp_path / "charts",
        log_level="DEBUG",
        log_format="json",
        telegram={"token": TOKEN, "webhook_secret": WEBHOOK_SECRET},
        wallets={"rpc_url": RPC_URL, "rpc_retries": 0},
    )
    logging_restored.append(configure_logging(settings, console=False))
    # pytest's capture handler is added after ours, as any library's would be: still masked.
    logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    for noisy in ("web3", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.DEBUG)
    replies: list[Reply] = []
    core = await build_core(settings)
    try:
        for line in COMMANDS:
            replies += await run_command(core, "admin", line, admin=True)
        logging.getLogger("govbot.test").debug("settings at start %s", settings.wallets)
    finally:
        await core.close()
    assert any("reach the chain" in r.text for r in replies), "the RPC path ran"
    everything = "\n".join(
        [caplog.text]
        + [r.getMessage() + (r.exc_text or "") for r in caplog.records]
        + [r.text for r in replies]
    )
    assert "<redacted>" in caplog.text, "the secrets were logged and masked, not absent"
    assert leaked(everything) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_govbot_run_stderr_and_replies_hold_no_secret(tmp_path: Path) -> None:
    port = _free_port()
    async with FakeTelegramAPI(token=TOKEN) as fake:
        fake.add_chat(GROUP, "supergroup", "Builders")
        fake.add_user(ALICE, "Alice", "alice")
        fake.add_user(BOB, "Bob", "bob")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GOVBOT_", "TELEGRAM_"))},
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "ETH_RPC_URL": RPC_URL,
            "OPENAI_API_KEY": OPENAI_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path}/run.db",
            "GOVBOT_CHARTS_DIR": str(tmp_path / "charts"),
            "GOVBOT_LOG_LEVEL": "DEBUG",
            "GOVBOT_LOG_FORMAT": "json",
            "GOVBOT_WALLETS__RPC_RETRIES": "0",
            "GOVBOT_VOTING__REQUIRE_WALLET": "false",
            "GOVBOT_WEB__PORT": str(port),
        }
        env.pop("DISCORD_TOKEN", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            env=env,
            cwd=str(ROOT),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await fake.wait_for("getUpdates", timeout=30)
            for user, line in [(ALICE, c) for c in COMMANDS] + [(BOB, "/vote 2 blue")]:
                before = len(fake.sent())
                fake.send_text(GROUP, user, line)
                await _wait_sent(fake, before + 1)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    health = await response.json()
                    assert response.status == 200, health
                    assert health["adapters"] == {"telegram": "connected"}
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    metrics = await response.text()
            process.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err.decode()[-3000:]
        sent = "\n".join(str(c.params) for c in fake.sent())
    assert 'govbot_commands_total{command="help",outcome="ok"} 1.0' in metrics
    assert 'govbot_adapter_connected{platform="telegram"} 1.0' in metrics
    stderr = err.decode()
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "msg"} <= set(line) for line in lines)
    assert any(line["logger"].startswith("telegram") for line in lines), "DEBUG from PTB seen"
    assert "<redacted>" in stderr
    assert leaked(stderr) == [], [line for line in stderr.splitlines() if leaked(line)][:3]
    assert leaked(metrics) == []
    assert leaked(sent) == []


async def _wait_sent(fake: FakeTelegramAPI, total: int, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(fake.sent()) < total:
        assert asyncio.get_running_loop().time() < deadline, [c.params for c in fake.sent()]
        await asyncio.sleep(0.02)
